package separator

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/drumsplit/drumsplit/model"
	"github.com/drumsplit/drumsplit/torch"
)

// Mode selects the chunking and overlap-add algorithm.
type Mode string

const (
	// ModeMSST is Music-Source-Separation-Training's demix (the default):
	// reflect padding, linear fades of chunk/10, weighted average. With a
	// batch size of 1 the numbers are MSST's; other batch sizes give the same
	// result (MSST itself differs there, see the package documentation).
	ModeMSST Mode = "msst"
	// ModeUVR is Ultimate Vocal Remover's (and python-audio-separator's)
	// demix: zero padding and a plain average of overlapping chunks (see
	// the package documentation for overlaps that do not divide the chunk).
	ModeUVR Mode = "uvr"
)

// STFTPlacement says where the spectrogram is computed.
type STFTPlacement string

const (
	// STFTAuto uses the Go STFT on MPS, whose FFT support varies between
	// torch releases, and the model's own STFT elsewhere.
	STFTAuto STFTPlacement = "auto"
	// STFTModel runs the model's forward method, STFT included.
	STFTModel STFTPlacement = "model"
	// STFTGo computes the STFT and iSTFT in Go and runs the model's
	// forward_spec method on spectrograms.
	STFTGo STFTPlacement = "go"
)

// Precision is the element type the network computes in. Inputs, outputs
// and the STFT are float32 whatever the precision.
type Precision string

const (
	// PrecisionAuto is fp16 on CUDA (as MSST's autocast), fp32 on MPS and CPU.
	PrecisionAuto Precision = "auto"
	FP32          Precision = "fp32" // float32
	FP16          Precision = "fp16" // float16: CUDA and MPS only
	BF16          Precision = "bf16" // bfloat16
	// INT8 is the precision of a model exported with --precision int8
	// (statically quantised, CPU only); such a model runs at no other
	// precision, and no other model runs at this one.
	INT8 Precision = "int8"
)

// Options configure Open. The zero value picks every default.
type Options struct {
	// Info is the model's metadata, if the caller already read it from the
	// file given to Open (model.ReadInfo); nil reads it. Passing it saves a
	// read of the model file.
	Info *model.Info
	// Device is "auto" (or ""), "cpu", "cuda", "cuda:N" or "mps" (see
	// torch.ParseDevice). Auto prefers MPS, then CUDA device 0, then the
	// CPU.
	Device string
	// StrictDevice makes Open fail when Device is unavailable instead of
	// falling back to the next device in auto's order (with a warning).
	StrictDevice bool
	// Precision defaults to PrecisionAuto.
	Precision Precision
	// STFT defaults to STFTAuto.
	STFT STFTPlacement
	// Mode defaults to ModeMSST.
	Mode Mode
	// Overlap is the number of chunks covering each sample (MSST's
	// num_overlap, UVR's overlap), at most MaxOverlap; 0 takes the model's
	// num_overlap.
	Overlap int
	// ChunkSize overrides the model's chunk_size (0 keeps it). It must be a
	// multiple of the model's hop length, and chunk/hop+1 must suit the
	// network (divisible by 2^num_scales for TFC-TDF v3).
	ChunkSize int
	// BatchSize is the number of chunks run at once, at most MaxBatch and
	// MaxBatchBytes of output; 0 takes the model's batch_size. On an
	// out-of-memory error the batch is halved.
	BatchSize int
	// Threads sets libtorch's CPU thread count; 0 uses every CPU this
	// process may use (its affinity mask, capped by its cgroup's CPU quota).
	// libtorch's own default counts physical cores only, which leaves half
	// of a machine with hyper-threads (or a 2-vCPU VM) idle. The count is
	// process-wide in libtorch: the last Open sets it.
	Threads int
	// TTA turns on Music-Source-Separation-Training's test-time
	// augmentation (its --use_tta): every chunk is separated as it is, with
	// its channels swapped and with its polarity inverted, and the three
	// results, un-augmented, are averaged. It triples the network's work
	// and the host memory of the batches in flight; the device's batch
	// shape and memory stay as without it.
	TTA bool
	// Progress, when set, is called after every batch from the goroutine
	// that called Separate.
	Progress func(Progress)
	// Logger receives the device choice and warnings (Info and Warn
	// levels); nil logs nothing.
	Logger *slog.Logger
}

// ValueError reports an option value outside its valid set, e.g.
// `unknown precision "fp8" (valid: auto, fp32, fp16, bf16)`.
type ValueError struct {
	Option string   // "precision", "mode", "STFT placement"
	Value  string   // as given
	Valid  []string // the values that are accepted
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("unknown %s %q (valid: %s)", e.Option, e.Value, strings.Join(e.Valid, ", "))
}

// parseEnum returns the value of valid that s names (case-insensitive,
// surrounding spaces ignored; "" is the first, the default).
func parseEnum[T ~string](option, s string, valid ...T) (T, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if v == "" {
		return valid[0], nil
	}
	names := make([]string, len(valid))
	for i, x := range valid {
		if v == string(x) {
			return x, nil
		}
		names[i] = string(x)
	}
	return "", &ValueError{Option: option, Value: s, Valid: names}
}

// ParsePrecision reads auto, fp32, fp16, bf16 or int8 ("" is auto);
// anything else gives a *ValueError.
func ParsePrecision(s string) (Precision, error) {
	return parseEnum("precision", s, PrecisionAuto, FP32, FP16, BF16, INT8)
}

// ParseMode reads msst or uvr ("" is msst); anything else gives a
// *ValueError.
func ParseMode(s string) (Mode, error) {
	return parseEnum("mode", s, ModeMSST, ModeUVR)
}

// ParseSTFTPlacement reads auto, model or go ("" is auto); anything else
// gives a *ValueError.
func ParseSTFTPlacement(s string) (STFTPlacement, error) {
	return parseEnum("STFT placement", s, STFTAuto, STFTModel, STFTGo)
}

// withDefaults fills the empty fields, checks the rest and parses the
// device.
func (o Options) withDefaults() (Options, torch.Device, error) {
	var err error
	if o.Precision, err = ParsePrecision(string(o.Precision)); err != nil {
		return o, torch.Device{}, err
	}
	if o.STFT, err = ParseSTFTPlacement(string(o.STFT)); err != nil {
		return o, torch.Device{}, err
	}
	if o.Mode, err = ParseMode(string(o.Mode)); err != nil {
		return o, torch.Device{}, err
	}
	if strings.TrimSpace(o.Device) == "" {
		o.Device = "auto"
	}
	dev, err := torch.ParseDevice(o.Device)
	if err != nil {
		return o, torch.Device{}, err
	}
	if err := checkOptions(o); err != nil {
		return o, dev, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, dev, nil
}
