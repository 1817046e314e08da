package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/drumsplit/drumsplit/model"
	"github.com/drumsplit/drumsplit/separator"
	"github.com/drumsplit/drumsplit/torch"
)

// Config is what Measure runs.
type Config struct {
	Model      string   // exported model file
	Devices    []string // "cpu", "cuda:0", "mps"; empty: every available device
	Overlaps   []int
	Batches    []int
	Precisions []string // empty: DefaultPrecisions per device
	Runs       int      // timed separations per grid point (≥ 1)
	// Warmup is the number of untimed separations of the input's first
	// chunk before them: enough for TorchScript's profiling executor (its
	// first two calls of a method are slow) and the allocators, since
	// every batch has the same shape.
	Warmup int
	Threads    int      // libtorch CPU threads; 0 keeps libtorch's default
	STFT       separator.STFTPlacement
	Input      *Audio
	// Tool is the ToolVersion recorded, e.g. "drumsplit 0.1.0 (commit abc)".
	Tool string
	// Reference, when set, measures every grid point right after drumsplit
	// does; its run is returned by Reference.Finish.
	Reference *Reference
	// Progress, when set, receives each finished result and the tool
	// (ToolDrumsplit or ToolReference) that measured it.
	Progress func(tool string, r Result)
	Logger   logrus.FieldLogger
}

// Measure runs the grid and returns the run. Failures of single grid points
// (out of memory, an unsupported precision) are recorded in their Result
// and do not stop the grid; only a model that cannot be read or a device
// that does not exist is an error.
func Measure(ctx context.Context, cfg Config) (*Run, error) {
	if cfg.Runs < 1 {
		return nil, fmt.Errorf("runs %d: need at least 1", cfg.Runs)
	}
	if cfg.Warmup < 0 {
		return nil, fmt.Errorf("warm-up %d: must not be negative", cfg.Warmup)
	}
	if len(cfg.Overlaps) == 0 || len(cfg.Batches) == 0 {
		return nil, fmt.Errorf("empty grid: give overlaps and batch sizes")
	}
	if cfg.Input == nil {
		return nil, fmt.Errorf("no input")
	}
	log := cfg.Logger
	if log == nil {
		log = logrus.StandardLogger()
	}
	start := time.Now()
	mdl, err := describeModel(cfg.Model)
	if err != nil {
		return nil, err
	}
	if cfg.Input.Info.SampleRate != mdl.SampleRate {
		return nil, fmt.Errorf("input is at %d Hz, the model at %d Hz", cfg.Input.Info.SampleRate, mdl.SampleRate)
	}
	if cfg.Threads > 0 {
		if err := torch.SetThreads(cfg.Threads); err != nil {
			return nil, err
		}
	}
	versions, err := torch.Versions()
	if err != nil {
		return nil, err
	}
	infos, err := torch.Devices()
	if err != nil {
		return nil, err
	}
	devices, err := pickDevices(cfg.Devices, infos)
	if err != nil {
		return nil, err
	}
	machine := DescribeHost()
	machine.Libtorch = versions.Libtorch
	machine.GPUs = gpus(infos)
	threads, _ := torch.Threads()
	stft := cfg.STFT
	if stft == "" {
		stft = separator.STFTAuto
	}
	run := &Run{
		Tool: ToolDrumsplit, ToolVersion: cfg.Tool, Date: start.UTC().Truncate(time.Second),
		Machine: machine, Model: mdl, Input: cfg.Input.Info,
		Settings: Settings{Threads: threads, Runs: cfg.Runs, Warmup: cfg.Warmup, Mode: string(separator.ModeMSST), STFT: string(stft)},
	}
	if !ResetPeakRSS() {
		run.Notes = append(run.Notes, "peak RSS is the process's peak (the kernel's peak could not be reset between grid points)")
	}
	for _, d := range devices {
		precs := cfg.Precisions
		if len(precs) == 0 {
			precs = DefaultPrecisions(d.Device.Type.String())
		}
		for _, p := range precs {
			if !Supported(d.Device.Type.String(), p) {
				log.Warnf("%s has no %s; skipped", d.Device, p)
				continue
			}
			for _, b := range cfg.Batches {
				for _, o := range cfg.Overlaps {
					if err := ctx.Err(); err != nil {
						return nil, err
					}
					res := measureOne(ctx, cfg, d, p, o, b, stft, log)
					run.Results = append(run.Results, res)
					if cfg.Progress != nil {
						cfg.Progress(ToolDrumsplit, res)
					}
					if cfg.Reference == nil {
						continue
					}
					ref, err := cfg.Reference.Measure(res.Device, p, o, b)
					if err != nil {
						return nil, err
					}
					if cfg.Progress != nil {
						cfg.Progress(ToolReference, ref)
					}
				}
			}
		}
	}
	run.Machine.Finish()
	run.Elapsed = time.Since(start).Seconds()
	return run, nil
}

