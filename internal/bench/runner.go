package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/drumsplit/drumsplit/internal/host"
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
	// first two calls of a method are slow) and the allocators, since on
	// GPUs every batch has the same shape (and on the CPU a new shape
	// costs nothing).
	Warmup  int
	Threads int // libtorch CPU threads; 0 uses every usable CPU (as the separator does)
	STFT    separator.STFTPlacement
	Input   *Audio
	// Tool is the ToolVersion recorded, e.g. "drumsplit 0.1.0 (commit abc)".
	Tool string
	// Reference, when set, measures every grid point too: after both sides
	// have warmed up, their timed separations alternate (drumsplit first,
	// then the reference first, and so on). Its run is returned by
	// Reference.Finish.
	Reference *Reference
	// Progress, when set, receives each finished result and the tool
	// (ToolDrumsplit or ToolReference) that measured it.
	Progress func(tool string, r Result)
	Logger   *slog.Logger
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
		log = slog.New(slog.DiscardHandler)
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
		Settings: Settings{Threads: threads, Runs: cfg.Runs, Warmup: cfg.Warmup, Mode: string(separator.ModeMSST),
			STFT: string(stft), Env: Environment()},
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
				log.Warn(fmt.Sprintf("%s has no %s; skipped", d.Device, p))
				continue
			}
			for _, b := range cfg.Batches {
				for _, o := range cfg.Overlaps {
					if err := ctx.Err(); err != nil {
						return nil, err
					}
					res, ref, err := measureOne(ctx, cfg, d, p, o, b, stft, log)
					if err != nil {
						return nil, err
					}
					run.Results = append(run.Results, res)
					if cfg.Progress != nil {
						cfg.Progress(ToolDrumsplit, res)
						if ref != nil {
							cfg.Progress(ToolReference, *ref)
						}
					}
				}
			}
		}
	}
	run.Machine.Finish()
	run.Elapsed = time.Since(start).Seconds()
	return run, nil
}

// measureOne measures one grid point: drumsplit's result, the reference's
// when there is one, and an error only when the reference broke down.
func measureOne(ctx context.Context, cfg Config, d torch.DeviceInfo, prec string, overlap, batch int,
	stft separator.STFTPlacement, log *slog.Logger) (Result, *Result, error) {
	p := &point{cfg: cfg, dev: d, log: log,
		res: Result{Device: d.Device.String(), DeviceName: d.Name, Precision: prec, Overlap: overlap, Batch: batch}}
	p.open(ctx, stft)
	defer p.close()
	ref := cfg.Reference
	refOK := false
	if ref != nil {
		var err error
		if refOK, err = ref.Open(p.res.Device, prec, overlap, batch); err != nil {
			return p.res, nil, err
		}
	}
	for i := 0; i < cfg.Runs; i++ {
		// Alternate who goes first, so that a load that rises or falls
		// during the point weighs on both alike.
		if ref != nil && refOK && i%2 == 1 {
			var err error
			if refOK, err = ref.Run(); err != nil {
				return p.res, nil, err
			}
		}
		p.run(ctx)
		if ref != nil && refOK && i%2 == 0 {
			var err error
			if refOK, err = ref.Run(); err != nil {
				return p.res, nil, err
			}
		}
	}
	p.finish()
	if ref == nil {
		return p.res, nil, nil
	}
	rr, err := ref.Close()
	if err != nil {
		return p.res, nil, err
	}
	return p.res, &rr, nil
}

// point is drumsplit's side of one grid point.
type point struct {
	cfg        Config
	dev        torch.DeviceInfo
	log        *slog.Logger
	res        Result
	sep        *separator.Separator
	start      time.Time
	rssReset   bool
	model, cpu []float64
	prep, fin  []float64
}

func (p *point) fail(err error) {
	if p.res.Error == "" {
		p.res.Error = oneLine(err)
		p.log.Warn(fmt.Sprintf("%s %s overlap %d batch %d failed: %v", p.res.Device, p.res.Precision, p.res.Overlap, p.res.Batch, err))
	}
}

// open loads the model for the point and warms up.
func (p *point) open(ctx context.Context, stft separator.STFTPlacement) {
	p.start = time.Now()
	r := &p.res
	sep, err := separator.Open(p.cfg.Model, separator.Options{
		Device: r.Device, StrictDevice: true, Precision: separator.Precision(r.Precision),
		STFT: stft, Mode: separator.ModeMSST, Overlap: r.Overlap, BatchSize: r.Batch,
		Threads: p.cfg.Threads,
	})
	if err != nil {
		p.fail(err)
		return
	}
	p.sep = sep
	if got := string(sep.Precision()); got != r.Precision {
		p.fail(fmt.Errorf("ran in %s instead of %s", got, r.Precision))
		return
	}
	in := p.cfg.Input.Data
	n := min(sep.ChunkSize(), len(in[0]))
	first := [][]float32{in[0][:n], in[1][:n]}
	for i := 0; i < p.cfg.Warmup; i++ {
		if _, err := sep.SeparateBuffer(ctx, first); err != nil {
			p.fail(err)
			return
		}
	}
	// Hand the Go heap of earlier grid points back to the system first, so
	// that the peak RSS is this point's.
	debug.FreeOSMemory()
	p.rssReset = ResetPeakRSS()
	_ = torch.ResetPeakMemory(p.dev.Device)
}

// run times one separation of the whole input.
func (p *point) run(ctx context.Context) {
	if p.res.Error != "" {
		return
	}
	if err := torch.Synchronize(p.dev.Device); err != nil {
		p.fail(err)
		return
	}
	c0, t0 := ProcessCPU(), time.Now()
	if _, err := p.sep.SeparateBuffer(ctx, p.cfg.Input.Data); err != nil {
		p.fail(err)
		return
	}
	r := &p.res
	r.Times = append(r.Times, time.Since(t0).Seconds())
	p.cpu = append(p.cpu, ProcessCPU()-c0)
	st := p.sep.Stats()
	p.model = append(p.model, st.Compute.Seconds())
	p.prep = append(p.prep, st.Prepare.Seconds())
	p.fin = append(p.fin, st.Finish.Seconds())
	r.Chunks, r.Computed, r.Batches = st.Chunks, st.Computed, st.Batches
}

// finish computes the point's figures.
func (p *point) finish() {
	r := &p.res
	if p.sep != nil {
		// The batch may have shrunk after an out-of-memory error: record
		// what ran.
		r.Batch = p.sep.BatchSize()
	}
	if r.Error == "" && len(r.Times) > 0 {
		r.PeakRSS, r.PeakRSSProcess = PeakRSS(), !p.rssReset
		if n, err := torch.PeakMemory(p.dev.Device); err == nil {
			r.PeakDevice = n
		}
		r.Median = Median(r.Times)
		r.CPUSeconds = Median(p.cpu)
		r.PrepareSeconds, r.FinishSeconds = Median(p.prep), Median(p.fin)
		r.RTF = r.Median / p.cfg.Input.Info.Seconds
		if r.Median > 0 {
			r.ChunksPerSec = float64(r.Chunks) / r.Median
			r.ModelSeconds = Median(p.model)
			r.DeviceBusy = min(r.ModelSeconds/r.Median, 1)
		}
	}
	r.Elapsed = time.Since(p.start).Seconds()
}

func (p *point) close() {
	if p.sep != nil {
		p.sep.Close()
		p.sep = nil
	}
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
				driver = host.NVIDIADriver()
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
