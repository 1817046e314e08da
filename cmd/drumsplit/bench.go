package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/internal/bench"
	"github.com/drumsplit/drumsplit/render"
	"github.com/drumsplit/drumsplit/separator"
	"github.com/drumsplit/drumsplit/torch"
)

func init() {
	register(&cli.Command{
		Name:      "bench",
		Usage:     "measure separation speed over a grid of overlap × batch × precision per device",
		ArgsUsage: " ",
		Description: "Times whole separations of a fixed input (by default a " + fmt.Sprint(bench.DefaultSeconds) +
			" s groove rendered from the Hydrogen kits with a fixed seed): after --warmup untimed runs, the median of --runs. " +
			"Reports real-time factor, chunks per second, peak host and device memory and the share of time the device was busy. " +
			"`make bench` runs it with scripts/bench_reference.py and regenerates BENCHMARKS.md; see BENCHMARKS.md.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "exported model `FILE` (.pt); required"},
			&cli.StringSliceFlag{Name: "device", Usage: "`DEVICE`s to measure: cpu, cuda, cuda:N, mps (default: every available one)"},
			&cli.StringFlag{Name: "input", Usage: "audio `FILE` to separate instead of the rendered groove"},
			&cli.Float64Flag{Name: "seconds", Usage: "input length `S` in seconds (default " + fmt.Sprint(bench.DefaultSeconds) + " rendered, or the whole --input)"},
			&cli.Uint64Flag{Name: "seed", Value: bench.DefaultSeed, Usage: "seed of the rendered groove"},
			&cli.StringFlag{Name: "kits", Value: render.DefaultKitsDir, Usage: "Hydrogen drum kits `DIR` for the rendered groove"},
			&cli.StringFlag{Name: "save-input", Usage: "write the input as a 32-bit float WAV `FILE` (for scripts/bench_reference.py)"},
			&cli.StringFlag{Name: "overlap", Value: "2,4,8", Usage: "overlaps to measure, comma-separated `LIST`"},
			&cli.StringFlag{Name: "batch", Value: "1,2,4,8", Usage: "batch sizes to measure, comma-separated `LIST`"},
			&cli.StringFlag{Name: "precision", Value: "auto", Usage: "precisions `LIST` (fp32, fp16, bf16); auto: fp32 on the CPU, fp32 and fp16 on GPUs"},
			&cli.IntFlag{Name: "runs", Value: 3, Usage: "timed separations per grid point (the median is reported)"},
			&cli.IntFlag{Name: "warmup", Value: 1, Usage: "untimed separations before them"},
			&cli.IntFlag{Name: "threads", Usage: "libtorch CPU threads (default: libtorch's own choice)"},
			&cli.StringFlag{Name: "stft", Value: "auto", Usage: "where the STFT runs: auto, model or go"},
			&cli.StringFlag{Name: "reference", Usage: "also measure every grid point with the reference, this `COMMAND` " +
				"(e.g. \"python3 scripts/bench_reference.py\"), taking turns point by point"},
			&cli.BoolFlag{Name: "json", Usage: "print the results as JSON"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the results to `FILE`, or to DIR/<machine>-<date>.json for a directory (merging into it)"},
		},
		Action: benchCmd,
		Subcommands: []*cli.Command{
			{
				Name:      "merge",
				Usage:     "merge result files (e.g. drumsplit's and the reference's) into one results file",
				ArgsUsage: "FILE...",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Required: true,
						Usage: "results `FILE`, or a DIR to write DIR/<machine>-<date>.json; an existing file is merged into"},
				},
				Action: benchMergeCmd,
			},
			{
				Name:  "report",
				Usage: "regenerate the matrix of BENCHMARKS.md from every results file",
				Description: "Rewrites the generated section of --markdown, linking to the chart at --chart. " +
					"The chart itself is drawn by `make bench-report` (go run ./internal/cmd/benchreport), " +
					"which keeps the plotting library out of this program.",
				ArgsUsage: " ",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "results", Value: filepath.Join("bench", "results"), Usage: "`DIR` of results files"},
					&cli.StringFlag{Name: "markdown", Value: "BENCHMARKS.md", Usage: "markdown `FILE` whose generated section is replaced"},
					&cli.StringFlag{Name: "chart", Value: filepath.Join("bench", "rtf.svg"), Usage: "SVG `FILE` of the chart the markdown links to (\"\" for none)"},
				},
				Action: benchReportCmd,
			},
		},
	})
}

