package separator

import (
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

// ReaderSource adapts an audio.Reader with exactly two channels to a Source.
// Its length comes from the reader's Info().Frames (-1 when unknown). Use
// audio.Stereo and audio.ResampleReader first to get two channels at the
// model's rate.
func ReaderSource(r audio.Reader) (Source, error) {
	info := r.Info()
	if info.Channels != 2 {
		return nil, fmt.Errorf("input has %d channels, need 2 (use audio.Stereo)", info.Channels)
	}
	return readerSource{r}, nil
}

type readerSource struct{ r audio.Reader }

func (s readerSource) Read(dst [][]float32) (int, error) { return s.r.Read(dst) }
func (s readerSource) Frames() int64                     { return s.r.Info().Frames }

// bufferSource reads from planar stereo samples in memory.
type bufferSource struct {
	data [][]float32
	pos  int
}

// BufferSource returns a Source reading stereo[0] and stereo[1], which must
// have the same length. The slices are not copied.
func BufferSource(stereo [][]float32) (Source, error) {
	if len(stereo) != 2 {
		return nil, fmt.Errorf("input has %d channels, need 2", len(stereo))
	}
	if len(stereo[0]) != len(stereo[1]) {
		return nil, fmt.Errorf("channel lengths differ (%d and %d)", len(stereo[0]), len(stereo[1]))
	}
	return &bufferSource{data: stereo}, nil
}

func (b *bufferSource) Frames() int64 { return int64(len(b.data[0])) }

func (b *bufferSource) Read(dst [][]float32) (int, error) {
	if b.pos >= len(b.data[0]) {
		return 0, io.EOF
	}
	n := copy(dst[0], b.data[0][b.pos:])
	copy(dst[1][:n], b.data[1][b.pos:])
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
