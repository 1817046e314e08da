// Command drumsplit splits drum recordings into stems (kick, snare, toms,
// hi-hat, ride, crash) with MDX23C / TFC-TDF v3 models run through libtorch.
//
// This package holds flags, help texts and exit codes; the work is done by
// the library packages (audio, separator, …) and internal/job, internal/ui
// draws it. Each subcommand lives in a file of its own and registers itself
// with register in an init function.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/internal/ui"
)

// Exit codes shared by every command.
const (
	exitOK     = 0 // everything asked for was done
	exitFailed = 1 // the command ran but some or all of its work failed
	exitUsage  = 2 // the command line was wrong
)

// commands holds the subcommands registered by the command files.
var commands []*cli.Command

// register adds a subcommand; it is called from init functions.
func register(c *cli.Command) { commands = append(commands, c) }

// usageError marks an error caused by the command line rather than the work.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func newApp() *cli.App {
	sort.Slice(commands, func(i, j int) bool { return commands[i].Name < commands[j].Name })
	return &cli.App{
		Name:                 "drumsplit",
		Usage:                "split a drum recording into stems (kick, snare, toms, hh, ride, crash)",
		Version:              Version,
		HideVersion:          true,
		EnableBashCompletion: true,
		Commands:             commands,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only errors"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print debug information"},
			// -v is --verbose, so urfave/cli's own --version/-v is hidden
			// and this one prints what `drumsplit version` prints.
			&cli.BoolFlag{Name: "version", Usage: "print the versions (as drumsplit version) and exit"},
		},
		Before: func(c *cli.Context) error {
			setLogger(newLogger(ui.Level(c.Bool("quiet"), c.Bool("verbose")), stderrLog{}))
			return nil
		},
		// Without a command: the help. An argument that is no command
		// reaches here too (urfave/cli would exit 3 after its help).
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				return versionCmd(c)
			}
			if !c.Args().Present() {
				return cli.ShowAppHelp(c)
			}
			name := c.Args().First()
			msg := fmt.Sprintf("unknown command %q", name)
			if cli.SuggestCommand != nil {
				if s := cli.SuggestCommand(c.App.Commands, name); s != "" {
					msg += ": " + strings.ToLower(s[:1]) + s[1:]
				}
			}
			return usageError{msg}
		},
		OnUsageError: func(c *cli.Context, err error, isSubcommand bool) error {
			return usageError{err.Error()}
		},
		ExitErrHandler: func(*cli.Context, error) {}, // main reports errors itself
	}
}

func main() {
	os.Exit(run(os.Args))
}

// run executes the application and maps its error to an exit code, printing
// one line for the user.
func run(args []string) int {
	app := newApp()
	err := app.Run(implicitSeparate(args, app.Commands))
	if err == nil {
		return exitOK
	}
	var ue usageError
	var ec cli.ExitCoder
	switch {
	case errors.As(err, &ue):
		printLine("drumsplit: " + errorLine("", err) + " (see drumsplit --help)")
		return exitUsage
	case errors.As(err, &ec):
		if err.Error() != "" {
			printLine("drumsplit: " + errorLine("", err))
		}
		return ec.ExitCode()
	default:
		printLine("drumsplit: " + errorLine("", err))
		return exitFailed
	}
}

// printLine writes one line to standard error.
func printLine(s string) { fmt.Fprintln(os.Stderr, s) }

// implicitSeparate returns args with "separate" put before the first
// argument that is not a global flag when that argument is no command but
// names a file or folder, or looks like a path (it has a folder or an
// extension): `drumsplit song.wav -o out` is `drumsplit separate song.wav
// -o out`, as demucs and audio-separator take a bare file. A command name
// wins over a file of the same name; a mistyped command (no extension, no
// such file) stays an unknown command.
func implicitSeparate(args []string, cmds []*cli.Command) []string {
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" || a == "" {
			return args
		}
		if strings.HasPrefix(a, "-") {
			continue // the global flags are all booleans: no value follows
		}
		for _, c := range cmds {
			if c.HasName(a) {
				return args
			}
		}
		if a == "help" || a == "h" {
			return args
		}
		_, err := os.Stat(a)
		if err != nil && !strings.ContainsAny(a, `/\`) && filepath.Ext(a) == "" {
			return args
		}
		return append(append(append([]string{}, args[:i]...), "separate"), args[i:]...)
	}
	return args
}
