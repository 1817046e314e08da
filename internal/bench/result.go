// Package bench measures how fast drumsplit separates on the machine at
// hand and keeps the results: a grid of overlap × batch × precision per
// device, timed as whole separations of one fixed input, stored as JSON
// files that describe the machine, the model and the input, and merged from
// every such file into the cross-platform matrix of BENCHMARKS.md and the
// series of its chart (drawn by internal/cmd/benchreport, so that the
// drumsplit binary does not carry a plotting library).
//
// A results File holds runs: one per tool (drumsplit itself, and
// scripts/bench_reference.py, the eager PyTorch transcription of MSST's
// demix) measured on the same model and input in the same session, so that
// the report can put the two side by side; and the whole-process
// comparisons (Process), where each tool is started as a user starts it and
// timed from start to exit with its stems written.
package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Format and FormatVersion identify a results file. Version 2 added the
// whole-process comparisons (File.Processes); version 1 files, which have
// none, are read as they are.
const (
	Format        = "drumsplit-bench"
	FormatVersion = 2
)

// Tools that write runs.
const (
	ToolDrumsplit = "drumsplit"
	ToolReference = "reference" // scripts/bench_reference.py
)

// File is a results file: bench/results/<machine>-<date>.json.
type File struct {
	Format  string `json:"format"`
	Version int    `json:"format_version"`
	Runs    []Run  `json:"runs"`
	// Processes are the whole-process comparisons of the session (see
	// Process); absent from version 1 files.
	Processes []Process `json:"processes,omitempty"`
}

// Run is one tool's grid on one machine, model and input.
type Run struct {
	Tool        string    `json:"tool"`         // ToolDrumsplit or ToolReference
	ToolVersion string    `json:"tool_version"` // e.g. "drumsplit 0.1.0-dev (commit 1a2b3c4)"
	Date        time.Time `json:"date"`         // when the run started
	Elapsed     float64   `json:"elapsed_s"`    // the whole grid, warm-ups and model loads included
	Machine     Machine   `json:"machine"`
	Model       Model     `json:"model"`
	Input       Input     `json:"input"`
	Settings    Settings  `json:"settings"`
	Results     []Result  `json:"results"`
	Notes       []string  `json:"notes,omitempty"`
}

// Machine describes the computer a run was measured on.
type Machine struct {
	Slug          string  `json:"slug"` // short file-name-safe name: os-cpu-or-gpu
	Host          string  `json:"host,omitempty"`
	OS            string  `json:"os"`      // runtime.GOOS spelling: linux, darwin, windows
	OSName        string  `json:"os_name"` // e.g. "Debian GNU/Linux 12 (bookworm)"
	Kernel        string  `json:"kernel,omitempty"`
	Arch          string  `json:"arch"` // amd64, arm64
	CPU           string  `json:"cpu"`
	LogicalCPUs   int     `json:"logical_cpus"`
	PhysicalCores int     `json:"physical_cores,omitempty"`
	MemoryBytes   int64   `json:"memory_bytes,omitempty"`
	GPUs          []GPU   `json:"gpus,omitempty"`
	Environment   string  `json:"environment"` // native, docker, wsl2, …
	Libtorch      string  `json:"libtorch"`    // the torch version that ran the model
	GoVersion     string  `json:"go_version,omitempty"`
	Python        string  `json:"python,omitempty"`
	LoadStart     Load    `json:"load_start"` // load average when the run started
	LoadEnd       Load    `json:"load_end"`   // and when it ended
	Shared        bool    `json:"shared"`     // the load average exceeded the CPU count during the run
	CPUFreqMHz    float64 `json:"cpu_mhz,omitempty"`
}

// Load is the 1, 5 and 15 minute load average (0s where unknown).
type Load [3]float64

// GPU is one accelerator.
type GPU struct {
	Device      string `json:"device"` // cuda:0, mps
	Name        string `json:"name"`
	Driver      string `json:"driver,omitempty"`
	MemoryBytes int64  `json:"memory_bytes,omitempty"`
}

