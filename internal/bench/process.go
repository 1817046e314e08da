package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/drumsplit/drumsplit/internal/host"
	"github.com/drumsplit/drumsplit/model"
)

// Process is one whole-process comparison: drumsplit and the reference
// each started as a user starts them, one model, one input file, stems
// written to disk, timed from the start of the process to its exit. The
// steady-state grid (Run) leaves out what a user waits for besides the
// separation itself: interpreter and library start-up, reading the model,
// decoding and encoding the audio.
type Process struct {
	Date    time.Time `json:"date"`      // when the comparison started
	Elapsed float64   `json:"elapsed_s"` // all its runs
	Machine Machine   `json:"machine"`
	Model   Model     `json:"model"`
	// Width is the network's channel count at its first scale
	// (model.num_channels of the config): 128 for the published DrumSep-6.
	Width int   `json:"width,omitempty"`
	Input Input `json:"input"`
	// Threads is the CPU thread count both tools were asked for: drumsplit
	// with --threads, the reference with OMP_NUM_THREADS. 0: each tool's
	// default.
	Threads int `json:"threads"`
	// Runs is the number of timed processes per tool; the tools take turns
	// (drumsplit, reference, drumsplit, …).
	Runs int `json:"runs"`
	// Env holds the EnvVars set for both tools.
	Env       map[string]string `json:"env,omitempty"`
	Drumsplit ProcessSide       `json:"drumsplit"`
	Reference ProcessSide       `json:"reference"`
	Notes     []string          `json:"notes,omitempty"`
}

// ProcessSide is one tool's processes in a comparison.
type ProcessSide struct {
	// Tool describes the tool, e.g. "drumsplit 0.1.0 (commit 1a2b3c4)".
	Tool string `json:"tool"`
	// Command is the command line of the first run as started, preceded
	// by the NAME=VALUE environment variables it was given on top of the
	// bench's own.
	Command []string `json:"command"`
	// Times are the wall times from start to exit, CPU the user + system
	// times of the process and what it waited for, PeakRSS the peak
	// resident set sizes (the kernel's maxrss from wait4), one per run.
	Times   []float64 `json:"times_s"`
	CPU     []float64 `json:"cpu_s"`
	PeakRSS []int64   `json:"peak_rss_bytes,omitempty"`
	// Median, CPUSeconds and MedianRSS are their medians.
	Median     float64 `json:"median_s"`
	CPUSeconds float64 `json:"cpu_median_s"`
	MedianRSS  int64   `json:"peak_rss_median_bytes,omitempty"`
	// Files is the number of files the last run wrote.
	Files int `json:"files"`
	// Error is why a run failed; the side has no medians then.
	Error string `json:"error,omitempty"`
}

// OK reports whether the side has medians.
func (s ProcessSide) OK() bool { return s.Error == "" && len(s.Times) > 0 }

// ratio returns a / b where both are usable, or 0.
func (p Process) ratio(a, b float64) float64 {
	if !p.Drumsplit.OK() || !p.Reference.OK() || b <= 0 {
		return 0
	}
	return a / b
}

// WallRatio is drumsplit's median wall time over the reference's (0 when
// either side failed).
func (p Process) WallRatio() float64 { return p.ratio(p.Drumsplit.Median, p.Reference.Median) }

// CPURatio is drumsplit's median CPU time over the reference's.
func (p Process) CPURatio() float64 { return p.ratio(p.Drumsplit.CPUSeconds, p.Reference.CPUSeconds) }

// RSSRatio is drumsplit's median peak RSS over the reference's.
func (p Process) RSSRatio() float64 {
	return p.ratio(float64(p.Drumsplit.MedianRSS), float64(p.Reference.MedianRSS))
}

// sameProcess reports whether two comparisons measure the same thing:
// same machine, model, input and threads. Merging replaces such an old one.
func sameProcess(a, b Process) bool {
	return a.Machine.Slug == b.Machine.Slug && a.Model.Name == b.Model.Name &&
		a.Model.SizeBytes == b.Model.SizeBytes && a.Input.SHA256 == b.Input.SHA256 && a.Threads == b.Threads
}

// AddProcesses merges whole-process comparisons into f: one replaces an
// earlier one of the same machine, model, input and threads, and is
// appended otherwise.
func (f *File) AddProcesses(ps ...Process) {
	f.Processes = upsert(f.Processes, ps, sameProcess)
}

// ProcessModel is a model of the whole-process comparison: drumsplit's
// export, and the MSST checkpoint and config it was exported from, which
// the reference loads as MSST's inference does.
type ProcessModel struct {
	Model      string // exported model (.pt)
	Checkpoint string // MSST checkpoint (.ckpt)
	Config     string // MSST yaml config
}

