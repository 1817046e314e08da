package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/transcribe"
)

// transcribeDescription is the help text of transcribe
// (help/transcribe.txt), with the built-in drum maps filled in.
var transcribeDescription = helpText("transcribe",
	"{{maps}}", strings.Join(transcribe.BuiltinMaps(), ", "))

func init() {
	register(&cli.Command{
		Name:        "transcribe",
		Usage:       "turn drum stems into a General MIDI drum file",
		ArgsUsage:   "DIR...",
		Description: transcribeDescription,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "MIDI file `FILE.mid` to write (one DIR only; default DIR/drums.mid)"},
			&cli.StringFlag{Name: "tempo", Value: "120", Usage: "tempo written, in BPM, or auto"},
			&cli.StringFlag{Name: "quantize", Usage: "snap notes to a grid such as `1/16` (default: exact times)"},
			&cli.StringFlag{Name: "drum-map", Usage: "drum map `FILE.json` or built-in name (default: General MIDI)"},
			&cli.StringFlag{Name: "plot", Usage: "write a piano roll to `FILE.svg` or FILE.png (one DIR only)"},
		},
		Action: transcribeCmd,
	})
}

// parseTranscribeArgs checks the flags of transcribe.
func parseTranscribeArgs(c *cli.Context) (transcribe.DirOptions, error) {
	a := transcribe.DirOptions{Out: c.String("out"), Plot: c.String("plot")}
	if !c.Args().Present() {
		return a, usagef("transcribe needs a folder of stems (DIR...)")
	}
	if c.NArg() > 1 && (a.Out != "" || a.Plot != "") {
		return a, usagef("-o and --plot take one DIR (got %d)", c.NArg())
	}
	switch t := c.String("tempo"); t {
	case "auto":
		a.AutoTempo = true
	default:
		v, err := strconv.ParseFloat(t, 64)
		if err != nil || !(v >= 10 && v <= 1000) {
			return a, usagef("--tempo %q: want a number of BPM from 10 to 1000, or auto", t)
		}
		a.BPM = v
	}
	if q := c.String("quantize"); q != "" && q != "off" {
		n, err := strconv.Atoi(strings.TrimPrefix(q, "1/"))
		if err != nil || !strings.HasPrefix(q, "1/") || n <= 0 || transcribe.PPQ*4%n != 0 {
			return a, usagef("--quantize %q: want 1/N with N a divisor of %d (1/4, 1/8, 1/16, 1/32, 1/12…)", q, transcribe.PPQ*4)
		}
		a.Quantize = n
	}
	if p := a.Plot; p != "" {
		if ext := strings.ToLower(filepath.Ext(p)); ext != ".svg" && ext != ".png" {
			return a, usagef("--plot %q: want a .svg or .png file", p)
		}
	}
	if f := c.String("drum-map"); f != "" {
		m, err := transcribe.LoadDrumMap(f)
		if err != nil {
			return a, usagef("--drum-map: %v", err)
		}
		a.Map = m
	}
	return a, nil
}

func transcribeCmd(c *cli.Context) error {
	a, err := parseTranscribeArgs(c)
	if err != nil {
		return err
	}
	failed := 0
	for _, dir := range c.Args().Slice() {
		res, err := transcribe.TranscribeDir(dir, a)
		if err != nil {
			fmt.Fprintf(c.App.ErrWriter, "drumsplit: %v\n", err)
			failed++
			continue
		}
		fmt.Fprintln(c.App.Writer, res)
	}
	if failed > 0 {
		return cli.Exit("", exitFailed)
	}
	return nil
}