// Model describes the model that was run.
type Model struct {
	Name         string   `json:"name"`
	File         string   `json:"file"` // base name
	SizeBytes    int64    `json:"size_bytes"`
	Architecture string   `json:"architecture"`
	SampleRate   int      `json:"sample_rate"`
	ChunkSize    int      `json:"chunk_size"`
	Stems        []string `json:"stems"`
	// Params is the number of weights, when known (the reference counts
	// them; the archive's metadata does not hold them).
	Params int64 `json:"params,omitempty"`
	// Shape summarises the network's size from its config, e.g.
	// "5 scales × 2 blocks, 32 ch (+32)".
	Shape      string `json:"shape,omitempty"`
	Checkpoint string `json:"checkpoint_sha256,omitempty"`
}

// Input describes the audio that was separated.
type Input struct {
	Source     string  `json:"source"` // render, file or synthetic
	Path       string  `json:"path,omitempty"`
	Kit        string  `json:"kit,omitempty"`
	Style      string  `json:"style,omitempty"`
	Seed       uint64  `json:"seed,omitempty"`
	Seconds    float64 `json:"seconds"`
	Frames     int     `json:"frames"`
	SampleRate int     `json:"sample_rate"`
	// SHA256 is the hash of the samples as little-endian float32, all of
	// the left channel then all of the right: both tools compute it, so a
	// report can tell that they separated the same audio.
	SHA256 string `json:"sha256"`
	Note   string `json:"note,omitempty"`
}

// Settings are the knobs common to every result of a run.
type Settings struct {
	Threads int    `json:"threads"` // CPU threads inside one torch operation
	Runs    int    `json:"runs"`    // timed separations per result
	Warmup  int    `json:"warmup"`  // untimed separations before them
	Mode    string `json:"mode"`    // overlap-add algorithm: msst
	STFT    string `json:"stft,omitempty"`
	// Env holds the environment variables that change how torch's CPU
	// threads behave (EnvVars), where set.
	Env map[string]string `json:"env,omitempty"`
}

// EnvVars are the environment variables recorded in Settings.Env: they
// change thread counts and how idle OpenMP threads wait, which on a shared
// machine can change timings several times over.
var EnvVars = []string{"OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME",
	"MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GOMAXPROCS", "CUDA_VISIBLE_DEVICES"}

// Environment returns the EnvVars that are set.
func Environment() map[string]string {
	var m map[string]string
	for _, k := range EnvVars {
		if v, ok := os.LookupEnv(k); ok {
			if m == nil {
				m = map[string]string{}
			}
			m[k] = v
		}
	}
	return m
}

// Result is one point of the grid.
type Result struct {
	Device     string `json:"device"` // cpu, cuda:0, mps
	DeviceName string `json:"device_name,omitempty"`
	Precision  string `json:"precision"` // fp32, fp16, bf16
	// Autocast: the network runs in fp32 weights under torch's autocast
	// (the reference's fp16, as MSST's use_amp) rather than converted.
	Autocast bool `json:"autocast,omitempty"`
	Overlap  int  `json:"overlap"`
	Batch    int  `json:"batch"`
	// Chunks holding audio per separation, and chunks computed (drumsplit
	// pads the last batch to a fixed shape with zero chunks).
	Chunks   int64 `json:"chunks"`
	Computed int64 `json:"computed_chunks"`
	Batches  int64 `json:"batches"`
	// Times are the wall times of the timed separations, in seconds.
	Times  []float64 `json:"times_s"`
	Median float64   `json:"median_s"`
	// RTF is Median / the input's length: below 1 is faster than real time.
	RTF            float64 `json:"rtf"`
	ChunksPerSec   float64 `json:"chunks_per_s"`
	PeakRSS        int64   `json:"peak_rss_bytes,omitempty"`
	PeakRSSProcess bool    `json:"peak_rss_process,omitempty"` // PeakRSS is the process's peak, not this result's
	PeakDevice     int64   `json:"peak_device_bytes,omitempty"`
	// ModelSeconds is the median time spent inside model calls, and
	// DeviceBusy its share of the median wall time; the rest is host work
	// the device waited for.
	ModelSeconds float64 `json:"model_s"`
	DeviceBusy   float64 `json:"device_busy"`
	// PrepareSeconds and FinishSeconds are the median host time before and
	// after the model calls (the Go STFT and iSTFT; 0 with the model's
	// STFT). They run beside the model calls, on other cores when free.
	PrepareSeconds float64 `json:"prepare_s,omitempty"`
	FinishSeconds  float64 `json:"finish_s,omitempty"`
	// CPUSeconds is the median CPU time (user + system, every thread) of
	// the timed separations: steadier than wall time on a shared machine.
	CPUSeconds float64 `json:"cpu_s"`
	// Elapsed is the time the grid point took, loading and warm-up included.
	Elapsed float64 `json:"elapsed_s"`
	Error   string  `json:"error,omitempty"`
}

