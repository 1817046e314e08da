package separator

import (
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/drumsplit/drumsplit/audio"
)

// An Output turns the stems of a separation, which come at the model's
// rate, into the samples of the files to write: the selected stems,
// resampled to the output rate with the band-limited resampler of package
// audio, and, when asked, a residual stem — the input minus the sum of the
// selected stems — so that the stems written add up to the input.
//
// The residual is computed at the output rate from the input as decoded
// (resampled once to the output rate if that differs from the input's), not
// from the input the model saw: at the input's own rate the stems written
// plus the residual equal the decoded input within float32 rounding, even
// though the model ran at another rate.
//
// Use NewOutput to get the Output and the Source to separate, pass the
// Output to Separate as its Sink, and call Finish after Separate returned
// without error.
type Output struct {
	stems    []int // the separator's stem index of each stem to write
	residual bool
	emit     func(out [][][]float32) error

	in      *tapReader         // the input, as the separation reads it
	stemRS  []*audio.Resampler // per selected stem; nil when the rates are equal
	pend    [][][]float32      // per selected stem, [ch][i]: stems not yet emitted
	out     [][][]float32      // the slices given to emit
	inRate  int
	outRate int
	sent    int64 // frames emitted
}

// outputHold is how many frames Output holds back until Finish: resampling
// the input to the model's rate and the stems back can give a frame or two
// more than the input's length at the output rate, which only the end of
// the input tells.
const outputHold = 4

// NewOutput prepares the separation of in, a stereo reader at the input's
// rate (audio.Stereo), by a model at modelRate into the stems of index
// stems, written at outRate (0: the input's rate). It returns the Output
// and the Source to pass to Separate: in resampled to modelRate. Closing in
// remains the caller's job.
//
// emit receives the samples to write, in order, as they are final:
// out[k][ch][i] for the k-th of stems and, with residual, the residual last
// (len(stems)+1 entries). In all it receives round(n·outRate/inRate) frames
// for an input of n frames. The slices are only valid during the call.
func NewOutput(in audio.Reader, modelRate, outRate int, stems []int, residual bool, emit func(out [][][]float32) error) (*Output, Source, error) {
	info := in.Info()
	if info.Channels != 2 {
		return nil, nil, fmt.Errorf("input has %d channels, need 2 (use audio.Stereo)", info.Channels)
	}
	if outRate == 0 {
		outRate = info.SampleRate
	}
	o := &Output{stems: stems, residual: residual, emit: emit, inRate: info.SampleRate, outRate: outRate}
	o.in = &tapReader{Reader: in}
	if residual && outRate != info.SampleRate {
		rs, err := audio.NewResampler(info.SampleRate, outRate, 2)
		if err != nil {
			return nil, nil, err
		}
		o.in.rs = rs
	}
	o.in.keep = residual
	o.in.ref = [][]float32{nil, nil}
	o.pend = make([][][]float32, len(stems))
	for k := range stems {
		o.pend[k] = [][]float32{nil, nil}
		if outRate != modelRate {
			rs, err := audio.NewResampler(modelRate, outRate, 2)
			if err != nil {
				return nil, nil, err
			}
			o.stemRS = append(o.stemRS, rs)
		}
	}
	n := len(stems)
	if residual {
		n++
	}
	o.out = make([][][]float32, n)
	r, err := audio.ResampleReader(o.in, modelRate)
	if err != nil {
		return nil, nil, err
	}
	src, err := ReaderSource(r)
	if err != nil {
		return nil, nil, err
	}
	return o, src, nil
}

// Rate returns the output rate.
func (o *Output) Rate() int { return o.outRate }

// Write implements Sink: it takes the stems of the model (every stem, at
// the model's rate) and emits what is final.
func (o *Output) Write(stems [][][]float32) error {
	for k, s := range o.stems {
		if s >= len(stems) {
			return fmt.Errorf("stem %d of %d", s, len(stems))
		}
		if o.stemRS == nil {
			for ch := range o.pend[k] {
				o.pend[k][ch] = append(o.pend[k][ch], stems[s][ch]...)
			}
			continue
		}
		var err error
		if o.pend[k], err = o.stemRS[k].Process(o.pend[k], stems[s]); err != nil {
			return err
		}
	}
	return o.flush(-1)
}

