package cliargs

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestFlagsFirst(t *testing.T) {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "out", Aliases: []string{"o"}},
		&cli.IntFlag{Name: "overlap"},
		&cli.BoolFlag{Name: "json"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}},
	}
	for _, tc := range []struct {
		in, want string // space-separated
		moved    bool
	}{
		{"-o out a.wav", "-o out a.wav", false},
		{"a.wav b.wav", "a.wav b.wav", false},
		{"a.wav -o out", "-o out -- a.wav", true},
		{"a.wav --json b.wav -q", "--json -q -- a.wav b.wav", true},
		{"a.wav --overlap -1 b.wav", "--overlap -1 -- a.wav b.wav", true},
		{"a.wav --out=x b.wav", "--out=x -- a.wav b.wav", true},
		{"a.wav -- -o.wav", "-o out a.wav -- -o.wav", false}, // see below
		{"a.wav -o x -- -q.wav", "-o x -- a.wav -q.wav", true},
		{"- -q", "-q -- -", true},
		{"a.wav --unknown b.wav", "--unknown -- a.wav b.wav", true},
		{"a.wav -o", "-o -- a.wav", true},
	} {
		if tc.in == "a.wav -- -o.wav" {
			// Nothing after "--" is a flag: nothing to move.
			if _, moved := FlagsFirst(flags, strings.Fields(tc.in)); moved {
				t.Errorf("%q: moved flags after --", tc.in)
			}
			continue
		}
		got, moved := FlagsFirst(flags, strings.Fields(tc.in))
		if moved != tc.moved || strings.Join(got, " ") != tc.want {
			t.Errorf("FlagsFirst(%q) = %q, %v; want %q, %v", tc.in, strings.Join(got, " "), moved, tc.want, tc.moved)
		}
	}
}

// TestRerun: a command that reruns itself on FlagsFirst's arguments sees
// the flags that followed its positional arguments, and reruns once.
func TestRerun(t *testing.T) {
	var out string
	var args []string
	runs := 0
	cmd := &cli.Command{
		Name:  "separate",
		Flags: []cli.Flag{&cli.StringFlag{Name: "out", Aliases: []string{"o"}}, &cli.BoolFlag{Name: "json"}},
		Action: func(c *cli.Context) error {
			runs++
			if a, ok := FlagsFirst(c.Command.Flags, CommandArgs(c)); ok {
				return Rerun(c, a)
			}
			out, args = c.String("out"), c.Args().Slice()
			return nil
		},
	}
	app := &cli.App{Name: "drumsplit", Commands: []*cli.Command{cmd}}
	if err := app.Run([]string{"drumsplit", "separate", "a.wav", "-o", "x", "b.wav", "--json"}); err != nil {
		t.Fatal(err)
	}
	if out != "x" || strings.Join(args, " ") != "a.wav b.wav" || runs != 2 {
		t.Errorf("out %q, args %q after %d runs; want x, [a.wav b.wav], 2", out, args, runs)
	}
}
