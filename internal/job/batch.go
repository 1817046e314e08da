package job

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/drumsplit/drumsplit/internal/host"
	"github.com/drumsplit/drumsplit/internal/tracks"
	"github.com/drumsplit/drumsplit/model"
	"github.com/drumsplit/drumsplit/separator"
	"github.com/drumsplit/drumsplit/torch"
)

// KindStarted is the "event" field of Started.
const KindStarted = "start"

// Started is the first event of a batch (RunBatch): what is separated,
// with which model and settings. Device and the settings after it up to
// Batch are those the loaded model runs with; they are absent when no
// input had a file to separate, as the model is not loaded then.
type Started struct {
	Kind       string   `json:"event"` // KindStarted
	Version    string   `json:"version"`
	Model      string   `json:"model"` // the model file's path
	ModelName  string   `json:"model_name"`
	Stems      []string `json:"stems"`       // the model's
	WriteStems []string `json:"write_stems"` // those written
	SampleRate int      `json:"sample_rate"` // the model's
	Device     string   `json:"device,omitempty"`
	Precision  string   `json:"precision,omitempty"`
	STFT       string   `json:"stft,omitempty"`
	Mode       string   `json:"mode,omitempty"`
	ChunkSize  int      `json:"chunk_size,omitempty"`
	Overlap    int      `json:"overlap,omitempty"`
	Batch      int      `json:"batch,omitempty"`
	TTA        bool     `json:"tta,omitempty"` // test-time augmentation (separator.Options.TTA)
	Out        string   `json:"out"`
	Format     string   `json:"format"`
	BitDepth   string   `json:"bit_depth"` // 16, 24 or 32f
	// OutSampleRate is the stem files' rate; 0: each input's own.
	OutSampleRate int  `json:"out_sample_rate"`
	Residual      bool `json:"residual"` // "other" = input − the stems written
	Inputs        int  `json:"inputs"`   // the entries to process
	// Devices are the workers' devices, one separator each, when the run
	// has several (Batch.Devices); Device is the first one's.
	Devices []string `json:"devices,omitempty"`
	// Shard is the part of the inputs this run takes (Batch.Shard), "I/N".
	Shard string `json:"shard,omitempty"`
}

func (Started) event() {}

// Batch is what RunBatch runs: the inputs the user named, separated with
// the model at ModelPath into stem files as Options say.
type Batch struct {
	Options
	// Inputs are files and folders; folders are searched (tracks.Find).
	Inputs    []string
	ModelPath string
	// Info is the model's metadata, read before (model.ReadInfo).
	Info *model.Info
	// Separator says how the model runs.
	Separator separator.Options
	// Version is the program's, recorded in Started.
	Version string
	// Devices run one separator each, handed the inputs as they become
	// free (RunParallel); each overrides Separator.Device. Empty, or
	// "auto" alone, is what AutoDevices picks.
	Devices []string
}

// RunBatch separates every input of b: it finds the input files and, when
// there is one to separate, checks that no two inputs of the whole run (all
// shards) would write the same file (CheckClashes), checks the output folder and loads the model, once
// for all inputs, emitting Loading first; then it emits Started and runs
// them (Run), emitting their events. Clashing inputs (a *ClashError), an
// output folder or a model that cannot be used is the error, returned
// before any other event and before anything is written.
func RunBatch(ctx context.Context, b Batch, emit func(Event)) (Summary, error) {
	all := tracks.Find(b.Inputs, b.Out)
	items := b.Shard.Select(b.Inputs, all)
	seps := []Separator{stemsOnly(b.Info.Stems)}
	start := Started{Kind: KindStarted, Version: b.Version, Model: b.ModelPath, ModelName: b.ModelName,
		Stems: b.Info.Stems, SampleRate: b.Info.SampleRate, Out: b.Out,
		Format: b.Encoding.Format, BitDepth: bitDepthName(b.Encoding.BitDepth), Inputs: len(items),
		OutSampleRate: b.SampleRate, Residual: b.Residual, Shard: b.Shard.String()}
	for _, i := range b.Stems {
		start.WriteStems = append(start.WriteStems, b.Info.Stems[i])
	}
	if hasFiles(items) {
		// Clashes are looked for among all the run's inputs, not only the
		// shard's: two same-named inputs in different shards would race for
		// one file, and every shard refuses the run alike.
		if err := CheckClashes(all, b.Info.Stems, &b.Options); err != nil {
			return Summary{}, err
		}
		if err := CheckOut(b.Out); err != nil {
			return Summary{}, err
		}
		dev := b.Separator.Device
		if dev == "" {
			dev = "auto"
		}
		emit(Loading{Kind: KindLoading, Model: b.ModelPath, ModelName: b.ModelName, Device: dev})
		models, err := b.openModels()
		if err != nil {
			return Summary{}, err
		}
		defer func() {
			for _, m := range models {
				m.Close()
			}
		}()
		seps = seps[:0]
		for _, m := range models {
			seps = append(seps, m)
			if len(models) > 1 {
				start.Devices = append(start.Devices, m.Device())
			}
		}
		m := models[0]
		start.Device, start.Precision, start.STFT, start.Mode = m.Device(), string(m.Precision()), string(m.STFT()), string(m.Mode())
		start.ChunkSize, start.Overlap, start.Batch = m.ChunkSize(), m.Overlap(), m.BatchSize()
		start.TTA = b.Separator.TTA
		if b.Logger != nil {
			b.Logger.Debug("separating", "device", start.Device, "precision", start.Precision, "stft", start.STFT,
				"mode", start.Mode, "chunk", start.ChunkSize, "overlap", start.Overlap, "batch", start.Batch)
		}
	}
	emit(start)
	return RunParallel(ctx, seps, items, b.Options, emit), nil
}

