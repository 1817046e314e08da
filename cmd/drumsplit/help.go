package main

import (
	"embed"
	"strings"
)

// helpFiles holds the long help texts of the commands: prose is easier to
// read and edit as text than as Go string literals.
//
//go:embed help/*.txt
var helpFiles embed.FS

// helpText is the help text help/name.txt without its final newline, with
// each {{placeholder}} replaced as vars (pairs of placeholder and value)
// say. A missing file is a bug of the build: it panics at start.
func helpText(name string, vars ...string) string {
	b, err := helpFiles.ReadFile("help/" + name + ".txt")
	if err != nil {
		panic(err)
	}
	return strings.NewReplacer(vars...).Replace(strings.TrimSuffix(string(b), "\n"))
}
