package job

import (
	"context"
	"errors"
	"fmt"
	"strconv"

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
	Out        string   `json:"out"`
	Format     string   `json:"format"`
	BitDepth   string   `json:"bit_depth"` // 16, 24 or 32f
	Inputs     int      `json:"inputs"`    // the entries to process
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
}

// RunBatch separates every input of b: it finds the input files and, when
// there is one to separate, checks that no two inputs would write the same
// file (CheckClashes), checks the output folder and loads the model, once
// for all inputs; then it emits Started and runs them (Run), emitting their
// events. Clashing inputs (a *ClashError), an output folder or a model that
// cannot be used is the error, returned before any event and before
// anything is written.
func RunBatch(ctx context.Context, b Batch, emit func(Event)) (Summary, error) {
	items := tracks.Find(b.Inputs, b.Out)
	var sep Separator = stemsOnly(b.Info.Stems)
	start := Started{Kind: KindStarted, Version: b.Version, Model: b.ModelPath, ModelName: b.ModelName,
		Stems: b.Info.Stems, SampleRate: b.Info.SampleRate, Out: b.Out,
		Format: b.Encoding.Format, BitDepth: bitDepthName(b.Encoding.BitDepth), Inputs: len(items)}
	for _, i := range b.Stems {
		start.WriteStems = append(start.WriteStems, b.Info.Stems[i])
	}
	if hasFiles(items) {
		if err := CheckClashes(items, b.Info.Stems, &b.Options); err != nil {
			return Summary{}, err
		}
		if err := CheckOut(b.Out); err != nil {
			return Summary{}, err
		}
		m, err := b.openModel()
		if err != nil {
			return Summary{}, err
		}
		defer m.Close()
		sep = m
		start.Device, start.Precision, start.STFT, start.Mode = m.Device(), string(m.Precision()), string(m.STFT()), string(m.Mode())
		start.ChunkSize, start.Overlap, start.Batch = m.ChunkSize(), m.Overlap(), m.BatchSize()
		if b.Logger != nil {
			b.Logger.Debug("separating", "device", start.Device, "precision", start.Precision, "stft", start.STFT,
				"mode", start.Mode, "chunk", start.ChunkSize, "overlap", start.Overlap, "batch", start.Batch)
		}
	}
	emit(start)
	return Run(ctx, sep, items, b.Options, emit), nil
}

// openModel loads the model onto the device once for every input. What
// the dynamic loader said when libtorch could not be opened is logged at
// debug level; the error is one line.
func (b *Batch) openModel() (*Model, error) {
	opts := b.Separator
	if opts.Info == nil {
		opts.Info = b.Info // read once: the file is opened again only by libtorch
	}
	m, err := Open(b.ModelPath, opts)
	if err != nil {
		var le *torch.LibraryError
		if errors.As(err, &le) {
			if le.Detail != "" && b.Logger != nil {
				b.Logger.Debug("loader: " + le.Detail)
			}
			return nil, err
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
