package separator

import (
	"errors"
	"fmt"
	"io"

	"github.com/drumsplit/drumsplit/audio"
)

// Source supplies the stereo track to separate, at the model's sample rate
// (resample first, for example with audio.ResampleReader).
//
// Read follows audio.Reader: it fills dst[0][:n] and dst[1][:n], returns n > 0
// with a nil error while there is data and 0, io.EOF at the end (n > 0 with
// io.EOF is accepted too). Frames returns the number of frames the source
// will deliver, or -1 when that is not known in advance; it only feeds the
// progress report, because the separator reads far enough ahead to see the
// end of the track whenever the algorithm needs to know it.
type Source interface {
	Read(dst [][]float32) (n int, err error)
	Frames() int64
}

// Sink receives the separated stems as they are finished, in order:
// stems[s][ch] holds the next frames of stem s, channel ch (every stem and
// channel has the same length). The slices are only valid during the call;
// Write is called from the goroutine that called Separate.
type Sink interface {
	Write(stems [][][]float32) error
}

// SinkFunc adapts a function to the Sink interface.
type SinkFunc func(stems [][][]float32) error

// Write calls f(stems).
func (f SinkFunc) Write(stems [][][]float32) error { return f(stems) }

// ReaderSource adapts an audio.Reader to a Source. A mono reader is
// separated as a stereo track of two equal channels, as MSST and demucs do
// (the stems are stereo all the same); of more channels the first two are
// used (audio.Stereo). Its length comes from the reader's Info().Frames (-1
// when unknown). The reader must be at the model's rate: use
// audio.ResampleReader first.
func ReaderSource(r audio.Reader) (Source, error) {
	info := r.Info()
	if info.Channels < 1 {
		return nil, fmt.Errorf("input has %d channels", info.Channels)
	}
	return readerSource{audio.Stereo(r)}, nil
}

type readerSource struct{ r audio.Reader }

func (s readerSource) Read(dst [][]float32) (int, error) { return s.r.Read(dst) }
func (s readerSource) Frames() int64                     { return s.r.Info().Frames }

// bufferSource reads from planar samples in memory: left and right, which
// are the same slice for a mono track.
type bufferSource struct {
	left, right []float32
	pos         int
}

// BufferSource returns a Source reading planar samples, channels[ch][i],
// all of the same length: one channel (mono, separated as two equal
// channels), two, or more (the first two are used, as audio.Stereo does).
// The slices are not copied.
func BufferSource(channels [][]float32) (Source, error) {
	if len(channels) == 0 {
		return nil, errors.New("input has no channels")
	}
	for _, ch := range channels[1:] {
		if len(ch) != len(channels[0]) {
			return nil, fmt.Errorf("channel lengths differ (%d and %d)", len(channels[0]), len(ch))
		}
	}
	b := &bufferSource{left: channels[0], right: channels[0]}
	if len(channels) > 1 {
		b.right = channels[1]
	}
	return b, nil
}

func (b *bufferSource) Frames() int64 { return int64(len(b.left)) }

func (b *bufferSource) Read(dst [][]float32) (int, error) {
	if b.pos >= len(b.left) {
		return 0, io.EOF
	}
	n := copy(dst[0], b.left[b.pos:])
	copy(dst[1][:n], b.right[b.pos:])
	b.pos += n
	return n, nil
}

// bufferSink collects every stem in memory.
type bufferSink struct {
	stems [][][]float32
}

func newBufferSink(stems int, capacity int) *bufferSink {
	s := &bufferSink{stems: make([][][]float32, stems)}
	for i := range s.stems {
		s.stems[i] = [][]float32{make([]float32, 0, capacity), make([]float32, 0, capacity)}
	}
	return s
}

func (b *bufferSink) Write(stems [][][]float32) error {
	for s := range b.stems {
		for ch := range b.stems[s] {
			b.stems[s][ch] = append(b.stems[s][ch], stems[s][ch]...)
		}
	}
	return nil
}
