package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/drumsplit/drumsplit/render"
	"github.com/drumsplit/drumsplit/torch"
)

// Session is a whole `drumsplit bench` run: its input, the grid measured
// by drumsplit and, when a reference command is given, by the reference
// too, the two taking turns point by point.
type Session struct {
	// Config is the grid; RunSession fills in its Input and Reference.
	Config
	// InputFile is an audio file to separate instead of the rendered
	// groove ("" renders one).
	InputFile string
	// Seconds is the input's length: 0 is DefaultSeconds rendered, or the
	// whole InputFile.
	Seconds float64
	// Kits is the folder of Hydrogen drum kits the groove is rendered
	// from, and Seed the groove's seed.
	Kits string
	Seed uint64
	// SaveInput, when set, is where the input is written as a 32-bit float
	// WAV file (for scripts/bench_reference.py).
	SaveInput string
	// ReferenceCommand is the reference's command line, e.g. python3
	// scripts/bench_reference.py; nil measures drumsplit alone.
	ReferenceCommand []string
	// Stderr receives the reference's own messages; nil discards them.
	Stderr io.Writer
	// NoGrid skips the steady-state grid (and its reference).
	NoGrid bool
	// Process, when it has models, is the whole-process comparison run
	// after the grid on the same input; RunSession fills in its Input,
	// InputInfo, Runs, Tool, Machine and Stderr.
	Process ProcessConfig
}

// RunSession prepares the input, starts the reference if there is one,
// measures the grid, then the whole-process comparison if there is one,
// and returns the results file (drumsplit's run, then the reference's, and
// the comparisons) and drumsplit's run (nil with NoGrid).
func RunSession(ctx context.Context, s Session) (*File, *Run, error) {
	in, err := s.input()
	if err != nil {
		return nil, nil, fmt.Errorf("input: %w", err)
	}
	if s.SaveInput != "" {
		if err := in.Save(s.SaveInput); err != nil {
			return nil, nil, fmt.Errorf("save input: %w", err)
		}
	}
	f := NewFile()
	var run *Run
	if !s.NoGrid {
		if run, err = s.grid(ctx, in, f); err != nil {
			return nil, nil, err
		}
	}
	if len(s.Process.Models) > 0 {
		ps, err := s.processes(ctx, in)
		if err != nil {
			return nil, nil, err
		}
		f.Processes = ps
	}
	return f, run, nil
}

