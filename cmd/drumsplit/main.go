// Command drumsplit splits drum recordings into stems (kick, snare, toms,
// hi-hat, ride, crash) with MDX23C / TFC-TDF v3 models run through libtorch.
//
// This package holds flags and wiring only; the work is done by the library
// packages (audio, stft, separator, torch, …). Each subcommand lives in a file
// of its own and registers itself with register in an init function.
package main

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"
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
			configureLogging(c.Bool("quiet"), c.Bool("verbose"))
			return nil
		},
		OnUsageError: func(c *cli.Context, err error, isSubcommand bool) error {
			return usageError{err.Error()}
		},
		ExitErrHandler: func(*cli.Context, error) {}, // main reports errors itself
	}
}

// configureLogging sets logrus up: warnings by default (quiet by default,
// as the brief asks), errors only with -q, debug with -v.
func configureLogging(quiet, verbose bool) {
	logrus.SetOutput(os.Stderr)
	logrus.SetFormatter(&logrus.TextFormatter{DisableTimestamp: true})
	switch {
	case quiet:
		logrus.SetLevel(logrus.ErrorLevel)
	case verbose:
		logrus.SetLevel(logrus.DebugLevel)
	default:
		logrus.SetLevel(logrus.WarnLevel)
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
		fmt.Fprintf(os.Stderr, "drumsplit: %v (see drumsplit --help)\n", err)
		return exitUsage
	case errors.As(err, &ec):
		if msg := err.Error(); msg != "" {
			fmt.Fprintf(os.Stderr, "drumsplit: %s\n", msg)
		}
		return ec.ExitCode()
	default:
		fmt.Fprintf(os.Stderr, "drumsplit: %v\n", err)
		return exitFailed
	}
}