// measureOne opens the model for one grid point, warms up, and times
// cfg.Runs separations.
func measureOne(ctx context.Context, cfg Config, d torch.DeviceInfo, prec string, overlap, batch int,
	stft separator.STFTPlacement, log logrus.FieldLogger) (res Result) {
	res = Result{Device: d.Device.String(), DeviceName: d.Name, Precision: prec, Overlap: overlap, Batch: batch}
	start := time.Now()
	defer func() { res.Elapsed = time.Since(start).Seconds() }()
	fail := func(err error) Result {
		res.Error = oneLine(err)
		log.WithError(err).Warnf("%s %s overlap %d batch %d failed", res.Device, prec, overlap, batch)
		return res
	}
	sep, err := separator.Open(cfg.Model, separator.Options{
		Device: res.Device, StrictDevice: true, Precision: separator.Precision(prec),
		STFT: stft, Mode: separator.ModeMSST, Overlap: overlap, BatchSize: batch,
		Threads: cfg.Threads, Logger: log,
	})
	if err != nil {
		return fail(err)
	}
	defer sep.Close()
	if got := string(sep.Precision()); got != prec {
		return fail(fmt.Errorf("ran in %s instead of %s", got, prec))
	}
	n := min(sep.ChunkSize(), len(cfg.Input.Data[0]))
	first := [][]float32{cfg.Input.Data[0][:n], cfg.Input.Data[1][:n]}
	for i := 0; i < cfg.Warmup; i++ {
		if _, err := sep.SeparateBuffer(ctx, first); err != nil {
			return fail(err)
		}
	}
	// The batch may have shrunk after an out-of-memory error: record
	// what ran.
	res.Batch = sep.BatchSize()
	rssReset := ResetPeakRSS()
	_ = torch.ResetPeakMemory(d.Device)
	var model, cpu []float64
	for i := 0; i < cfg.Runs; i++ {
		if err := torch.Synchronize(d.Device); err != nil {
			return fail(err)
		}
		c0, t0 := ProcessCPU(), time.Now()
		if _, err := sep.SeparateBuffer(ctx, cfg.Input.Data); err != nil {
			return fail(err)
		}
		res.Times = append(res.Times, time.Since(t0).Seconds())
		cpu = append(cpu, ProcessCPU()-c0)
		st := sep.Stats()
		model = append(model, st.Compute.Seconds())
		res.Chunks, res.Computed, res.Batches = st.Chunks, st.Computed, st.Batches
	}
	res.PeakRSS, res.PeakRSSProcess = PeakRSS(), !rssReset
	if n, err := torch.PeakMemory(d.Device); err == nil {
		res.PeakDevice = n
	}
	res.Median = Median(res.Times)
	res.CPUSeconds = Median(cpu)
	res.RTF = res.Median / cfg.Input.Info.Seconds
	if res.Median > 0 {
		res.ChunksPerSec = float64(res.Chunks) / res.Median
		res.ModelSeconds = Median(model)
		res.DeviceBusy = min(res.ModelSeconds/res.Median, 1)
	}
	return res
}

// pickDevices resolves the requested device names against the available
// devices; none requested means all of them.
func pickDevices(want []string, infos []torch.DeviceInfo) ([]torch.DeviceInfo, error) {
	if len(want) == 0 {
		return infos, nil
	}
	var out []torch.DeviceInfo
	for _, w := range want {
		dev, err := torch.ParseDevice(w)
		if err != nil {
			return nil, err
		}
		found := false
		for _, i := range infos {
			if i.Device == dev {
				out = append(out, i)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("device %s is not available here: %w", dev, torch.ErrDeviceUnavailable)
		}
	}
	return out, nil
}

func gpus(infos []torch.DeviceInfo) []GPU {
	var out []GPU
	var driver string
	for _, i := range infos {
		if i.Device.Type == torch.CPU {
			continue
		}
		g := GPU{Device: i.Device.String(), Name: i.Name, MemoryBytes: i.TotalMemory}
		if i.Device.Type == torch.CUDA {
			if driver == "" {
				driver = NVIDIADriver()
			}
			g.Driver = driver
		}
		out = append(out, g)
	}
	return out
}

// describeModel reads the model's metadata without loading it.
func describeModel(path string) (Model, error) {
	info, err := model.ReadInfo(path)
	if err != nil {
		return Model{}, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return Model{}, err
	}
	m := Model{
		Name: info.Name, File: filepath.Base(path), SizeBytes: st.Size(),
		Architecture: info.Architecture, SampleRate: info.SampleRate, ChunkSize: info.ChunkSize,
		Stems: info.Stems, Checkpoint: info.CheckpointSHA256, Shape: configShape(info.Config),
	}
	return m, nil
}

// configShape summarises the width and depth of a TFC-TDF v3 config, or ""
// for anything else.
func configShape(raw json.RawMessage) string {
	var c struct {
		Model struct {
			NumChannels int `json:"num_channels"`
			Growth      int `json:"growth"`
			NumScales   int `json:"num_scales"`
			Blocks      int `json:"num_blocks_per_scale"`
		} `json:"model"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &c) != nil || c.Model.NumChannels == 0 {
		return ""
	}
	m := c.Model
	return fmt.Sprintf("%d scales × %d blocks, %d ch +%d/scale", m.NumScales, m.Blocks, m.NumChannels, m.Growth)
}

// oneLine keeps the first line of an error's text.
func oneLine(err error) string {
	s, _, _ := strings.Cut(strings.TrimSpace(err.Error()), "\n")
	return s
}