func benchCmd(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("bench takes no arguments (got %q); did you mean --input?", c.Args().First())
	}
	overlaps, err := bench.ParseInts(c.String("overlap"))
	if err != nil {
		return usagef("--overlap: %v", err)
	}
	batches, err := bench.ParseInts(c.String("batch"))
	if err != nil {
		return usagef("--batch: %v", err)
	}
	if err := checkGrid(overlaps, batches, c.Int("threads")); err != nil {
		return err
	}
	precs, err := bench.ParsePrecisions(c.String("precision"))
	if err != nil {
		return usagef("--precision: %v", err)
	}
	stft := separator.STFTPlacement(strings.ToLower(c.String("stft")))
	switch stft {
	case separator.STFTAuto, separator.STFTModel, separator.STFTGo:
	default:
		return usagef("--stft: %q is not auto, model or go", c.String("stft"))
	}
	switch {
	case c.Int("runs") < 1:
		return usagef("--runs must be at least 1")
	case c.Int("warmup") < 0:
		return usagef("--warmup must not be negative")
	case c.Int("threads") < 0:
		return usagef("--threads must not be negative")
	case c.Float64("seconds") < 0:
		return usagef("--seconds must not be negative")
	}
	var devices []string
	for _, d := range c.StringSlice("device") {
		for _, x := range strings.Split(d, ",") {
			if x = strings.TrimSpace(x); x != "" && x != "auto" {
				devices = append(devices, x)
			}
		}
	}
	modelPath := c.String("model")
	if modelPath == "" {
		return usagef("bench needs --model FILE (an exported model)")
	}
	if _, err := os.Stat(modelPath); err != nil {
		return fmt.Errorf("model: %w", err)
	}

	var in *bench.Audio
	if p := c.String("input"); p != "" {
		in, err = bench.LoadInput(p, render.SampleRate, c.Float64("seconds"))
	} else {
		secs := c.Float64("seconds")
		if secs == 0 {
			secs = bench.DefaultSeconds
		}
		in, err = bench.RenderInput(c.String("kits"), secs, c.Uint64("seed"))
		if err == nil && in.Info.Source == "synthetic" {
			logf(slog.LevelWarn, "%s; using a synthetic drum signal instead", in.Info.Note)
		}
	}
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	if p := c.String("save-input"); p != "" {
		if err := in.Save(p); err != nil {
			return fmt.Errorf("save input: %w", err)
		}
	}

	quiet := c.Bool("quiet")
	errw := c.App.ErrWriter
	if errw == nil {
		errw = os.Stderr
	}
	var ref *bench.Reference
	if cmdline := strings.Fields(c.String("reference")); len(cmdline) > 0 {
		if ref, err = startReference(c, cmdline, modelPath, in); err != nil {
			return err
		}
		defer ref.Kill()
	}
	run, err := bench.Measure(c.Context, bench.Config{
		Model: modelPath, Devices: devices, Overlaps: overlaps, Batches: batches, Precisions: precs,
		Runs: c.Int("runs"), Warmup: c.Int("warmup"), Threads: c.Int("threads"), STFT: stft,
		Input: in, Tool: fmt.Sprintf("drumsplit %s (commit %s)", Version, Commit),
		Reference: ref,
		Logger:    logger,
		Progress: func(tool string, r bench.Result) {
			if !quiet {
				fmt.Fprintln(errw, progressLine(tool, r))
			}
		},
	})
	if err != nil {
		logLibraryDetail(err)
		return err
	}
	f := bench.NewFile()
	f.Runs = []bench.Run{*run}
	if ref != nil {
		refRun, err := ref.Finish()
		if err != nil {
			return err
		}
		f.Runs = append(f.Runs, *refRun)
	}
	if out := c.String("output"); out != "" {
		path, err := writeResults(out, f)
		if err != nil {
			return err
		}
		if !quiet {
			fmt.Fprintf(errw, "wrote %q\n", path)
		}
	}
	switch {
	case c.Bool("json"):
		return f.Write(c.App.Writer)
	case c.String("output") == "":
		return printTable(c.App.Writer, run)
	}
	return nil
}

