package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/internal/bench"
	"github.com/drumsplit/drumsplit/render"
	"github.com/drumsplit/drumsplit/separator"
)

func init() {
	register(&cli.Command{
		Name:        "bench",
		Usage:       "measure separation speed over a grid of overlap × batch × precision per device",
		ArgsUsage:   " ",
		Description: helpText("bench", "{{seconds}}", fmt.Sprint(bench.DefaultSeconds)),
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
			&cli.BoolFlag{Name: "grid", Value: true, Usage: "measure the steady-state grid (--grid=false: only the whole-process comparison)"},
			&cli.StringFlag{Name: "process", Usage: "also compare whole processes on these exported models, comma-separated `LIST`: " +
				"drumsplit separate at its defaults against --process-reference, each started anew per run and writing " +
				"its stems; X.pt needs the MSST checkpoint X.ckpt and config X.yaml it came from beside it"},
			&cli.StringFlag{Name: "process-reference", Usage: "the reference of --process, this `COMMAND` given MSST inference.py's " +
				"flags (e.g. \"python3 scripts/msst_infer.py\")"},
			&cli.IntFlag{Name: "process-threads", Usage: "CPU threads `N` for both tools of --process (drumsplit --threads, " +
				"the reference OMP_NUM_THREADS; default: each tool's own default)"},
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
				Name:        "report",
				Usage:       "regenerate the matrix of BENCHMARKS.md from every results file",
				Description: helpText("bench-report"),
				ArgsUsage:   " ",
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
	var procModels []bench.ProcessModel
	for _, p := range strings.Split(c.String("process"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			procModels = append(procModels, bench.ProcessModelFor(p))
		}
	}
	procRef := strings.Fields(c.String("process-reference"))
	switch {
	case len(procModels) > 0 && len(procRef) == 0:
		return usagef("--process needs --process-reference COMMAND (e.g. \"python3 scripts/msst_infer.py\")")
	case c.Int("process-threads") < 0:
		return usagef("--process-threads must not be negative")
	case !c.Bool("grid") && len(procModels) == 0:
		return usagef("--grid=false leaves nothing to measure without --process")
	}
	var self string
	if len(procModels) > 0 {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("whole-process comparison: cannot find the drumsplit program: %w", err)
		}
		self = exe
	}
	devices := bench.ParseDevices(c.StringSlice("device"))
	modelPath := c.String("model")
	if modelPath == "" {
		return usagef("bench needs --model FILE (an exported model)")
	}
	if _, err := os.Stat(modelPath); err != nil {
		return fmt.Errorf("model: %w", err)
	}

	quiet := c.Bool("quiet")
	errw := c.App.ErrWriter
	if errw == nil {
		errw = os.Stderr
	}
	f, run, err := bench.RunSession(c.Context, bench.Session{
		Config: bench.Config{
			Model: modelPath, Devices: devices, Overlaps: overlaps, Batches: batches, Precisions: precs,
			Runs: c.Int("runs"), Warmup: c.Int("warmup"), Threads: c.Int("threads"), STFT: stft,
			Tool:   fmt.Sprintf("drumsplit %s (commit %s)", Version, Commit),
			Logger: logger,
			Progress: func(tool string, r bench.Result) {
				if !quiet {
					fmt.Fprintln(errw, bench.ProgressLine(tool, r))
				}
			},
		},
		InputFile: c.String("input"), Seconds: c.Float64("seconds"), Kits: c.String("kits"), Seed: c.Uint64("seed"),
		SaveInput: c.String("save-input"), ReferenceCommand: strings.Fields(c.String("reference")), Stderr: errw,
		NoGrid: !c.Bool("grid"),
		Process: bench.ProcessConfig{
			Models: procModels, Drumsplit: self, Reference: procRef, Threads: c.Int("process-threads"),
			Progress: func(p bench.Process) {
				if !quiet {
					fmt.Fprintln(errw, bench.ProcessLine(p))
				}
			},
		},
	})
	if err != nil {
		logLibraryDetail(err)
		return err
	}
	if out := c.String("output"); out != "" {
		path, err := bench.WriteResults(out, f)
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
		if run != nil {
			if err := run.WriteTable(c.App.Writer); err != nil {
				return err
			}
		}
		for _, p := range f.Processes {
			fmt.Fprintln(c.App.Writer, bench.ProcessLine(p))
		}
	}
	return nil
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
		f.AddProcesses(g.Processes...)
	}
	path, err := bench.WriteResults(c.String("output"), f)
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
