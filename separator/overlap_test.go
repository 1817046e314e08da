package separator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"testing"
)

// noise returns n frames of reproducible stereo noise in [-0.9, 0.9].
func noise(n int, seed uint64) [2][]float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	var x [2][]float32
	for ch := range x {
		x[ch] = make([]float32, n)
		for i := range x[ch] {
			x[ch][i] = float32(r.Float64()*1.8 - 0.9)
		}
	}
	return x
}

// chunkySource serves a buffer in reads of varying, often tiny, sizes and
// may hide its length, to exercise the chunker's look-ahead.
type chunkySource struct {
	x      [2][]float32
	pos    int
	sizes  []int
	k      int
	hidden bool
	eofN   bool // return the last frames together with io.EOF
}

func (c *chunkySource) Frames() int64 {
	if c.hidden {
		return -1
	}
	return int64(len(c.x[0]))
}

func (c *chunkySource) Read(dst [][]float32) (int, error) {
	left := len(c.x[0]) - c.pos
	if left == 0 {
		return 0, io.EOF
	}
	n := len(dst[0])
	if len(c.sizes) > 0 {
		n = min(n, c.sizes[c.k%len(c.sizes)])
		c.k++
	}
	n = min(n, left)
	copy(dst[0], c.x[0][c.pos:c.pos+n])
	copy(dst[1], c.x[1][c.pos:c.pos+n])
	c.pos += n
	if c.eofN && c.pos == len(c.x[0]) {
		return n, io.EOF
	}
	return n, nil
}