// startReference starts the reference with the same model, input, runs,
// warm-up and CPU threads as drumsplit. The input goes through a file:
// --save-input's, or a temporary one.
func startReference(c *cli.Context, cmdline []string, modelPath string, in *bench.Audio) (*bench.Reference, error) {
	if c.Int("threads") > 0 {
		if err := torch.SetThreads(c.Int("threads")); err != nil {
			logLibraryDetail(err)
			return nil, err
		}
	}
	threads, err := torch.Threads()
	if err != nil {
		logLibraryDetail(err)
		return nil, err
	}
	inputPath := c.String("save-input")
	if inputPath == "" {
		dir, err := os.MkdirTemp("", "drumsplit-bench-")
		if err != nil {
			return nil, err
		}
		// The reference reads the file before it says it is ready.
		defer os.RemoveAll(dir)
		inputPath = filepath.Join(dir, "input.wav")
		if err := in.Save(inputPath); err != nil {
			return nil, fmt.Errorf("save input: %w", err)
		}
	}
	errw := c.App.ErrWriter
	if errw == nil {
		errw = os.Stderr
	}
	ref, err := bench.StartReference(c.Context, bench.ReferenceOptions{
		Command: cmdline, Model: modelPath, Input: inputPath, Threads: threads,
		Runs: c.Int("runs"), Warmup: c.Int("warmup"), Stderr: errw,
	})
	if err != nil {
		return nil, err
	}
	if ref.Threads != threads {
		logf(slog.LevelWarn, "the reference runs %d CPU threads, drumsplit %d", ref.Threads, threads)
	}
	return ref, nil
}

// progressLine describes one finished grid point for the terminal.
func progressLine(tool string, r bench.Result) string {
	head := fmt.Sprintf("%-9s %-6s %-4s overlap %d batch %d:", tool, r.Device, r.Precision, r.Overlap, r.Batch)
	if r.Error != "" {
		return head + " failed: " + r.Error
	}
	return fmt.Sprintf("%s %.2f s (RTF %.3f, CPU %.2f s, %.2f chunks/s, device busy %.0f%%)",
		head, r.Median, r.RTF, r.CPUSeconds, r.ChunksPerSec, 100*r.DeviceBusy)
}

func printTable(w io.Writer, run *bench.Run) error {
	fmt.Fprintf(w, "%s on %s, libtorch %s; model %s; input %.1f s; %d threads\n",
		run.ToolVersion, run.Machine.CPU, run.Machine.Libtorch, run.Model.Name, run.Input.Seconds, run.Settings.Threads)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "device\tprecision\toverlap\tbatch\tseconds\tRTF\tchunks/s\tdevice busy\tpeak RSS MiB\t")
	for _, r := range run.Results {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\tfailed: %s\t\t\t\t\t\n", r.Device, r.Precision, r.Overlap, r.Batch, r.Error)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.2f\t%.3f\t%.2f\t%.0f%%\t%.0f\t\n", r.Device, r.Precision, r.Overlap, r.Batch,
			r.Median, r.RTF, r.ChunksPerSec, 100*r.DeviceBusy, float64(r.PeakRSS)/(1<<20))
	}
	return tw.Flush()
}

// writeResults writes f to out, a file or a directory (then the file is
// DIR/<machine>-<date>.json); an existing results file is merged into.
func writeResults(out string, f *bench.File) (string, error) {
	path := out
	if st, err := os.Stat(out); err == nil && st.IsDir() || strings.HasSuffix(out, "/") || strings.HasSuffix(out, string(os.PathSeparator)) {
		name, err := f.DefaultName()
		if err != nil {
			return "", err
		}
		path = filepath.Join(out, name)
	}
	dst := bench.NewFile()
	if old, err := bench.ReadFile(path); err == nil {
		dst = old
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("cannot merge into %q: %w", path, err)
	}
	dst.Add(f.Runs...)
	if err := dst.WriteFile(path); err != nil {
		return "", fmt.Errorf("write results: %w", err)
	}
	return path, nil
}

func benchMergeCmd(c *cli.Context) error {
	if c.NArg() == 0 {
		return usagef("bench merge needs result files to merge")
	}
	f := bench.NewFile()
	for _, p := range c.Args().Slice() {
		g, err := bench.ReadFile(p)
		if err != nil {
			return err
		}
		f.Add(g.Runs...)
	}
	path, err := writeResults(c.String("output"), f)
	if err != nil {
		return err
	}
	if !c.Bool("quiet") {
		fmt.Fprintf(c.App.Writer, "wrote %q\n", path)
	}
	return nil
}

func benchReportCmd(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("bench report takes no arguments")
	}
	if err := bench.WriteReport(c.String("results"), c.String("markdown"), c.String("chart"), nil); err != nil {
		return fmt.Errorf("bench report: %w", err)
	}
	if !c.Bool("quiet") {
		fmt.Fprintf(c.App.Writer, "wrote %q\n", c.String("markdown"))
	}
	return nil
}