// processes runs the whole-process comparison on the input, through
// SaveInput's file or a temporary one.
func (s *Session) processes(ctx context.Context, in *Audio) ([]Process, error) {
	pc := s.Process
	pc.Input, pc.InputInfo, pc.Runs, pc.Tool, pc.Stderr = s.SaveInput, in.Info, s.Runs, s.Tool, s.Stderr
	if pc.Input == "" {
		dir, err := os.MkdirTemp("", "drumsplit-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		pc.Input = filepath.Join(dir, "input.wav")
		if err := in.Save(pc.Input); err != nil {
			return nil, fmt.Errorf("save input: %w", err)
		}
	}
	pc.Machine = DescribeHost()
	if v, err := torch.Versions(); err == nil {
		pc.Machine.Libtorch = v.Libtorch
	}
	return MeasureProcesses(ctx, pc)
}

// grid measures the steady-state grid and adds its runs to f.
func (s *Session) grid(ctx context.Context, in *Audio, f *File) (*Run, error) {
	var err error
	cfg := s.Config
	cfg.Input = in
	if len(s.ReferenceCommand) > 0 {
		if cfg.Reference, err = s.startReference(ctx, in); err != nil {
			return nil, err
		}
		defer cfg.Reference.Kill()
	}
	run, err := Measure(ctx, cfg)
	if err != nil {
		return nil, err
	}
	f.Runs = []Run{*run}
	if cfg.Reference != nil {
		refRun, err := cfg.Reference.Finish()
		if err != nil {
			return nil, err
		}
		f.Runs = append(f.Runs, *refRun)
	}
	return run, nil
}

// input loads InputFile or renders the groove (a synthetic drum signal,
// with a warning, where there are no kits).
func (s *Session) input() (*Audio, error) {
	if s.InputFile != "" {
		return LoadInput(s.InputFile, render.SampleRate, s.Seconds)
	}
	secs := s.Seconds
	if secs == 0 {
		secs = DefaultSeconds
	}
	in, err := RenderInput(s.Kits, secs, s.Seed)
	if err == nil && in.Info.Source == "synthetic" && s.Logger != nil {
		s.Logger.Warn(in.Info.Note + "; using a synthetic drum signal instead")
	}
	return in, err
}

// startReference starts the reference with the same model, input, runs,
// warm-up and CPU threads as drumsplit. The input goes through a file:
// SaveInput's, or a temporary one.
func (s *Session) startReference(ctx context.Context, in *Audio) (*Reference, error) {
	if s.Threads > 0 {
		if err := torch.SetThreads(s.Threads); err != nil {
			return nil, err
		}
	}
	threads, err := torch.Threads()
	if err != nil {
		return nil, err
	}
	inputPath := s.SaveInput
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
	ref, err := StartReference(ctx, ReferenceOptions{
		Command: s.ReferenceCommand, Model: s.Model, Input: inputPath, Threads: threads,
		Runs: s.Runs, Warmup: s.Warmup, Stderr: s.Stderr,
	})
	if err != nil {
		return nil, err
	}
	if ref.Threads != threads && s.Logger != nil {
		s.Logger.Warn(fmt.Sprintf("the reference runs %d CPU threads, drumsplit %d", ref.Threads, threads))
	}
	return ref, nil
}

// WriteResults writes f to out, a file or a directory (then the file is
// DIR/<machine>-<date>.json, as a name ending in a separator says too), and
// returns the path written. An existing results file is merged into: runs
// of f replace the runs measuring the same thing.
func WriteResults(out string, f *File) (string, error) {
	path := out
	if st, err := os.Stat(out); err == nil && st.IsDir() || strings.HasSuffix(out, "/") || strings.HasSuffix(out, string(os.PathSeparator)) {
		name, err := f.DefaultName()
		if err != nil {
			return "", err
		}
		path = filepath.Join(out, name)
	}
	dst := NewFile()
	if old, err := ReadFile(path); err == nil {
		dst = old
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("cannot merge into %q: %w", path, err)
	}
	dst.Add(f.Runs...)
	dst.AddProcesses(f.Processes...)
	if err := dst.WriteFile(path); err != nil {
		return "", fmt.Errorf("write results: %w", err)
	}
	return path, nil
}

// ProgressLine describes one finished grid point, measured by tool, for
// the terminal.
func ProgressLine(tool string, r Result) string {
	head := fmt.Sprintf("%-9s %-6s %-4s overlap %d batch %d:", tool, r.Device, r.Precision, r.Overlap, r.Batch)
	if r.Error != "" {
		return head + " failed: " + r.Error
	}
	return fmt.Sprintf("%s %.2f s (RTF %.3f, CPU %.2f s, %.2f chunks/s, device busy %.0f%%)",
		head, r.Median, r.RTF, r.CPUSeconds, r.ChunksPerSec, 100*r.DeviceBusy)
}

// ProcessLine describes one finished whole-process comparison for the
// terminal.
func ProcessLine(p Process) string {
	side := func(s ProcessSide) string {
		if !s.OK() {
			return "failed: " + s.Error
		}
		return fmt.Sprintf("%.2f s (CPU %.2f s, peak RSS %s)", s.Median, s.CPUSeconds, formatBytes(s.MedianRSS))
	}
	line := fmt.Sprintf("whole process, %s: drumsplit %s; reference %s", p.Model.Name, side(p.Drumsplit), side(p.Reference))
	if r := p.WallRatio(); r > 0 {
		line += fmt.Sprintf("; drumsplit / reference %.2f", r)
	}
	return line
}

// WriteTable writes the run as a table for the terminal: a header line,
// then one row per grid point.
func (run *Run) WriteTable(w io.Writer) error {
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
