package separator

import (
	"context"
	"fmt"
	"testing"
)

// skewModel is neither odd (x ↦ −x does not negate its output) nor
// symmetric in its channels, and depends on the whole chunk, so each of the
// three separations of test-time augmentation shows in the result.
func skewModel(in [2][]float32, out [][2][]float32) {
	C := len(in[0])
	var mean [2]float64
	for ch := range in {
		for _, v := range in[ch] {
			mean[ch] += float64(v)
		}
		mean[ch] /= float64(C)
	}
	for s := range out {
		for ch := 0; ch < 2; ch++ {
			for t := range in[ch] {
				l, r := float64(in[0][t]), float64(in[1][t])
				out[s][ch][t] = float32(0.3*float64(s+1)*float64(in[ch][t]) + 0.5*l*l +
					0.2*float64(ch+1)*r + mean[ch]*float64(t)/float64(C))
			}
		}
	}
}

// refTTA is MSST's apply_tta over a whole-array demix: demix of x, of x with
// its channels swapped and of −x, combined as (y + swap(y_swapped) −
// y_inverted) / 3 in float32.
func refTTA(x [2][]float32, demix func([2][]float32) [][2][]float32) [][2][]float32 {
	swapped := [2][]float32{x[1], x[0]}
	var inverted [2][]float32
	for ch := range x {
		inverted[ch] = make([]float32, len(x[ch]))
		for i, v := range x[ch] {
			inverted[ch][i] = -v
		}
	}
	y, ys, yi := demix(x), demix(swapped), demix(inverted)
	for s := range y {
		for ch := 0; ch < 2; ch++ {
			for i := range y[s][ch] {
				v := y[s][ch][i] + ys[s][1-ch][i]
				v -= yi[s][ch][i]
				y[s][ch][i] = v / 3
			}
		}
	}
	return y
}

// runTTA separates x through the streaming pipeline with test-time
// augmentation around a fake engine.
func runTTA(t *testing.T, mode Mode, C, N, batch, S int, model chunkModel, src Source, padLast bool, oomAbove int) ([][2][]float32, *fakeEngine) {
	t.Helper()
	g, err := newGeometry(mode, C, N)
	if err != nil {
		t.Fatal(err)
	}
	inner := &fakeEngine{model: model, S: S, C: C, oomAbove: oomAbove}
	p, err := newPipeline(g, newTTAEngine(inner, C), batch, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	p.padLast = padLast
	sink := newBufferSink(S, 0)
	if err := p.run(context.Background(), src, sink); err != nil {
		t.Fatalf("%s C=%d N=%d batch=%d: %v", mode, C, N, batch, err)
	}
	out := make([][2][]float32, S)
	for s := range out {
		out[s] = [2][]float32{sink.stems[s][0], sink.stems[s][1]}
	}
	return out, inner
}

// TestTTAMatchesMSST compares test-time augmentation in the streaming
// pipeline with MSST's apply_tta around the whole-array transcriptions of
// MSST's and UVR's demix, for batch sizes 1–5 with and without zero chunks
// padding the last batch, with a source that hides its length and reads in
// odd pieces. drumsplit combines each chunk's three outputs before the
// overlap-add and MSST after it, so the two agree to float rounding.
func TestTTAMatchesMSST(t *testing.T) {
	const C, S = 1000, 3
	for _, mode := range []Mode{ModeMSST, ModeUVR} {
		for _, N := range []int{1, 3, 4} {
			for _, L := range []int{0, 1, 300, 999, 1000, 2345, 5003} {
				x := noise(L, uint64(L+7*N))
				want := refTTA(x, func(m [2][]float32) [][2][]float32 {
					if mode == ModeMSST {
						return refMSST(m, C, N, 1, S, skewModel)
					}
					return refUVR(m, C, N, S, skewModel, true)
				})
				plain := refMSST(x, C, N, 1, S, skewModel)
				if mode == ModeUVR {
					plain = refUVR(x, C, N, S, skewModel, true)
				}
				for batch := 1; batch <= 5; batch++ {
					for _, padLast := range []bool{false, true} {
						name := fmt.Sprintf("%s N=%d L=%d batch=%d padLast=%v", mode, N, L, batch, padLast)
						src := &chunkySource{x: x, sizes: []int{1, 77, 1000, 3}, hidden: true}
						got, _ := runTTA(t, mode, C, N, batch, S, skewModel, src, padLast, 0)
						if rd := relDiff(t, got, want); rd > 1e-6 {
							t.Errorf("%s: differs from MSST's apply_tta by %.3g relative", name, rd)
						}
						if L > 0 && relDiff(t, plain, want) < 1e-3 {
							t.Fatalf("%s: the augmentation changes nothing with this model; the test proves nothing", name)
						}
					}
				}
			}
		}
	}
}

// TestTTABatchShapes checks that test-time augmentation computes three
// times the chunks, in device calls no larger than the batch size, and that
// halving the batch after an out-of-memory error still gives the same
// result.
func TestTTABatchShapes(t *testing.T) {
	const C, N, S, L = 800, 4, 2, 9000
	x := noise(L, 5)
	want := refTTA(x, func(m [2][]float32) [][2][]float32 { return refMSST(m, C, N, 1, S, skewModel) })
	_, plain := runFake(t, ModeMSST, C, N, 4, S, skewModel, bufSource(t, x))
	for _, oomAbove := range []int{0, 2, 1} {
		got, eng := runTTA(t, ModeMSST, C, N, 4, S, skewModel, bufSource(t, x), true, oomAbove)
		if rd := relDiff(t, got, want); rd > 1e-6 {
			t.Errorf("oomAbove %d: differs from MSST's apply_tta by %.3g relative", oomAbove, rd)
		}
		// (After an out-of-memory error the last batch needs fewer zero
		// chunks to pad it, so only the first run is counted.)
		if oomAbove == 0 && eng.computed != 3*plain.computed {
			t.Errorf("oomAbove %d: %d chunks computed, want 3 × %d", oomAbove, eng.computed, plain.computed)
		}
		limit := 4
		if oomAbove > 0 {
			limit = oomAbove
		}
		for _, n := range eng.shapes {
			if n > limit {
				t.Errorf("oomAbove %d: a device call of %d chunks, batch size is %d", oomAbove, n, limit)
			}
		}
	}
}
