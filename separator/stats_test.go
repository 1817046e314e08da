package separator

import (
	"context"
	"testing"
	"time"
)

// TestStats checks the counters of a run against the fake engine's own
// count, and that the model's time is inside the wall time.
func TestStats(t *testing.T) {
	const C, N, S, L = 1000, 4, 2, 12345
	g, err := newGeometry(ModeMSST, C, N)
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 3} {
		eng := &fakeEngine{model: identityModel, S: S, C: C,
			onCompute: func() { time.Sleep(time.Millisecond) }}
		p, err := newPipeline(g, eng, batch, quietLogger())
		if err != nil {
			t.Fatal(err)
		}
		if err := p.run(context.Background(), bufSource(t, noise(L, 2)), newBufferSink(S, 0)); err != nil {
			t.Fatal(err)
		}
		st := p.stats
		chunks := g.chunkCount(L)
		batches := (chunks + int64(batch) - 1) / int64(batch)
		if st.Chunks != chunks || st.Batches != batches || st.Computed != int64(eng.computed) || st.Computed != batches*int64(batch) {
			t.Errorf("batch %d: stats %+v, want %d chunks, %d batches, %d computed", batch, st, chunks, batches, eng.computed)
		}
		if st.Compute < time.Duration(batches)*time.Millisecond || st.Compute > st.Wall {
			t.Errorf("batch %d: compute %v, wall %v: want %d ms ≤ compute ≤ wall", batch, st.Compute, st.Wall, batches)
		}
		if b := st.DeviceBusy(); b <= 0 || b > 1 {
			t.Errorf("batch %d: device busy %g, want in (0, 1]", batch, b)
		}
	}
	if (Stats{}).DeviceBusy() != 0 {
		t.Error("DeviceBusy of zero Stats is not 0")
	}
}

// TestUnpaddedLastBatch checks the CPU policy: without padding the last
// batch runs only its real chunks, and the output does not change.
func TestUnpaddedLastBatch(t *testing.T) {
	const C, N, S, L, batch = 1000, 4, 2, 12345, 5
	g, err := newGeometry(ModeMSST, C, N)
	if err != nil {
		t.Fatal(err)
	}
	x := noise(L, 3)
	var outs [2][][2][]float32
	for i, pad := range []bool{true, false} {
		eng := &fakeEngine{model: normModel, S: S, C: C}
		p, err := newPipeline(g, eng, batch, quietLogger())
		if err != nil {
			t.Fatal(err)
		}
		p.padLast = pad
		sink := newBufferSink(S, 0)
		if err := p.run(context.Background(), bufSource(t, x), sink); err != nil {
			t.Fatal(err)
		}
		chunks := g.chunkCount(L)
		last := eng.shapes[len(eng.shapes)-1]
		wantLast, wantComputed := batch, (chunks+batch-1)/batch*batch
		if !pad {
			wantLast, wantComputed = int(chunks-(chunks-1)/batch*batch), chunks
		}
		if last != wantLast || p.stats.Computed != wantComputed {
			t.Errorf("pad %v: last batch %d chunks, %d computed; want %d, %d", pad, last, p.stats.Computed, wantLast, wantComputed)
		}
		for s := range sink.stems {
			outs[i] = append(outs[i], [2][]float32{sink.stems[s][0], sink.stems[s][1]})
		}
	}
	if d := maxDiff(t, outs[0], outs[1]); d != 0 {
		t.Errorf("padded and unpadded outputs differ by %g", d)
	}
}
