package separator

import (
	"context"
	"errors"
	"math"
	"testing"
)

// markerModel copies its input to every stem, except that where the input
// holds the value 8 (never found in noise) stem 1 gets bad instead: a
// model that breaks on one part of the track.
func markerModel(bad float32) chunkModel {
	return func(in [2][]float32, out [][2][]float32) {
		identityModel(in, out)
		for ch := range 2 {
			for t, v := range in[ch] {
				if v == 8 {
					out[1][ch][t] = bad
				}
			}
		}
	}
}

// TestNonFiniteOutput: NaN or an infinity in the model's output fails the
// separation with a *NonFiniteError naming the stem and the first place it
// happened, instead of reaching the stems (MSST's nan_to_num would have
// turned a NaN into silence).
func TestNonFiniteOutput(t *testing.T) {
	const at = 13230 // 0:00.3 at 44.1 kHz
	x := noise(30000, 5)
	x[1][at] = 8
	for _, c := range []struct {
		mode Mode
		bad  float32
		want string
	}{
		{ModeMSST, float32(math.NaN()), `the model produced NaN at 0:00.3 in stem "snare"; the model file may be broken`},
		{ModeUVR, float32(math.Inf(1)), `the model produced +Inf at 0:00.3 in stem "snare"; the model file may be broken`},
		{ModeMSST, float32(math.Inf(-1)), `the model produced -Inf at 0:00.3 in stem "snare"; the model file may be broken`},
	} {
		for _, batch := range []int{1, 3} {
			g, err := newGeometry(c.mode, 1000, 4)
			if err != nil {
				t.Fatal(err)
			}
			p, err := newPipeline(g, &fakeEngine{model: markerModel(c.bad), S: 2, C: 1000}, batch, quietLogger())
			if err != nil {
				t.Fatal(err)
			}
			p.stemNames, p.rate = []string{"kick", "snare"}, 44100
			var written int64
			sink := SinkFunc(func(stems [][][]float32) error {
				for _, v := range stems[1][1] {
					if v-v != 0 {
						t.Fatalf("%s: a non-finite value reached the sink", c.mode)
					}
				}
				written += int64(len(stems[1][1]))
				return nil
			})
			err = p.run(context.Background(), bufSource(t, x), sink)
			var ne *NonFiniteError
			if !errors.Is(err, ErrNonFinite) || !errors.As(err, &ne) {
				t.Fatalf("%s batch %d: error %v, want ErrNonFinite", c.mode, batch, err)
			}
			if ne.Frame != at || ne.Stem != "snare" || err.Error() != c.want {
				t.Errorf("%s batch %d: %q at frame %d stem %q, want %q at frame %d", c.mode, batch, err, ne.Frame, ne.Stem, c.want, at)
			}
			if written >= at {
				t.Errorf("%s batch %d: %d frames written, past the broken frame %d", c.mode, batch, written, at)
			}
		}
	}

	// Without names and a rate the error still says which and where.
	e := &NonFiniteError{Value: float32(math.NaN()), Stem: "stem 2", Frame: 99}
	if got := e.Error(); got != `the model produced NaN at frame 99 in stem "stem 2"; the model file may be broken` {
		t.Errorf("Error() = %q", got)
	}
}

func TestClock(t *testing.T) {
	for sec, want := range map[float64]string{0: "0:00.0", 12.3: "0:12.3", 59.96: "1:00.0", 754.25: "12:34.3", 3725.04: "1:02:05.0"} {
		if got := clock(sec); got != want {
			t.Errorf("clock(%g) = %q, want %q", sec, got, want)
		}
	}
}