// ProcessModelFor returns the ProcessModel of an export whose checkpoint
// and config lie beside it under the same name: X.pt, X.ckpt, X.yaml (as
// `make bench` writes them).
func ProcessModelFor(export string) ProcessModel {
	base := strings.TrimSuffix(export, filepath.Ext(export))
	return ProcessModel{Model: export, Checkpoint: base + ".ckpt", Config: base + ".yaml"}
}

// ProcessConfig is what MeasureProcesses runs.
type ProcessConfig struct {
	Models []ProcessModel
	// Input is the audio file both tools separate.
	Input     string
	InputInfo Input
	// Drumsplit is the drumsplit program (os.Executable for the running
	// one); Reference the reference's command line, e.g. python3
	// scripts/msst_infer.py, which is given MSST inference.py's flags.
	Drumsplit string
	Reference []string
	Threads   int // 0: each tool's default
	Runs      int
	// WorkDir holds the input folder and the outputs while they run ("":
	// a temporary folder).
	WorkDir string
	// Tool is drumsplit's ToolVersion.
	Tool string
	// Machine describes the host (DescribeHost, with Libtorch where known).
	Machine Machine
	// Stderr receives both tools' own messages; nil discards them.
	Stderr io.Writer
	// Progress, when set, receives each finished comparison.
	Progress func(Process)
}

// ErrProcessSetup is wrapped by the errors of MeasureProcesses that stop
// it before anything ran: missing files, a bad configuration.
var ErrProcessSetup = errors.New("whole-process comparison")

// MeasureProcesses runs the whole-process comparison of every model in
// turn. A tool that fails on a model is recorded in that comparison and
// does not stop the others.
func MeasureProcesses(ctx context.Context, cfg ProcessConfig) ([]Process, error) {
	if cfg.Runs < 1 {
		return nil, fmt.Errorf("%w: runs %d: need at least 1", ErrProcessSetup, cfg.Runs)
	}
	if cfg.Drumsplit == "" || len(cfg.Reference) == 0 {
		return nil, fmt.Errorf("%w: needs the drumsplit program and a reference command", ErrProcessSetup)
	}
	for _, m := range cfg.Models {
		for _, p := range []string{m.Model, m.Checkpoint, m.Config} {
			if _, err := os.Stat(p); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrProcessSetup, err)
			}
		}
	}
	work := cfg.WorkDir
	if work == "" {
		dir, err := os.MkdirTemp("", "drumsplit-bench-process-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		work = dir
	}
	// MSST's inference.py separates every file of a folder: give it one
	// that holds the input alone.
	inDir := filepath.Join(work, "input")
	if err := os.MkdirAll(inDir, 0o755); err != nil {
		return nil, err
	}
	input := filepath.Join(inDir, filepath.Base(cfg.Input))
	if err := copyFile(cfg.Input, input); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProcessSetup, err)
	}
	defer os.Remove(input)
	var out []Process
	for _, m := range cfg.Models {
		p, err := measureProcess(ctx, cfg, m, input, work)
		if err != nil {
			return out, err
		}
		out = append(out, p)
		if cfg.Progress != nil {
			cfg.Progress(p)
		}
	}
	return out, nil
}

