package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/internal/runlog"
)

func init() {
	register(&cli.Command{
		Name:        "summary",
		Usage:       "merge the --json logs of separate runs (the shards of a catalogue) into totals",
		ArgsUsage:   "LOG|DIR...",
		Description: helpText("summary"),
		Flags:       []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the totals as JSON"}},
		Action:      summaryCmd,
	})
}

// logExtensions are the names summary reads from a folder.
var logExtensions = []string{".json", ".jsonl", ".ndjson", ".log"}

// summaryJSON is summary's --json output.
type summaryJSON struct {
	*runlog.Totals
	Complete bool `json:"complete"`
}

func summaryCmd(c *cli.Context) error {
	if c.NArg() == 0 {
		return usagef("summary: name the logs (files, folders of *.json, *.jsonl, *.ndjson or *.log, or - for standard input)")
	}
	paths, err := logPaths(c.Args().Slice())
	if err != nil {
		return err
	}
	var logs []runlog.Log
	for _, p := range paths {
		if p == "-" {
			logs = append(logs, runlog.Log{Name: "standard input", R: os.Stdin})
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("log %q: %w", p, causeOf(err))
		}
		defer f.Close()
		logs = append(logs, runlog.Log{Name: p, R: f})
	}
	t, err := runlog.Merge(logs)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		err = enc.Encode(summaryJSON{Totals: t, Complete: t.Complete()})
	} else {
		err = t.WriteText(c.App.Writer)
	}
	if err != nil {
		return err
	}
	if !t.Complete() {
		return cli.Exit("", exitFailed)
	}
	return nil
}

// logPaths expands the arguments: a folder gives its log files (by
// logExtensions, not hidden), sorted; a folder without any is an error.
func logPaths(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		switch {
		case a == "-":
			out = append(out, a)
			continue
		case errors.Is(err, os.ErrNotExist):
			return nil, usagef("log %q: no such file or folder", a)
		case err != nil:
			return nil, fmt.Errorf("log %q: %w", a, causeOf(err))
		case !st.IsDir():
			out = append(out, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, fmt.Errorf("log folder %q: %w", a, causeOf(err))
		}
		n := len(out)
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, ".") && e.Type().IsRegular() && slices.Contains(logExtensions, strings.ToLower(filepath.Ext(name))) {
				out = append(out, filepath.Join(a, name))
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("log folder %q: no %s file in it", a, strings.Join(logExtensions, ", "))
		}
	}
	return out, nil
}

// causeOf is an OS error without the operation and path an *os.PathError
// adds, for messages that name the file themselves.
func causeOf(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
