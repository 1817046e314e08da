// Package cliargs lets the flags of a urfave/cli command follow its
// positional arguments ("separate song.wav -o out"), as users of demucs and
// other argparse-based tools expect: the standard flag package that
// urfave/cli builds on stops at the first positional argument.
package cliargs

import (
	"context"
	"strings"

	"github.com/urfave/cli/v2"
)

// CommandArgs returns the arguments the running command was given (after
// its name), flags included: its parent context still holds them.
// It returns nil inside a rerun, whose parent holds the arguments as they
// were before Rerun moved them.
func CommandArgs(c *cli.Context) []string {
	if c.Context != nil && c.Context.Value(rerunKey{}) != nil {
		return nil
	}
	lin := c.Lineage()
	if len(lin) < 2 {
		return nil
	}
	all := lin[1].Args().Slice()
	if len(all) == 0 {
		return nil
	}
	return all[1:]
}

// FlagsFirst moves the flags that follow the first positional argument in
// args in front of it, with their values, and puts "--" before the
// positional arguments, so that "in.wav -o out" reads as "-o out -- in.wav".
// The standard flag package stops at the first positional argument; users
// of demucs and other argparse-based tools expect flags anywhere. A "--"
// ends the flags as usual. ok is false when no flag follows a positional
// argument, and then args is returned unchanged.
func FlagsFirst(flags []cli.Flag, args []string) (out []string, ok bool) {
	takesValue := map[string]bool{}
	for _, f := range flags {
		tv := false
		if d, isDoc := f.(cli.DocGenerationFlag); isDoc {
			tv = d.TakesValue()
		}
		for _, n := range f.Names() {
			takesValue[n] = tv
		}
	}
	var fl, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		if len(pos) > 0 {
			ok = true
		}
		fl = append(fl, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if takesValue[name] && i+1 < len(args) {
			i++
			fl = append(fl, args[i])
		}
	}
	if !ok {
		return args, false
	}
	out = append(fl, "--")
	return append(out, pos...), true
}

// rerunKey marks the context of a Rerun.
type rerunKey struct{}

// Rerun runs the current command again on args, in a fresh context under
// the same parent.
func Rerun(c *cli.Context, args []string) error {
	parent := c.Lineage()[1]
	nc := cli.NewContext(c.App, nil, parent)
	nc.Context = context.WithValue(parent.Context, rerunKey{}, true)
	nc.Command = c.Command
	return c.Command.Run(nc, append([]string{c.Command.Name}, args...)...)
}
