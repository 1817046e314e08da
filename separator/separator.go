package separator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	"github.com/drumsplit/drumsplit/internal/host"
	"github.com/drumsplit/drumsplit/model"
	"github.com/drumsplit/drumsplit/torch"
)

// ErrClosed is returned by a Separator's methods after Close.
var ErrClosed = errors.New("the separator is closed")

// Separator splits tracks into stems with one exported model on one device.
// Its methods are safe for concurrent use; separations run one at a time.
type Separator struct {
	mu     sync.Mutex
	info   *model.Info
	path   string
	opts   Options
	dev    torch.Device
	prec   Precision
	stft   STFTPlacement
	geo    geometry
	batch  int // the batch size asked for
	mod    *torch.Module
	eng    engine
	pipe   *pipeline
	closed bool
}

// Open loads the exported model at path (see docs/ARCHITECTURE.md) onto the
// device opts ask for, converts it to the precision, and runs one warm-up
// batch unless it runs on the CPU at fp32. A file that is not a drumsplit model gives an error matching the
// model package's errors (model.ErrNotDrumsplit, …); a missing native
// library one matching torch.ErrNoLibtorch.
//
// Errors are one line, ready to show, and wrap their causes: errors.Is and
// errors.As see the model package's and the torch package's errors
// (torch.ErrOutOfMemory, *torch.Error, …) through them.
func Open(path string, opts Options) (*Separator, error) {
	opts, want, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	// The metadata is checked before libtorch is touched: a wrong file gets
	// a precise error even where libtorch is missing.
	info := opts.Info
	if info == nil {
		if info, err = model.ReadInfo(path); err != nil {
			return nil, err
		}
	}
	geo, batch, err := plan(opts, info)
	if err != nil {
		return nil, err
	}
	if err := torch.Loaded(); err != nil {
		return nil, err
	}
	warnNewerTorch(path, info, log)
	threads := opts.Threads
	if threads == 0 {
		threads = host.UsableCPUs()
	}
	if err := torch.SetThreads(threads); err != nil {
		return nil, err
	}
	if want, err = int8Device(info, opts.Precision, want, log); err != nil {
		return nil, err
	}
	dev, err := chooseDevice(want, opts.StrictDevice, log)
	if err != nil {
		return nil, err
	}
	s := &Separator{path: path, opts: opts, dev: dev, info: info, geo: geo, batch: batch}
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// warnNewerTorch warns when the model file was exported by a newer torch
// than the libtorch that is to run it: it may fail to load, with libtorch's
// less than obvious error, or run operators whose meaning changed.
func warnNewerTorch(path string, info *model.Info, log *slog.Logger) {
	v, err := torch.Versions()
	if err != nil {
		return
	}
	if newer, _ := model.TorchNewer(info.TorchVersion, v.Libtorch); newer {
		log.Warn(fmt.Sprintf("model %s was exported by torch %s, newer than this libtorch %s: it may fail to load or compute wrongly; export it with torch %s or older",
			strconv.Quote(path), info.TorchVersion, v.Libtorch, v.Libtorch),
			"model_torch", info.TorchVersion, "libtorch", v.Libtorch)
	}
}

// load loads the module and builds the engine and pipeline; on a failure of
// a reduced precision it converts the module to fp32 and tries once more.
// The model file is read once either way: the module converts from the
// weights as loaded (torch.Module.SetDType), so the fp32 retry computes what
// a fresh fp32 load would.
func (s *Separator) load() error {
	log := s.opts.Logger
	mod, err := torch.Load(s.path, s.dev)
	if err != nil {
		return err
	}
	prec := INT8
	if s.info.Precision != "int8" {
		prec = choosePrecision(s.opts.Precision, s.dev, log)
	}
	if prec == INT8 {
		if e, err := torch.QuantizedEngine(); err == nil {
			log.Info("int8 model", "quantised_engine", e)
		}
	}
	err = s.configure(mod, prec)
	if err != nil && s.prec != FP32 && s.prec != INT8 && isDTypeFailure(err) {
		log.Warn(fmt.Sprintf("%s does not work on %s; using fp32", s.prec, s.dev), "error", err)
		if err = mod.SetDType(torch.Float32); err == nil {
			err = s.configure(mod, FP32)
		}
	}
	if err != nil {
		mod.Close()
		return err
	}
	log.Info("model ready",
		"model", s.info.Name, "stems", s.info.Stems, "sample_rate", s.info.SampleRate,
		"mode", s.geo.mode, "chunk", s.geo.chunk, "overlap", s.geo.overlap,
		"batch", s.pipe.batch.Load(), "precision", s.prec, "stft", s.stft, "tta", s.opts.TTA)
	return nil
}

// isDTypeFailure reports whether err could come from running the network in
// a reduced precision the device does not support (rather than from a
// broken model or a lack of memory).
func isDTypeFailure(err error) bool {
	var te *torch.Error
	return errors.As(err, &te) && (te.Status == torch.StatusTorch || te.Status == torch.StatusUnsupported)
}

// configure sets up the module for precision prec, builds the engine and
// the pipeline and runs the warm-up batch. On failure s.prec says which
// precision failed.
func (s *Separator) configure(mod *torch.Module, prec Precision) error {
	s.prec = prec
	o, info, chunk := s.opts, s.info, s.geo.chunk

	s.stft = o.STFT
	if s.stft == STFTAuto {
		// MPS FFT support varies between torch releases (and MSST's copy
		// of the network has no fallback); the Go STFT avoids it.
		s.stft = STFTModel
		if s.dev.Type == torch.MPS {
			s.stft = STFTGo
		}
	}
	if s.stft == STFTGo && !mod.HasMethod("forward_spec") {
		if o.STFT == STFTGo {
			return fmt.Errorf("model %s has no forward_spec method, needed for the Go STFT", strconv.Quote(s.path))
		}
		s.opts.Logger.Warn("model has no forward_spec method; running its in-graph STFT")
		s.stft = STFTModel
	}

	stored := torch.Float32
	if info.Precision == "fp16" {
		stored = torch.Float16
	}
	if want := prec.dtype(); want != stored {
		if err := mod.SetDType(want); err != nil {
			return err
		}
	}

	S := len(info.Stems)
	var eng engine
	var err error
	if s.stft == STFTGo {
		eng, err = newSpecEngine(mod, s.dev, S, chunk, info.NFFT, info.HopLength, info.DimF)
		if err != nil {
			return err
		}
	} else {
		eng = &graphEngine{mod: mod, dev: s.dev, S: S, C: chunk}
	}
	if o.TTA {
		eng = newTTAEngine(eng, chunk)
	}
	p, err := newPipeline(s.geo, eng, s.batch, s.opts.Logger)
	if err != nil {
		eng.close()
		return err
	}
	p.progress = o.Progress
	p.stemNames, p.rate = info.Stems, info.SampleRate
	p.padLast = s.dev.Type != torch.CPU
	if s.needsWarmUp() {
		if err := p.warmUp(); err != nil {
			eng.close()
			return fmt.Errorf("warm-up batch: %w", err)
		}
		p.stats = Stats{} // Stats describes separations only
	}
	s.mod, s.eng, s.pipe = mod, eng, p
	return nil
}

// needsWarmUp reports whether Open runs a warm-up batch. On a GPU it makes
// libtorch allocate (and shrink an out-of-memory batch) before the first
// track, and a reduced precision must prove that the device runs it, or
// fall back to fp32. On the CPU at fp32 neither applies, and with the
// simple graph executor (the torch package's default) there is nothing to
// compile: the warm-up batch would only delay the first chunk, by a whole
// batch of the network's work.
func (s *Separator) needsWarmUp() bool {
	return s.dev.Type != torch.CPU || (s.prec != FP32 && s.prec != INT8)
}

// Info returns the model's metadata (the caller must not modify it).
func (s *Separator) Info() *model.Info { return s.info }

// Stems returns the stem names in the order of Separate's output.
func (s *Separator) Stems() []string { return append([]string(nil), s.info.Stems...) }

// SampleRate returns the model's sample rate: sources must be at this rate.
func (s *Separator) SampleRate() int { return s.info.SampleRate }

// Device returns the device in use, e.g. "cuda:0".
func (s *Separator) Device() string { return s.dev.String() }

// Precision returns the precision the network runs in.
func (s *Separator) Precision() Precision { return s.prec }

// STFT returns where the STFT runs: STFTModel or STFTGo.
func (s *Separator) STFT() STFTPlacement { return s.stft }

// Mode returns the overlap-add algorithm.
func (s *Separator) Mode() Mode { return s.geo.mode }

// TTA reports whether test-time augmentation is on (Options.TTA).
func (s *Separator) TTA() bool { return s.opts.TTA }

// ChunkSize returns the samples per chunk.
func (s *Separator) ChunkSize() int { return s.geo.chunk }

// Overlap returns the number of chunks covering each sample.
func (s *Separator) Overlap() int { return s.geo.overlap }

// BatchSize returns the current batch size (smaller than asked for after an
// out-of-memory error).
func (s *Separator) BatchSize() int { return int(s.pipe.batch.Load()) }

// Separate reads the whole source and writes every stem to dst as soon as
// it is final. Memory use does not grow with the track's length: a few
// batches of chunks plus accumulators of about one chunk. Cancelling ctx
// stops it within one batch.
func (s *Separator) Separate(ctx context.Context, src Source, dst Sink) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return s.pipe.run(ctx, src, dst)
}

// SeparateBuffer separates samples held in memory (channels[ch][i], all of
// equal length, at SampleRate) and returns stems[s][ch][i], each as long as
// the input. The stems are always stereo, the model's two channels: a mono
// input is separated as two equal channels (as MSST and demucs do), and of
// more than two channels the first two are used (see BufferSource).
func (s *Separator) SeparateBuffer(ctx context.Context, channels [][]float32) ([][][]float32, error) {
	src, err := BufferSource(channels)
	if err != nil {
		return nil, err
	}
	sink := newBufferSink(len(s.info.Stems), len(channels[0]))
	if err := s.Separate(ctx, src, sink); err != nil {
		return nil, err
	}
	return sink.stems, nil
}

// Close frees the model. A Separator cannot be used after Close.
func (s *Separator) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.eng.close()
	return s.mod.Close()
}