// NewFile returns an empty results file.
func NewFile() *File { return &File{Format: Format, Version: FormatVersion} }

// ReadFile reads a results file, or a bare Run as the tools write it.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Decode parses a results file or a single run.
func Decode(b []byte) (*File, error) {
	var probe struct {
		Format string          `json:"format"`
		Tool   string          `json:"tool"`
		Runs   json.RawMessage `json:"runs"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("not a bench results file: %v", err)
	}
	switch {
	case probe.Format == Format:
		var f File
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("bad bench results file: %v", err)
		}
		if f.Version < 1 || f.Version > FormatVersion {
			return nil, fmt.Errorf("bench results format version %d, this drumsplit reads 1 to %d", f.Version, FormatVersion)
		}
		// Written back, an old file takes the current version: it can
		// hold anything a version 1 file can.
		f.Version = FormatVersion
		return &f, nil
	case probe.Tool != "":
		var r Run
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("bad bench run: %v", err)
		}
		f := NewFile()
		f.Runs = []Run{r}
		return f, nil
	}
	return nil, errors.New("not a bench results file (no format or tool field)")
}

// Write writes f as indented JSON.
func (f *File) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(f)
}

// WriteFile writes f to path atomically (a temporary file renamed into place).
func (f *File) WriteFile(path string) error {
	return writeAtomic(path, func(w io.Writer) error { return f.Write(w) })
}

// writeAtomic writes path through a temporary file in the same directory.
func writeAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// sameRun reports whether two runs measure the same thing: same tool,
// machine, model and input. Merging a new run replaces such an old one.
func sameRun(a, b Run) bool {
	return a.Tool == b.Tool && a.Machine.Slug == b.Machine.Slug && a.Model.Name == b.Model.Name &&
		a.Model.SizeBytes == b.Model.SizeBytes && a.Input.SHA256 == b.Input.SHA256 &&
		sameDevices(a, b)
}

func sameDevices(a, b Run) bool {
	set := func(r Run) string {
		var d []string
		seen := map[string]bool{}
		for _, x := range r.Results {
			if !seen[x.Device] {
				seen[x.Device] = true
				d = append(d, x.Device)
			}
		}
		sort.Strings(d)
		return fmt.Sprint(d)
	}
	return set(a) == set(b)
}

// Add merges runs into f: a run replaces an earlier one of the same tool,
// machine, model, input and devices, and is appended otherwise.
func (f *File) Add(runs ...Run) { f.Runs = upsert(f.Runs, runs, sameRun) }

// upsert merges add into list: an element replaces the first earlier one
// that same says it stands for, and is appended otherwise.
func upsert[T any](list, add []T, same func(a, b T) bool) []T {
next:
	for _, x := range add {
		for i := range list {
			if same(list[i], x) {
				list[i] = x
				continue next
			}
		}
		list = append(list, x)
	}
	return list
}

// DefaultName returns the file name for f inside a results directory:
// <machine>-<date>.json, from its first drumsplit run (else its first run,
// else its first whole-process comparison).
func (f *File) DefaultName() (string, error) {
	var m Machine
	var date time.Time
	switch {
	case len(f.Runs) > 0:
		r := f.Runs[0]
		for _, x := range f.Runs {
			if x.Tool == ToolDrumsplit {
				r = x
				break
			}
		}
		m, date = r.Machine, r.Date
	case len(f.Processes) > 0:
		m, date = f.Processes[0].Machine, f.Processes[0].Date
	default:
		return "", errors.New("no runs to name the results file after")
	}
	slug := m.Slug
	if slug == "" {
		slug = "unknown"
	}
	return slug + "-" + date.UTC().Format("2006-01-02") + ".json", nil
}