// openModels loads the model once for every input on each device of the
// run (Devices). Workers on the CPU share its cores: unless the thread
// count is set, each gets an equal part of them.
func (b *Batch) openModels() ([]*Model, error) {
	devices := b.Devices
	if len(devices) == 0 {
		devices = []string{b.Separator.Device}
	}
	if len(devices) == 1 && (devices[0] == "" || devices[0] == "auto") {
		auto, why, err := AutoDevices()
		if err != nil {
			return nil, b.libraryError(err)
		}
		if len(auto) > 1 && b.Logger != nil {
			b.Logger.Info(fmt.Sprintf("device auto: %s: one worker on each of %s", why, strings.Join(auto, ", ")))
		}
		devices = auto
	}
	threads := b.Separator.Threads
	if cpus := cpuWorkers(devices); threads == 0 && cpus > 1 {
		threads = max(1, host.UsableCPUs()/cpus)
	}
	var models []*Model
	for _, d := range devices {
		opts := b.Separator
		opts.Device, opts.Threads = d, threads
		m, err := b.openModel(opts)
		if err != nil {
			for _, m := range models {
				m.Close()
			}
			return nil, err
		}
		models = append(models, m)
	}
	if len(models) > 1 && b.Logger != nil {
		b.Logger.Debug(fmt.Sprintf("%d workers", len(models)), "threads", threads)
	}
	return models, nil
}

// cpuWorkers counts the CPU devices of a list.
func cpuWorkers(devices []string) int {
	n := 0
	for _, d := range devices {
		if dev, err := torch.ParseDevice(d); err == nil && dev.Type == torch.CPU {
			n++
		}
	}
	return n
}

// AutoDevices is what device "auto" runs a batch on: every CUDA device,
// one worker each, when there are several; else "auto" itself, the one
// device the separator picks (MPS, then CUDA, then the CPU). why says
// what was found.
func AutoDevices() (devices []string, why string, err error) {
	devs, err := torch.Devices()
	if err != nil {
		return nil, "", err
	}
	devices, why = autoDevices(devs)
	return devices, why, nil
}

// autoDevices is AutoDevices' choice among devs.
func autoDevices(devs []torch.DeviceInfo) (devices []string, why string) {
	var cuda []string
	for _, d := range devs {
		if d.Device.Type == torch.CUDA {
			cuda = append(cuda, d.Device.String())
		}
	}
	if len(cuda) > 1 {
		return cuda, fmt.Sprintf("%d CUDA devices", len(cuda))
	}
	return []string{"auto"}, "one device"
}

// libraryError logs what the dynamic loader said when libtorch could not
// be opened, at debug level, and returns err.
func (b *Batch) libraryError(err error) error {
	var le *torch.LibraryError
	if errors.As(err, &le) && le.Detail != "" && b.Logger != nil {
		b.Logger.Debug("loader: " + le.Detail)
	}
	return err
}

// openModel loads the model onto opts.Device. What the dynamic loader said
// when libtorch could not be opened is logged at debug level; the error is
// one line.
func (b *Batch) openModel(opts separator.Options) (*Model, error) {
	if opts.Info == nil {
		opts.Info = b.Info // read once: the file is opened again only by libtorch
	}
	m, err := Open(b.ModelPath, opts)
	if err != nil {
		var le *torch.LibraryError
		if errors.As(err, &le) {
			return nil, b.libraryError(err)
		}
		return nil, fmt.Errorf("model %q: %w", b.ModelPath, err)
	}
	if n, err := torch.Threads(); err == nil && b.Logger != nil {
		b.Logger.Debug(fmt.Sprintf("libtorch uses %d CPU threads", n))
	}
	return m, nil
}

// stemsOnly is the Separator of a run whose inputs are all errors: it
// names the stems and separates nothing.
type stemsOnly []string

func (s stemsOnly) Stems() []string { return s }
func (stemsOnly) SampleRate() int   { return 0 }
func (stemsOnly) Separate(context.Context, separator.Source, separator.Sink, func(separator.Progress)) error {
	return errors.New("no model loaded")
}

// hasFiles reports whether any item is a file to separate.
func hasFiles(items []tracks.Item) bool {
	for _, it := range items {
		if it.Err == nil {
			return true
		}
	}
	return false
}

// bitDepthName is the name of a bit depth as --bit-depth takes it.
func bitDepthName(bits int) string {
	if bits == 32 {
		return "32f"
	}
	return strconv.Itoa(bits)
}
