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
		},
		Before: func(c *cli.Context) error {
			setLogger(newLogger(ui.Level(c.Bool("quiet"), c.Bool("verbose")), stderrLog{}))
			return nil
		},
		// Without a command: the help. An argument that is no command
		// reaches here too (urfave/cli would exit 3 after its help).
		Action: func(c *cli.Context) error {
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
	err := newApp().Run(args)
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
