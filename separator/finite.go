package separator

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// ErrNonFinite matches the error of a separation whose model produced NaN or
// an infinity (see NonFiniteError).
var ErrNonFinite = errors.New("the model produced a non-finite value")

// NonFiniteError reports the first NaN or infinity found in a chunk of the
// model's output. Left alone it would reach the stems as silence (MSST's
// nan_to_num) or as noise at full scale; a model that produces one is
// broken, so the separation fails instead. It matches ErrNonFinite.
type NonFiniteError struct {
	Value      float32 // NaN, +Inf or -Inf
	Stem       string  // the stem's name, or "stem N" when unknown
	Frame      int64   // where in the track, in frames at SampleRate
	SampleRate int     // 0 when unknown: the position is given in frames
}

func (e *NonFiniteError) Error() string {
	v := "NaN"
	if math.IsInf(float64(e.Value), 1) {
		v = "+Inf"
	} else if math.IsInf(float64(e.Value), -1) {
		v = "-Inf"
	}
	at := "frame " + strconv.FormatInt(e.Frame, 10)
	if e.SampleRate > 0 {
		at = clock(float64(e.Frame) / float64(e.SampleRate))
	}
	return fmt.Sprintf("the model produced %s at %s in stem %q; the model file may be broken", v, at, e.Stem)
}

// Is reports whether target is ErrNonFinite.
func (e *NonFiniteError) Is(target error) bool { return target == ErrNonFinite }

// clock formats seconds as m:ss.s, or h:mm:ss.s from an hour on.
func clock(sec float64) string {
	tenths := int64(sec*10 + 0.5)
	h, m, s := tenths/36000, tenths/600%60, float64(tenths%600)/10
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%04.1f", h, m, s)
	}
	return fmt.Sprintf("%d:%04.1f", m, s)
}

// checkFinite returns a *NonFiniteError for the earliest NaN or infinity
// among the samples chunk c contributes, out = [S][2][C] as the engine wrote
// it, or nil. It reads every value once, which costs little next to the
// model that produced them.
func (p *pipeline) checkFinite(c chunkInfo, out []float32) error {
	C, S := p.g.chunk, p.eng.stems()
	first, row := -1, 0
	for r := 0; r < 2*S; r++ {
		o := out[r*C:][:c.length]
		if first >= 0 {
			o = o[:first] // only an earlier one matters
		}
		for t, v := range o {
			if v-v != 0 { // NaN − NaN and Inf − Inf are NaN; finite − itself is 0
				first, row = t, r
				break
			}
		}
	}
	if first < 0 {
		return nil
	}
	s := row / 2
	e := &NonFiniteError{Value: out[row*C+first], Stem: "stem " + strconv.Itoa(s+1), SampleRate: p.rate}
	if s < len(p.stemNames) {
		e.Stem = p.stemNames[s]
	}
	// From padded coordinates to the track; padding maps to its ends.
	e.Frame = max(c.start+int64(first)-c.keepLo, 0)
	if c.keepHi >= 0 {
		e.Frame = min(e.Frame, max(c.keepHi-c.keepLo-1, 0))
	}
	return e
}
