package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
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

// transcribeArgs are the parsed flags of transcribe.
type transcribeArgs struct {
	out, plot string
	auto      bool
	bpm       float64
	quantize  int
	dmap      *transcribe.DrumMap
}

func parseTranscribeArgs(c *cli.Context) (transcribeArgs, error) {
	a := transcribeArgs{out: c.String("out"), plot: c.String("plot")}
	if !c.Args().Present() {
		return a, usagef("transcribe needs a folder of stems (DIR...)")
	}
	if c.NArg() > 1 && (a.out != "" || a.plot != "") {
		return a, usagef("-o and --plot take one DIR (got %d)", c.NArg())
	}
	switch t := c.String("tempo"); t {
	case "auto":
		a.auto = true
	default:
		v, err := strconv.ParseFloat(t, 64)
		if err != nil || !(v >= 10 && v <= 1000) {
			return a, usagef("--tempo %q: want a number of BPM from 10 to 1000, or auto", t)
		}
		a.bpm = v
	}
	if q := c.String("quantize"); q != "" && q != "off" {
		n, err := strconv.Atoi(strings.TrimPrefix(q, "1/"))
		if err != nil || !strings.HasPrefix(q, "1/") || n <= 0 || transcribe.PPQ*4%n != 0 {
			return a, usagef("--quantize %q: want 1/N with N a divisor of %d (1/4, 1/8, 1/16, 1/32, 1/12…)", q, transcribe.PPQ*4)
		}
		a.quantize = n
	}
	if p := a.plot; p != "" {
		if ext := strings.ToLower(filepath.Ext(p)); ext != ".svg" && ext != ".png" {
			return a, usagef("--plot %q: want a .svg or .png file", p)
		}
	}
	if f := c.String("drum-map"); f != "" {
		m, err := transcribe.LoadDrumMap(f)
		if err != nil {
			return a, usagef("--drum-map: %v", err)
		}
		a.dmap = m
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
		line, err := transcribeDir(dir, a)
		if err != nil {
			fmt.Fprintf(c.App.ErrWriter, "drumsplit: %v\n", err)
			failed++
			continue
		}
		fmt.Fprintln(c.App.Writer, line)
	}
	if failed > 0 {
		return cli.Exit("", exitFailed)
	}
	return nil
}

// transcribeDir transcribes one folder and returns the line to print.
func transcribeDir(dir string, a transcribeArgs) (string, error) {
	in, err := transcribe.ReadDir(dir)
	if err != nil {
		return "", err
	}
	notes, err := transcribe.Transcribe(in, transcribe.Options{Map: a.dmap})
	if err != nil {
		return "", fmt.Errorf("%q: %w", dir, err)
	}
	bpm := a.bpm
	if a.auto {
		bpm = transcribe.EstimateTempo(notes)
	}
	var buf bytes.Buffer
	if err := transcribe.WriteSMF(&buf, notes, transcribe.SMFOptions{BPM: bpm, Quantize: a.quantize, Map: a.dmap}); err != nil {
		return "", err
	}
	out := a.out
	if out == "" {
		out = filepath.Join(dir, "drums.mid")
	}
	if err := writeFileAtomic(out, buf.Bytes()); err != nil {
		return "", err
	}
	if a.plot != "" {
		if err := transcribe.PlotFile(a.plot, in, notes); err != nil {
			return "", err
		}
	}
	count := map[string]int{}
	for _, n := range notes {
		count[n.Stem]++
	}
	var parts []string
	for _, s := range transcribe.StemNames {
		if n, ok := count[s]; ok {
			parts = append(parts, fmt.Sprintf("%s %d", s, n))
			delete(count, s)
		}
	}
	var rest []string
	for s := range count {
		rest = append(rest, s)
	}
	sort.Strings(rest)
	for _, s := range rest {
		parts = append(parts, fmt.Sprintf("%s %d", s, count[s]))
	}
	detail := ""
	if len(parts) > 0 {
		detail = " (" + strings.Join(parts, ", ") + ")"
	}
	return fmt.Sprintf("%s: %d notes%s at %g BPM → %s", dir, len(notes), detail, bpm, out), nil
}

// writeFileAtomic writes data to a temporary file next to path and renames
// it into place, so that a failed write leaves no partial file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