// Finish emits the last frames, once Separate has returned without error.
// The input must have been read to its end.
func (o *Output) Finish() error {
	if !o.in.eof {
		return errors.New("output: the input was not read to its end")
	}
	for k, rs := range o.stemRS {
		o.pend[k] = rs.Flush(o.pend[k])
	}
	if o.in.rs != nil {
		o.in.ref = o.in.rs.Flush(o.in.ref)
	}
	want := roundRatio(o.in.frames, int64(o.outRate), int64(o.inRate))
	// Stems a frame short of the input's length end in silence; one too
	// many are dropped, as are frames past the end of the residual's input.
	for k := range o.pend {
		for ch := range o.pend[k] {
			for int64(len(o.pend[k][ch]))+o.sent < want {
				o.pend[k][ch] = append(o.pend[k][ch], 0)
			}
		}
	}
	return o.flush(want)
}

// flush emits the frames every stem (and the residual's input) has, up to
// want frames in all, or while the end is unknown (want < 0) all but the
// last outputHold.
func (o *Output) flush(want int64) error {
	n := int64(-1)
	for k := range o.pend {
		n = minKnown(n, int64(len(o.pend[k][0])))
	}
	if o.residual {
		n = minKnown(n, int64(len(o.in.ref[0])))
	}
	if want >= 0 {
		n = min(n, want-o.sent)
	} else {
		n -= outputHold
	}
	if n <= 0 {
		return nil
	}
	for k := range o.pend {
		o.out[k] = [][]float32{o.pend[k][0][:n], o.pend[k][1][:n]}
	}
	if o.residual {
		res := make([][]float32, 2)
		for ch := range res {
			ref := o.in.ref[ch][:n]
			r := make([]float32, n)
			for i, x := range ref {
				// The sum in float64: the stems written plus the
				// residual give the input back within the one rounding
				// of the difference to float32.
				sum := 0.0
				for k := range o.pend {
					sum += float64(o.pend[k][ch][i])
				}
				r[i] = float32(float64(x) - sum)
			}
			res[ch] = r
		}
		o.out[len(o.pend)] = res
	}
	if err := o.emit(o.out); err != nil {
		return err
	}
	o.sent += n
	for k := range o.pend {
		for ch := range o.pend[k] {
			o.pend[k][ch] = o.pend[k][ch][:copy(o.pend[k][ch], o.pend[k][ch][n:])]
		}
	}
	if o.residual {
		for ch := range o.in.ref {
			o.in.ref[ch] = o.in.ref[ch][:copy(o.in.ref[ch], o.in.ref[ch][n:])]
		}
	}
	return nil
}

// minKnown is the smaller of a and b, where a < 0 means none yet.
func minKnown(a, b int64) int64 {
	if a < 0 {
		return b
	}
	return min(a, b)
}

// roundRatio returns round(n·num/den) without overflow, as the resampler
// counts its output.
func roundRatio(n, num, den int64) int64 {
	if num == den {
		return n
	}
	hi, lo := bits.Mul64(uint64(n), uint64(2*num))
	lo, c := bits.Add64(lo, uint64(den), 0)
	hi += c
	q, _ := bits.Div64(hi, lo, uint64(2*den))
	return int64(q)
}

// tapReader passes a stereo reader through, counting its frames and, for
// the residual, keeping what it read (resampled to the output rate by rs,
// if set) until Output has used it.
type tapReader struct {
	audio.Reader
	keep   bool
	rs     *audio.Resampler
	ref    [][]float32
	frames int64
	eof    bool
}

func (t *tapReader) Read(dst [][]float32) (int, error) {
	n, err := t.Reader.Read(dst)
	if n > 0 {
		t.frames += int64(n)
		if t.keep {
			in := [][]float32{dst[0][:n], dst[1][:n]}
			if t.rs != nil {
				var rerr error
				if t.ref, rerr = t.rs.Process(t.ref, in); rerr != nil {
					return 0, rerr
				}
			} else {
				for ch := range in {
					t.ref[ch] = append(t.ref[ch], in[ch]...)
				}
			}
		}
	}
	if err == io.EOF {
		t.eof = true
	}
	return n, err
}