// runFake separates x through the streaming pipeline with a fake engine.
func runFake(t testing.TB, mode Mode, C, N, batch, S int, model chunkModel, src Source) ([][2][]float32, *fakeEngine) {
	t.Helper()
	g, err := newGeometry(mode, C, N)
	if err != nil {
		t.Fatal(err)
	}
	eng := &fakeEngine{model: model, S: S, C: C}
	p, err := newPipeline(g, eng, batch, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	sink := newBufferSink(S, 0)
	if err := p.run(context.Background(), src, sink); err != nil {
		t.Fatalf("%s C=%d N=%d batch=%d: %v", mode, C, N, batch, err)
	}
	out := make([][2][]float32, S)
	for s := range out {
		out[s] = [2][]float32{sink.stems[s][0], sink.stems[s][1]}
	}
	return out, eng
}

func bufSource(t testing.TB, x [2][]float32) Source {
	src, err := BufferSource([][]float32{x[0], x[1]})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// maxDiff returns max |a−b| over all stems and channels; lengths must agree.
func maxDiff(t testing.TB, a, b [][2][]float32) float64 {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d stems, want %d", len(a), len(b))
	}
	var m float64
	for s := range a {
		for ch := 0; ch < 2; ch++ {
			if len(a[s][ch]) != len(b[s][ch]) {
				t.Fatalf("stem %d ch %d: %d frames, want %d", s, ch, len(a[s][ch]), len(b[s][ch]))
			}
			for i := range a[s][ch] {
				m = max(m, math.Abs(float64(a[s][ch][i])-float64(b[s][ch][i])))
			}
		}
	}
	return m
}

// testLengths returns the track lengths the issue asks for, for a chunk C,
// overlap N and sample rate sr.
func testLengths(C, N, sr int) []int {
	border := C - C/N
	ls := []int{0, 1, 2, 3 * sr / 10, C - 1, C, C + 1, 2*border - 1, 2 * border, 2*border + 1, 2*border + 2, 10 * sr, 61 * sr}
	var out []int
	seen := map[int]bool{}
	for _, l := range ls {
		if l >= 0 && !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

// TestIdentityGrid runs the identity model through every overlap 1–8, batch
// 1–8 and the lengths, in both modes. Both must return the input,
// except that MSST mode returns 0 where MSST's own weights are all zero
// (overlap 1 only: the chunk edges after the first), as MSST does. The chunk
// 1001 is divisible by none of the overlaps 2–8.
func TestIdentityGrid(t *testing.T) {
	const sr = 2000
	for _, C := range []int{1680, 1001} { // 1680 = 2·840: every N in 1…8 divides it
		for N := 1; N <= 8; N++ {
			for _, L := range testLengths(C, N, sr) {
				x := noise(L, uint64(L))
				for _, mode := range []Mode{ModeMSST, ModeUVR} {
					var ref [][2][]float32
					if mode == ModeMSST {
						ref = refMSST(x, C, N, 1, 2, identityModel)
					}
					for batch := 1; batch <= 8; batch++ {
						if L > 20*sr && batch != 1 && batch != 4 && batch != 8 {
							continue // long tracks: a few batch sizes suffice
						}
						got, _ := runFake(t, mode, C, N, batch, 2, identityModel, bufSource(t, x))
						name := fmt.Sprintf("%s C=%d N=%d L=%d batch=%d", mode, C, N, L, batch)
						checkIdentity(t, name, mode, x, got, ref, C, N)
					}
				}
			}
		}
	}
}

func checkIdentity(t *testing.T, name string, mode Mode, x [2][]float32, got, ref [][2][]float32, C, N int) {
	t.Helper()
	L := len(x[0])
	zeros := 0
	for s := range got {
		for ch := 0; ch < 2; ch++ {
			if len(got[s][ch]) != L {
				t.Fatalf("%s: stem %d has %d frames, want %d", name, s, len(got[s][ch]), L)
			}
			for i, v := range got[s][ch] {
				want := x[ch][i]
				switch mode {
				case ModeMSST:
					if ref[s][ch][i] == 0 && want != 0 {
						// MSST's nan_to_num: no window weight covers i.
						if N != 1 {
							t.Fatalf("%s: zero-weight sample %d at overlap %d", name, i, N)
						}
						want = 0
						zeros++
					}
				}
				if d := math.Abs(float64(v - want)); d > 1e-6 {
					t.Fatalf("%s: stem %d ch %d sample %d: got %v, want %v (input %v)", name, s, ch, i, v, want, x[ch][i])
				}
			}
		}
	}
	// Overlap 1 without padding has zero weights exactly at the chunk edges
	// after the first: 2 per boundary for each stem and channel.
	if mode == ModeMSST && N == 1 && L > C {
		if want := 2 * 2 * len(got) * ((L - 1) / C); zeros != want {
			t.Errorf("%s: %d zero-weight samples, want %d", name, zeros, want)
		}
	}
}

// TestMatchesReference compares the streaming pipeline with the literal
// transcriptions of MSST (at batch 1) and UVR on a model whose output
// depends on each chunk's whole content and on positions within it, for
// every batch size, with sources that hide their length and read in odd
// pieces. The float32 operations happen in the same order, so the results
// agree to the last bit.
func TestMatchesReference(t *testing.T) {
	const sr = 2000
	sources := []struct {
		name string
		mk   func(x [2][]float32) Source
	}{
		{"buffer", func(x [2][]float32) Source { return bufSource(t, x) }},
		{"unknown-length-odd-reads", func(x [2][]float32) Source {
			return &chunkySource{x: x, sizes: []int{1, 7, 1000, 3, 4096}, hidden: true}
		}},
		{"eof-with-data", func(x [2][]float32) Source { return &chunkySource{x: x, sizes: []int{999}, eofN: true} }},
	}
	for _, C := range []int{1000, 1024, 1001} {
		for _, N := range []int{1, 2, 3, 4, 5, 8} {
			for _, L := range testLengths(C, N, sr) {
				if L > 20*sr {
					continue
				}
				x := noise(L, uint64(1000+L))
				refs := map[Mode][][2][]float32{
					ModeMSST: refMSST(x, C, N, 1, 3, normModel),
					ModeUVR:  refUVR(x, C, N, 3, normModel, true),
				}
				for _, mode := range []Mode{ModeMSST, ModeUVR} {
					for _, batch := range []int{1, 2, 3, 8} {
						for si, sc := range sources {
							if si > 0 && batch != 3 {
								continue
							}
							got, _ := runFake(t, mode, C, N, batch, 3, normModel, sc.mk(x))
							if d := maxDiff(t, got, refs[mode]); d != 0 {
								t.Errorf("%s C=%d N=%d L=%d batch=%d %s: max diff %g from the reference", mode, C, N, L, batch, sc.name, d)
							}
						}
					}
				}
			}
		}
	}
}

// TestUVROverCount documents the one place where UVR mode departs from
// UVR: UVR divides by the overlap N, so when N does not divide the chunk
// the samples covered by N+1 chunks come out (N+1)/N too loud. drumsplit
// divides by the number of covering chunks, which is N whenever N divides
// the chunk: there the two agree to the bit.
func TestUVROverCount(t *testing.T) {
	x := noise(7000, 8)
	for _, tc := range []struct{ C, N int }{{1000, 4}, {1000, 8}, {1000, 3}, {1001, 2}} {
		got, _ := runFake(t, ModeUVR, tc.C, tc.N, 2, 1, identityModel, bufSource(t, x))
		uvr := refUVR(x, tc.C, tc.N, 1, identityModel, false)
		d := maxDiff(t, got, uvr)
		if tc.C%tc.N == 0 && d != 0 {
			t.Errorf("C=%d N=%d: differs from UVR by %g although N divides C", tc.C, tc.N, d)
		}
		if tc.C%tc.N != 0 {
			// UVR's gain of (N+1)/N on an identity model.
			if want := 0.9 / float64(tc.N); d < want*0.5 {
				t.Errorf("C=%d N=%d: UVR's over-count not visible (max diff %g)", tc.C, tc.N, d)
			}
			if e := maxDiff(t, got, [][2][]float32{x}); e > 1e-6 {
				t.Errorf("C=%d N=%d: not the input (%g)", tc.C, tc.N, e)
			}
		}
	}
}

// TestMSSTBatchQuirk documents why drumsplit decides the window per chunk:
// MSST's per-batch window makes its own result depend on the batch size,
// while drumsplit's equals MSST at batch 1 for every batch size.
func TestMSSTBatchQuirk(t *testing.T) {
	// 32 chunks: the last batch of 8 holds chunks whose fade-out lies in
	// the output, and MSST removes it from all of them.
	C, N, L := 1000, 4, 6400
	x := noise(L, 3)
	ref1 := refMSST(x, C, N, 1, 1, normModel)
	ref8 := refMSST(x, C, N, 8, 1, normModel)
	if d := maxDiff(t, ref1, ref8); d < 1e-3 {
		t.Fatalf("MSST at batch 8 differs from batch 1 by only %g; the reference lost its quirk", d)
	}
	got, _ := runFake(t, ModeMSST, C, N, 8, 1, normModel, bufSource(t, x))
	if d := maxDiff(t, got, ref1); d != 0 {
		t.Fatalf("batch 8 differs from MSST at batch 1 by %g", d)
	}
}

// TestFixedShapes checks that every model call sees the same batch shape,
// the last batch being padded with zero chunks.
func TestFixedShapes(t *testing.T) {
	x := noise(12345, 1)
	for _, batch := range []int{1, 3, 7} {
		_, eng := runFake(t, ModeMSST, 1000, 4, batch, 1, identityModel, bufSource(t, x))
		for _, s := range eng.shapes {
			if s != batch {
				t.Fatalf("batch %d: model called with %d chunks (calls %v)", batch, s, eng.shapes)
			}
		}
		g, _ := newGeometry(ModeMSST, 1000, 4)
		want := (g.chunkCount(12345) + int64(batch) - 1) / int64(batch)
		if int64(len(eng.shapes)) != want {
			t.Errorf("batch %d: %d calls, want %d", batch, len(eng.shapes), want)
		}
	}
}

// TestOutOfMemoryHalvesBatch makes the fake engine fail above two chunks:
// the pipeline must halve 8 → 4 → 2, keep the result unchanged and continue
// at 2.
func TestOutOfMemoryHalvesBatch(t *testing.T) {
	C, N := 1000, 4
	x := noise(20000, 9)
	ref := refMSST(x, C, N, 1, 2, normModel)
	g, _ := newGeometry(ModeMSST, C, N)
	eng := &fakeEngine{model: normModel, S: 2, C: C, oomAbove: 2}
	p, err := newPipeline(g, eng, 8, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	sink := newBufferSink(2, 0)
	if err := p.run(context.Background(), bufSource(t, x), sink); err != nil {
		t.Fatal(err)
	}
	got := [][2][]float32{{sink.stems[0][0], sink.stems[0][1]}, {sink.stems[1][0], sink.stems[1][1]}}
	if d := maxDiff(t, got, ref); d != 0 {
		t.Fatalf("result changed by %g after halving", d)
	}
	if b := p.batch.Load(); b != 2 {
		t.Errorf("batch size now %d, want 2", b)
	}
	if eng.released != 2 {
		t.Errorf("released memory %d times, want 2", eng.released)
	}
	for _, s := range eng.shapes {
		if s != 2 {
			t.Fatalf("successful calls had shapes %v, want only 2", eng.shapes)
		}
	}
	// At batch 1 an out-of-memory error is final.
	eng = &fakeEngine{model: normModel, S: 2, C: C, oomAbove: 0}
	eng.oomAbove = -1
	p, _ = newPipeline(g, &oomAlways{eng}, 1, quietLogger())
	err = p.run(context.Background(), bufSource(t, x), newBufferSink(2, 0))
	if !errors.Is(err, errOutOfMemory) {
		t.Fatalf("got %v, want out of memory", err)
	}
}

type oomAlways struct{ *fakeEngine }

func (o *oomAlways) compute(j *job, lo, hi int) error { return fmt.Errorf("run: %w", errOutOfMemory) }

// TestCancel cancels from the progress callback and expects the pipeline to
// stop within a few batches (those already in flight).
func TestCancel(t *testing.T) {
	C := 1000
	x := noise(400000, 2)
	g, _ := newGeometry(ModeMSST, C, 4)
	eng := &fakeEngine{model: identityModel, S: 1, C: C}
	p, _ := newPipeline(g, eng, 2, quietLogger())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	p.progress = func(Progress) {
		calls++
		if calls == 3 {
			cancel()
		}
	}
	err := p.run(ctx, bufSource(t, x), newBufferSink(1, 0))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	// 3 batches reported + at most depth more in flight.
	if eng.computed > (3+depth)*2 {
		t.Errorf("computed %d chunks after cancelling at 6", eng.computed)
	}
}

// TestErrorsPropagate checks that source and sink errors end the run with
// a wrapped error.
func TestErrorsPropagate(t *testing.T) {
	g, _ := newGeometry(ModeMSST, 1000, 4)
	boom := errors.New("boom")
	x := noise(50000, 4)
	p, _ := newPipeline(g, &fakeEngine{model: identityModel, S: 1, C: 1000}, 2, quietLogger())
	err := p.run(context.Background(), bufSource(t, x), SinkFunc(func([][][]float32) error { return boom }))
	if !errors.Is(err, boom) {
		t.Fatalf("sink error: got %v", err)
	}
	err = p.run(context.Background(), &failingSource{n: 30000, err: boom}, newBufferSink(1, 0))
	if !errors.Is(err, boom) {
		t.Fatalf("source error: got %v", err)
	}
	// The pipeline is reusable after errors.
	got, _ := runFake(t, ModeMSST, 1000, 4, 2, 1, identityModel, bufSource(t, x))
	if len(got[0][0]) != len(x[0]) {
		t.Fatal("pipeline broken after errors")
	}
}

type failingSource struct {
	n, pos int
	err    error
}

func (f *failingSource) Frames() int64 { return -1 }
func (f *failingSource) Read(dst [][]float32) (int, error) {
	if f.pos >= f.n {
		return 0, f.err
	}
	n := min(len(dst[0]), f.n-f.pos)
	f.pos += n
	return n, nil
}

// TestProgress checks the final report and that reports only move forward.
func TestProgress(t *testing.T) {
	for _, hidden := range []bool{false, true} {
		C, L := 1000, 23456
		x := noise(L, 5)
		g, _ := newGeometry(ModeUVR, C, 8)
		p, _ := newPipeline(g, &fakeEngine{model: identityModel, S: 1, C: C}, 3, quietLogger())
		var last Progress
		p.progress = func(pr Progress) {
			if pr.SamplesDone < last.SamplesDone || pr.ChunksDone <= last.ChunksDone {
				t.Errorf("progress went back: %+v after %+v", pr, last)
			}
			if !hidden && pr.SamplesTotal != int64(L) {
				t.Errorf("total %d, want %d", pr.SamplesTotal, L)
			}
			last = pr
		}
		if err := p.run(context.Background(), &chunkySource{x: x, hidden: hidden}, newBufferSink(1, 0)); err != nil {
			t.Fatal(err)
		}
		if last.SamplesDone != int64(L) || last.SamplesTotal != int64(L) || last.ChunksDone != g.chunkCount(int64(L)) || last.ChunksTotal != last.ChunksDone {
			t.Errorf("hidden=%v: final progress %+v, want %d samples and %d chunks", hidden, last, L, g.chunkCount(int64(L)))
		}
	}
}

// TestBoundedBuffers streams a long track and checks that the chunker's and
// the accumulator's windows never grow beyond a few chunks.
func TestBoundedBuffers(t *testing.T) {
	C := 1000
	for _, mode := range []Mode{ModeMSST, ModeUVR} {
		g, _ := newGeometry(mode, C, 4)
		src := &chunkySource{x: noise(3_000_000, 6), hidden: true}
		ch := newChunker(g, src)
		acc := newAccumulator(g, 2, SinkFunc(func([][][]float32) error { return nil }))
		out := make([]float32, 2*2*C)
		var dst [2][]float32
		dst[0], dst[1] = make([]float32, C), make([]float32, C)
		maxIn, maxAcc := 0, 0
		for {
			info, ok, err := ch.nextChunk(dst)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			if err := acc.add(info, out); err != nil {
				t.Fatal(err)
			}
			maxIn = max(maxIn, cap(ch.buf.r[0]))
			maxAcc = max(maxAcc, cap(acc.acc.r[0]))
		}
		// Input: a chunk plus one read block plus MSST's border, doubled
		// by lazy compaction and append growth.
		if lim := 4 * (2*C + readBlock); maxIn > lim {
			t.Errorf("%s: input window reached %d samples (limit %d)", mode, maxIn, lim)
		}
		if lim := 4 * C; maxAcc > lim {
			t.Errorf("%s: accumulator reached %d samples (limit %d)", mode, maxAcc, lim)
		}
	}
}

func TestUVRTail(t *testing.T) {
	// The worked example of the reference notes: Python's floor modulo.
	g, err := newGeometry(ModeUVR, 130560, 8)
	if err != nil {
		t.Fatal(err)
	}
	if got := g.uvrTail(100000); got != 14240 {
		t.Errorf("pad_size for L=100000: %d, want 14240", got)
	}
	if got := g.uvrTail(130560 + 3*16320); got != 16320 {
		t.Errorf("pad_size for a multiple of the hop: %d, want the full hop 16320", got)
	}
	if pyMod(-30560, 16320) != 2080 || pyMod(30560, 16320) != 14240 {
		t.Error("pyMod is not Python's modulo")
	}
}

func TestWindow(t *testing.T) {
	// MSST's docstring example: window_size 10, fade 3.
	w := newMSSTWindows(10, 3)
	want := []float32{0, 0.5, 1, 1, 1, 1, 1, 1, 0.5, 0}
	for i := range want {
		if w.mid[i] != want[i] {
			t.Fatalf("window %v, want %v", w.mid, want)
		}
	}
	if w.first[0] != 1 || w.first[9] != 0 || w.last[0] != 0 || w.last[9] != 1 {
		t.Errorf("edge windows wrong: first %v last %v", w.first, w.last)
	}
	// torch.linspace(0, 1, 1) is [0]; its ends are always exact.
	if v := linspace(0, 1, 1); len(v) != 1 || v[0] != 0 {
		t.Errorf("linspace n=1: %v", v)
	}
	v := linspace(1, 0, 13056)
	if v[0] != 1 || v[13055] != 0 {
		t.Errorf("linspace ends %v %v", v[0], v[13055])
	}
	if _, err := newGeometry(ModeMSST, 9, 1); err == nil {
		t.Error("chunk 9 accepted in MSST mode")
	}
	if _, err := newGeometry(ModeMSST, 100, 0); err == nil {
		t.Error("overlap 0 accepted")
	}
}

// BenchmarkPipeline measures the host's share of a separation: chunking,
// batching and overlap-add of DrumSep's geometry (chunk 130560, six stems)
// around an engine that copies its input, for one minute of audio.
func BenchmarkPipeline(b *testing.B) {
	const C, S, sr = 130560, 6, 44100
	x := noise(60*sr, 1)
	for _, mode := range []Mode{ModeMSST, ModeUVR} {
		b.Run(string(mode), func(b *testing.B) {
			g, _ := newGeometry(mode, C, 4)
			p, err := newPipeline(g, &fakeEngine{model: identityModel, S: S, C: C}, 4, quietLogger())
			if err != nil {
				b.Fatal(err)
			}
			sink := SinkFunc(func([][][]float32) error { return nil })
			b.SetBytes(int64(len(x[0]) * 2 * 4))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := p.run(context.Background(), bufSource(b, x), sink); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N)/60, "s/audio-s")
		})
	}
}
