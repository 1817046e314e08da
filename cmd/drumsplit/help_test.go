package main

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestHelpTexts: every help text read from help/ is there, ends without a
// newline (urfave/cli adds its own) and has all its placeholders filled.
func TestHelpTexts(t *testing.T) {
	var check func(cmds []*cli.Command)
	n := 0
	check = func(cmds []*cli.Command) {
		for _, c := range cmds {
			if d := c.Description; strings.HasSuffix(d, "\n") || strings.Contains(d, "{{") {
				t.Errorf("%s: help text %q", c.Name, d)
			}
			if c.Description != "" {
				n++
			}
			check(c.Subcommands)
		}
	}
	check(commands)
	if n < 9 {
		t.Errorf("%d commands have a help text, want 9 or more", n)
	}
	if !strings.Contains(renderDescription, "(styles: rock, ") {
		t.Errorf("render: the styles are not filled in:\n%s", renderDescription)
	}
}
