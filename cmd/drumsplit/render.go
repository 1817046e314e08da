package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/render"
)

// renderDescription is the help text of render (help/render.txt), with
// the kits folder, the styles and the held-out kits filled in.
var renderDescription = helpText("render",
	"{{kits_dir}}", render.DefaultKitsDir,
	"{{styles}}", strings.Join(render.Styles(), ", "),
	"{{held_out}}", strings.Join(render.HeldOutKits, ", "),
	"{{held_out_list}}", strings.Join(render.HeldOutKits, ","))

func init() {
	register(&cli.Command{
		Name:        "render",
		Usage:       "render drum tracks with known stems from Hydrogen drum kits",
		Description: renderDescription,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "kits", Value: render.DefaultKitsDir, Usage: "folder of Hydrogen kits `DIR` (one kit per subfolder)"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output folder `DIR`"},
			&cli.IntFlag{Name: "tracks", Aliases: []string{"n"}, Value: 10, Usage: "number of generated tracks"},
			&cli.Float64Flag{Name: "seconds", Aliases: []string{"s"}, Value: 30, Usage: "length of a generated track; with --midi, cut files longer than this (0: whole files)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the set"},
			&cli.StringFlag{Name: "split", Usage: "split `NAME`: train, valid, test, … (default train; test with --held-out)"},
			&cli.IntFlag{Name: "first", Usage: "number of the first track, to extend a set"},
			&cli.StringSliceFlag{Name: "kits-include", Usage: "use only these kits (comma-separated names)"},
			&cli.StringSliceFlag{Name: "kits-exclude", Usage: "leave these kits out (comma-separated names)"},
			&cli.BoolFlag{Name: "held-out", Usage: "render the evaluation set from the held-out kits (split test)"},
			&cli.StringFlag{Name: "style", Usage: "groove style for every track (default: random per track)"},
			&cli.StringSliceFlag{Name: "midi", Usage: "render these MIDI files or folders of .mid files instead of generated grooves"},
			&cli.IntFlag{Name: "stems", Value: 6, Usage: "6 (kick snare toms hh ride crash) or 5 (… hh cymbals)"},
			&cli.BoolFlag{Name: "other", Usage: "render claps, cowbells and percussion into other.wav instead of dropping them"},
			&cli.BoolFlag{Name: "augment", Usage: "augment each track's kit: instrument gains, EQ tilt, room reverb, saturation, L/R swap, level"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: runtime.NumCPU(), Usage: "tracks rendered in parallel"},
			&cli.BoolFlag{Name: "list-kits", Usage: "list the kits, their instruments' stems and whether they are used, then exit"},
		},
		Action: renderCmd,
	})
}

func renderCmd(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("render takes no arguments (got %q)", c.Args().First())
	}
	kits, err := render.LoadKits(c.String("kits"), logger)
	if err != nil {
		return err
	}
	include, exclude := splitList(c.StringSlice("kits-include")), splitList(c.StringSlice("kits-exclude"))
	split := c.String("split")
	if c.Bool("held-out") {
		if len(include) > 0 {
			return usagef("render: --held-out and --kits-include cannot be used together")
		}
		include = render.HeldOutKits
		if split == "" {
			split = "test"
		}
	}
	if split == "" {
		split = "train"
	}
	if c.Bool("list-kits") {
		return listKits(c, kits, include, exclude)
	}
	out := c.String("out")
	if out == "" {
		return usagef("render: --out is required")
	}
	var layout render.Layout
	switch c.Int("stems") {
	case 6:
		layout = render.Layout6
	case 5:
		layout = render.Layout5
	default:
		return usagef("render: --stems must be 5 or 6, not %d", c.Int("stems"))
	}
	if s := c.String("style"); s != "" {
		if _, err := render.Generate(render.GrooveOptions{Seconds: 1, Style: s}, render.NewRand(0)); err != nil {
			return usagef("render: %v", err)
		}
	}
	if c.Int("tracks") < 1 && len(c.StringSlice("midi")) == 0 {
		return usagef("render: --tracks must be at least 1")
	}
	if c.Float64("seconds") < 0 || (c.Float64("seconds") == 0 && len(c.StringSlice("midi")) == 0) {
		return usagef("render: --seconds must be positive")
	}
	if c.Int("first") < 0 {
		return usagef("render: --first must not be negative")
	}
	selected, err := render.ChooseKits(kits, include, exclude, split, logger)
	if err != nil {
		return usagef("render: %v", err)
	}
	midi, err := midiFiles(c.StringSlice("midi"))
	if err != nil {
		return err
	}
	var names []string
	for _, k := range selected {
		names = append(names, filepath.Base(k.Dir))
	}
	logf(slog.LevelInfo, "render: kits %s", strings.Join(names, ", "))

	quiet := anyBool(c, "quiet")
	res, err := render.RenderSet(render.SetOptions{
		Logger: logger,
		Out:    out, Split: split, Kits: selected,
		Tracks: c.Int("tracks"), First: c.Int("first"), Seconds: c.Float64("seconds"),
		Seed: c.Uint64("seed"), Style: c.String("style"), MIDI: midi,
		Options: render.Options{Layout: layout, Other: c.Bool("other"), Augment: c.Bool("augment")},
		Jobs:    c.Int("jobs"),
		Progress: func(r render.TrackResult) {
			if r.Err != nil {
				printLine("drumsplit: render: " + errorLine("", r.Err))
				return
			}
			logf(slog.LevelDebug, "render: %s/%s (%s, %.1f s) in %s; dropped %v", split, r.Name, r.Kit, r.Seconds, r.Elapsed, r.Dropped)
		},
	})
	if !quiet || err != nil {
		fmt.Fprintln(c.App.Writer, res.Line(filepath.Join(out, split)))
	}
	if err != nil && res.Failed > 0 {
		// Each failed track had its line already.
		return cli.Exit(fmt.Sprintf("render: %d of %d tracks failed", res.Failed, res.Failed+res.Tracks), exitFailed)
	}
	return err
}

// splitList flattens comma-separated list flags, trimming blanks.
func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// midiFiles expands folders into their .mid / .midi files, sorted.
func midiFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range splitList(paths) {
		st, err := os.Stat(p)
		if err != nil {
			return nil, usagef("render: --midi: %v", err)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		found, err := render.MIDIFolder(p)
		if err != nil {
			return nil, fmt.Errorf("render: --midi: %w", err)
		}
		files = append(files, found...)
	}
	return files, nil
}

// listKits prints every kit, whether the selection uses it, and its
// instruments' stems.
func listKits(c *cli.Context, kits []*render.Kit, include, exclude []string) error {
	_, skipped, err := render.Select(kits, include, exclude)
	if err != nil && len(skipped) == 0 {
		return usagef("render: %v", err)
	}
	return render.WriteKitList(c.App.Writer, kits, skipped)
}
