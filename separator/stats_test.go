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