// measureProcess compares the tools on one model, taking turns run by run.
func measureProcess(ctx context.Context, cfg ProcessConfig, m ProcessModel, input, work string) (Process, error) {
	start := time.Now()
	mdl, err := describeModel(m.Model)
	if err != nil {
		return Process{}, err
	}
	info, err := model.ReadInfo(m.Model)
	if err != nil {
		return Process{}, err
	}
	machine := cfg.Machine
	machine.LoadStart = Load(host.LoadAverage())
	p := Process{
		Date: start.UTC().Truncate(time.Second), Machine: machine, Model: mdl, Width: configWidth(info.Config),
		Input: cfg.InputInfo, Threads: cfg.Threads, Runs: cfg.Runs, Env: Environment(),
		Drumsplit: ProcessSide{Tool: cfg.Tool},
		Reference: ProcessSide{Tool: "MSST inference: " + strings.Join(cfg.Reference, " ")},
	}
	for i := 0; i < cfg.Runs; i++ {
		dsOut := filepath.Join(work, fmt.Sprintf("drumsplit-%d", i))
		ds := []string{cfg.Drumsplit, "separate", "-m", m.Model, input, "-o", dsOut, "--overwrite"}
		if cfg.Threads > 0 {
			ds = append(ds, "--threads", strconv.Itoa(cfg.Threads))
		}
		refOut := filepath.Join(work, fmt.Sprintf("reference-%d", i))
		ref := append(append([]string(nil), cfg.Reference...), "--model_type", "mdx23c",
			"--config_path", m.Config, "--start_check_point", m.Checkpoint,
			"--input_folder", filepath.Dir(input), "--store_dir", refOut)
		var refEnv []string
		if cfg.Threads > 0 {
			// MSST has no thread option: its users set OpenMP's.
			refEnv = []string{"OMP_NUM_THREADS=" + strconv.Itoa(cfg.Threads)}
		}
		if err := timeSide(ctx, &p.Drumsplit, ds, nil, dsOut, len(mdl.Stems), cfg.Stderr); err != nil {
			return p, err
		}
		if err := timeSide(ctx, &p.Reference, ref, refEnv, refOut, len(mdl.Stems), cfg.Stderr); err != nil {
			return p, err
		}
	}
	for _, s := range []*ProcessSide{&p.Drumsplit, &p.Reference} {
		if s.OK() {
			s.Median, s.CPUSeconds = Median(s.Times), Median(s.CPU)
			if len(s.PeakRSS) == len(s.Times) {
				rss := make([]float64, len(s.PeakRSS))
				for i, x := range s.PeakRSS {
					rss[i] = float64(x)
				}
				s.MedianRSS = int64(Median(rss))
			}
		}
	}
	p.Machine.Finish()
	p.Elapsed = time.Since(start).Seconds()
	return p, nil
}

// timeSide runs one process of a side unless the side already failed,
// records its times, and checks that it wrote a file per stem under out
// (removed afterwards). Only a cancelled context is an error.
func timeSide(ctx context.Context, s *ProcessSide, argv, env []string, out string, stems int, stderr io.Writer) error {
	if s.Error != "" {
		return nil
	}
	if s.Command == nil {
		s.Command = append(append([]string(nil), env...), argv...)
	}
	defer os.RemoveAll(out)
	st, err := runProcess(ctx, argv, env, stderr)
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if err != nil {
		s.Error = err.Error()
		return nil
	}
	n, err := countFiles(out)
	if err != nil {
		s.Error = fmt.Sprintf("no output: %v", err)
		return nil
	}
	if n < stems {
		s.Error = fmt.Sprintf("wrote %d files, want %d stems", n, stems)
		return nil
	}
	s.Files = n
	s.Times = append(s.Times, st.wall)
	s.CPU = append(s.CPU, st.cpu)
	if st.rss > 0 {
		s.PeakRSS = append(s.PeakRSS, st.rss)
	}
	return nil
}

// processStats are what one process cost.
type processStats struct {
	wall, cpu float64
	rss       int64
}

// runProcess starts argv with env added to this process's environment and
// waits for it. Its error holds the last line the process printed on
// stderr, which also goes to stderr.
func runProcess(ctx context.Context, argv, env []string, stderr io.Writer) (processStats, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	tail := &lastLine{}
	if stderr != nil {
		cmd.Stderr = io.MultiWriter(stderr, tail)
	} else {
		cmd.Stderr = tail
	}
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0).Seconds()
	if err != nil {
		msg := fmt.Sprintf("%s: %v", filepath.Base(argv[0]), err)
		if l := tail.String(); l != "" {
			msg += ": " + l
		}
		return processStats{}, errors.New(shorten(msg, 200))
	}
	ps := cmd.ProcessState
	return processStats{wall: wall, cpu: (ps.UserTime() + ps.SystemTime()).Seconds(), rss: childPeakRSS(ps)}, nil
}

// lastLine keeps the last non-empty line written to it.
type lastLine struct{ buf, last []byte }

func (l *lastLine) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := strings.IndexByte(string(l.buf), '\n')
		if i < 0 {
			break
		}
		if line := strings.TrimSpace(string(l.buf[:i])); line != "" {
			l.last = []byte(line)
		}
		l.buf = l.buf[i+1:]
	}
	if len(l.buf) > 4096 {
		l.buf = l.buf[len(l.buf)-4096:]
	}
	return len(p), nil
}

func (l *lastLine) String() string {
	if s := strings.TrimSpace(string(l.buf)); s != "" {
		return s
	}
	return string(l.last)
}

// countFiles counts the regular files under dir.
func countFiles(dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n, err
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// configWidth returns model.num_channels of a model's config, or 0.
func configWidth(raw json.RawMessage) int {
	var c struct {
		Model struct {
			NumChannels int `json:"num_channels"`
		} `json:"model"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &c) != nil {
		return 0
	}
	return c.Model.NumChannels
}
