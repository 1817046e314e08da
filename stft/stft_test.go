package stft

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAgainstTorch checks every transform against torch 1.13 for each
// fixture case: forward, inverse of torch's spectrogram (default and given
// length), inverse of a spectrogram that is no STFT at all, and our own
// round trip against torch's.
func TestAgainstTorch(t *testing.T) {
	idx := loadIndex(t)
	for _, fx := range idx.STFT {
		t.Run(fx.Name, func(t *testing.T) {
			p, err := NewPlan(fx.NFFT, fx.Hop, Workers(2))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			x := readF32(t, fx.X)
			torchSpec := readC64(t, fx.STFT)
			if got := p.Frames(len(x)); got != fx.Frames {
				t.Fatalf("Frames(%d) = %d, torch has %d", len(x), got, fx.Frames)
			}
			if got := p.InverseLen(fx.Frames); got != fx.DefaultLength {
				t.Fatalf("InverseLen(%d) = %d, torch gives %d", fx.Frames, got, fx.DefaultLength)
			}

			spec := make([]complex64, p.Bins()*fx.Frames)
			if err := p.Forward(spec, x); err != nil {
				t.Fatal(err)
			}
			closeTo(t, "stft", c64ToPairs(spec), c64ToPairs(torchSpec))

			// torch's spectrogram → our inverse.
			y := make([]float32, fx.DefaultLength)
			if err := p.Inverse(y, torchSpec); err != nil {
				t.Fatal(err)
			}
			closeTo(t, "istft(torch stft)", y, readF32(t, fx.ISTFT))
			if fx.ISTFTLength != "" {
				y := make([]float32, fx.Length)
				if err := p.Inverse(y, torchSpec); err != nil {
					t.Fatal(err)
				}
				closeTo(t, "istft(torch stft, length)", y, readF32(t, fx.ISTFTLength))
			}

			// Our round trip against torch's.
			if err := p.Inverse(y, spec); err != nil {
				t.Fatal(err)
			}
			closeTo(t, "istft(our stft)", y, readF32(t, fx.ISTFT))

			// A spectrogram that is not an STFT, at several lengths.
			rspec := pairsToC64(hashNoise(fx.RandSeed, 2*len(spec)))
			for _, n := range sortedLengths(t, fx.RandISTFT) {
				file := fx.RandISTFT[strconv.Itoa(n)]
				y := make([]float32, n)
				err := p.Inverse(y, rspec)
				if file == nil {
					if !errors.Is(err, ErrNOLA) {
						t.Errorf("length %d: torch rejects it (window overlap add min), we return %v", n, err)
					}
					continue
				}
				if err != nil {
					t.Errorf("length %d: %v", n, err)
					continue
				}
				inverseCloseTo(t, fmt.Sprintf("istft(random, length %d)", n), p, rspec, fx.Frames, y, readF32(t, *file))
			}
		})
	}
}

// inverseCloseTo compares an inverse STFT of the T-frame spectrogram spec
// with torch's. Where the window envelope is small (under 1e-3 of its
// peak: the last samples of a length past the last frame with n_fft 1023,
// where it falls to ~1e-10) the result divides by ~1/w[1]: torch's float32
// window alone is off by 1.4e-3 relative at w[1], so no float64 result can
// agree with torch to 1e-6 there, and those samples are checked against
// the float64 definition (naiveISTFT) instead, with the same bar.
func inverseCloseTo(t *testing.T, what string, p *Plan, spec []complex64, frames int, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, torch has %d", what, len(got), len(want))
		return
	}
	var peak float64
	for _, e := range p.c.envPer {
		peak = max(peak, e)
	}
	var g, w []float32
	var ill []int
	for i := range want {
		if e := p.c.envelope(i+p.c.pad, frames); e >= 1e-3*peak || e == 0 {
			g, w = append(g, got[i]), append(w, want[i])
		} else {
			ill = append(ill, i)
		}
	}
	closeTo(t, what, g, w)
	if len(ill) == 0 {
		return
	}
	s := make([][]complex128, p.Bins())
	for k := range s {
		s[k] = make([]complex128, frames)
		for f := range frames {
			s[k][f] = complex128(spec[k*frames+f])
		}
	}
	def, err := naiveISTFT(s, p.NFFT(), p.Hop(), len(want))
	if err != nil {
		t.Fatalf("%s: definition: %v", what, err)
	}
	g, w = g[:0], w[:0]
	var tg, tw []float32
	for _, i := range ill {
		g, w = append(g, got[i]), append(w, float32(def[i]))
		tg, tw = append(tg, got[i]), append(tw, want[i])
	}
	closeTo(t, fmt.Sprintf("%s, %d ill-conditioned samples vs definition", what, len(ill)), g, w)
	var num, den float64
	for i := range tw {
		num += float64(tg[i]-tw[i]) * float64(tg[i]-tw[i])
		den += float64(tw[i]) * float64(tw[i])
	}
	t.Logf("%s: the same samples differ from torch by %.2g relative L2", what, math.Sqrt(num/den))
}

func sortedLengths(t *testing.T, m map[string]*string) []int {
	var ns []int
	for k := range m {
		n, err := strconv.Atoi(k)
		if err != nil {
			t.Fatalf("rand_istft key %q: %v", k, err)
		}
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

// TestMDXAgainstTorch checks the MDX23C layout against the reference
// helper's reshape/permute sequence, batched and one stereo chunk at a time.
func TestMDXAgainstTorch(t *testing.T) {
	idx := loadIndex(t)
	for _, fx := range idx.MDX {
		t.Run(fx.Name, func(t *testing.T) {
			p, err := NewPlan(fx.NFFT, fx.Hop, Workers(3))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			m, err := NewMDX(p, fx.DimF)
			if err != nil {
				t.Fatal(err)
			}
			audio := readF32(t, fx.Audio)
			want := readF32(t, fx.Spec)
			size, frames := m.SpecLen(fx.Length)
			if frames != fx.Frames || size != 4*fx.DimF*fx.Frames {
				t.Fatalf("SpecLen(%d) = %d, %d; want %d, %d", fx.Length, size, frames, 4*fx.DimF*fx.Frames, fx.Frames)
			}
			spec := make([]float32, fx.Batch*size)
			if err := m.SpecBatch(spec, audio, fx.Batch); err != nil {
				t.Fatal(err)
			}
			closeTo(t, "SpecBatch", spec, want)
			for b := range fx.Batch {
				ch := audio[2*b*fx.Length : 2*(b+1)*fx.Length]
				one := make([]float32, size)
				if err := m.Spec(one, ch[:fx.Length], ch[fx.Length:]); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(one, spec[b*size:(b+1)*size]) {
					t.Errorf("Spec of chunk %d differs from SpecBatch", b)
				}
			}

			// The network stand-in: the spectrogram per stem plus hash noise.
			net := make([]float32, fx.Batch*fx.Stems*size)
			noise := hashNoise(fx.NetSeed, len(net))
			for b := range fx.Batch {
				for s := range fx.Stems {
					o := (b*fx.Stems + s) * size
					for i := range size {
						net[o+i] = want[b*size+i] + noise[o+i]
					}
				}
			}
			n := p.InverseLen(frames)
			if n != fx.OutLength {
				t.Fatalf("InverseLen(%d) = %d, reference gives %d", frames, n, fx.OutLength)
			}
			out := make([]float32, fx.Batch*fx.Stems*2*n)
			if err := m.AudioBatch(out, net, fx.Batch, fx.Stems); err != nil {
				t.Fatal(err)
			}
			closeTo(t, "AudioBatch", out, readF32(t, fx.Out))
			left, right := make([]float32, n), make([]float32, n)
			if err := m.Audio(left, right, net[:size]); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(left, out[:n]) || !slices.Equal(right, out[n:2*n]) {
				t.Error("Audio of the first chunk differs from AudioBatch")
			}
		})
	}
}

// TestWorkersAgree checks that splitting the work differently gives the
// same bits: each output sample sums its frames in the same order however
// the signal is cut.
func TestWorkersAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 3*40000)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	var refSpec []complex64
	var refY []float32
	for _, w := range []int{1, 2, 3, 7, 16} {
		p, err := NewPlan(512, 128, Workers(w))
		if err != nil {
			t.Fatal(err)
		}
		frames := p.Frames(40000)
		spec := make([]complex64, 3*p.Bins()*frames)
		y := make([]float32, 3*p.InverseLen(frames))
		if err := p.ForwardBatch(spec, x, 3); err != nil {
			t.Fatal(err)
		}
		if err := p.InverseBatch(y, spec, 3); err != nil {
			t.Fatal(err)
		}
		// One signal alone is split into parts when there are workers to spare.
		one := make([]float32, p.InverseLen(frames))
		if err := p.Inverse(one, spec[p.Bins()*frames:2*p.Bins()*frames]); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(one, y[len(one):2*len(one)]) {
			t.Errorf("workers=%d: single-signal inverse differs from the batched one", w)
		}
		p.Close()
		if refSpec == nil {
			refSpec, refY = spec, y
			continue
		}
		if !slices.Equal(spec, refSpec) {
			t.Errorf("workers=%d: spectrogram differs from workers=1", w)
		}
		if !slices.Equal(y, refY) {
			t.Errorf("workers=%d: inverse differs from workers=1", w)
		}
	}
}

// TestRoundTrip checks inverse(forward(x)) ≈ x at the signal's own length
// (every bin kept, so nothing is lost; the MDX layout's dropped Nyquist bin
// would not round-trip) for geometries whose overlap-add is well
// conditioned, and ErrNOLA for hop = n_fft.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct{ nfft, hop, n int }{
		{2048, 512, 130560},
		{2048, 512, 5000},
		{4096, 1024, 20000},
		{1023, 250, 9999},
		{8, 2, 9},
		{6, 6, 100}, // hop = n_fft: ErrNOLA, see below
		{16, 1, 50},
		{3, 1, 2},
	} {
		t.Run(fmt.Sprintf("%d_%d_%d", tc.nfft, tc.hop, tc.n), func(t *testing.T) {
			p, err := NewPlan(tc.nfft, tc.hop, Workers(2))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			x := make([]float32, tc.n)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			frames := p.Frames(tc.n)
			spec := make([]complex64, p.Bins()*frames)
			if err := p.Forward(spec, x); err != nil {
				t.Fatal(err)
			}
			y := make([]float32, tc.n)
			err = p.Inverse(y, spec)
			if tc.hop == tc.nfft {
				// The periodic Hann window is 0 at its first sample, so with
				// no overlap the envelope vanishes once per frame.
				if !errors.Is(err, ErrNOLA) {
					t.Fatalf("hop = n_fft: got %v, want ErrNOLA", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			closeTo(t, "inverse(forward(x))", y, x)
		})
	}
}

// TestErrors checks that malformed shapes and short inputs return errors.
func TestErrors(t *testing.T) {
	if _, err := NewPlan(1, 1); err == nil {
		t.Error("NewPlan(1, 1): no error")
	}
	if _, err := NewPlan(16, 0); err == nil {
		t.Error("NewPlan(16, 0): no error")
	}
	if _, err := NewPlan(16, 17); err == nil {
		t.Error("NewPlan(16, 17): no error")
	}
	p, err := NewPlan(16, 4, Workers(2))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := NewMDX(p, 10); err == nil {
		t.Error("NewMDX(dim_f 10 > 9 bins): no error")
	}
	m, err := NewMDX(p, 8)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 64)
	frames := p.Frames(64)
	spec := make([]complex64, p.Bins()*frames)
	mspec := make([]float32, 2*4*8*frames)
	n := p.InverseLen(frames)
	for _, tc := range []struct {
		name string
		err  error
		is   error
	}{
		{"forward, short dst", p.Forward(spec[1:], x), nil},
		{"forward, 8 samples", p.Forward(make([]complex64, p.Bins()), x[:8]), ErrTooShort},
		{"forward, 0 samples", p.Forward(nil, nil), ErrTooShort},
		{"forward batch, 3 into 2", p.ForwardBatch(spec, x[:63], 2), nil},
		{"forward batch, n=0", p.ForwardBatch(spec, x, 0), nil},
		{"inverse, ragged spectrum", p.Inverse(x, spec[1:]), nil},
		{"inverse, empty spectrum", p.Inverse(x, nil), nil},
		{"inverse batch, ragged dst", p.InverseBatch(x[:63], append(spec, spec...), 2), nil},
		{"mdx spec, left ≠ right", m.Spec(mspec[:4*8*frames], x, x[1:]), nil},
		{"mdx spec, short dst", m.SpecBatch(mspec[1:], append(x, x...), 1), nil},
		{"mdx spec, short audio", m.SpecBatch(make([]float32, 4*8), make([]float32, 16), 1), ErrTooShort},
		{"mdx audio, wrong length", m.AudioBatch(make([]float32, 2*2*(n+1)), mspec, 2, 1), nil},
		{"mdx audio, ragged spec", m.AudioBatch(make([]float32, 2*2*n), mspec[1:], 2, 1), nil},
		{"mdx audio, stems 0", m.AudioBatch(make([]float32, 2*2*n), mspec, 2, 0), nil},
		{"mdx audio, left ≠ right", m.Audio(x[:n], x[:n-1], mspec[:4*8*frames]), nil},
	} {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
		} else if tc.is != nil && !errors.Is(tc.err, tc.is) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.is)
		}
	}

	p.Close()
	if err := p.Forward(spec, x); !errors.Is(err, ErrClosed) {
		t.Errorf("Forward after Close: %v, want ErrClosed", err)
	}
}

// TestShortestInput checks the boundary of the reflect padding: n_fft/2+1
// samples work (the torch fixture "short" covers the values), n_fft/2 do not.
func TestShortestInput(t *testing.T) {
	for _, nfft := range []int{2, 3, 4, 7, 8, 1023, 2048} {
		p, err := NewPlan(nfft, max(1, nfft/4), Workers(1))
		if err != nil {
			t.Fatal(err)
		}
		pad := nfft / 2
		if f := p.Frames(pad); f != 0 {
			t.Errorf("n_fft %d: Frames(%d) = %d, want 0", nfft, pad, f)
		}
		x := make([]float32, pad+1)
		for i := range x {
			x[i] = float32(i + 1)
		}
		spec := make([]complex64, p.Bins()*p.Frames(len(x)))
		if err := p.Forward(spec, x); err != nil {
			t.Errorf("n_fft %d, %d samples: %v", nfft, len(x), err)
		}
		if err := p.Forward(spec, x[:pad]); !errors.Is(err, ErrTooShort) {
			t.Errorf("n_fft %d, %d samples: %v, want ErrTooShort", nfft, pad, err)
		}
	}
}

// TestHannPeriodic checks the window against its definition and the
// properties torch's periodic window has.
func TestHannPeriodic(t *testing.T) {
	w := HannPeriodic(make([]float64, 8))
	want := []float64{0, 0.1464466094067262, 0.5, 0.8535533905932737, 1, 0.8535533905932737, 0.5, 0.1464466094067262}
	for i := range want {
		if math.Abs(w[i]-want[i]) > 1e-15 {
			t.Errorf("w[%d] = %v, want %v", i, w[i], want[i])
		}
	}
	// Periodic Hann at hop n/4 overlap-adds squared to a constant 1.5.
	w = HannPeriodic(make([]float64, 2048))
	for j := range 512 {
		var s float64
		for m := j; m < 2048; m += 512 {
			s += w[m] * w[m]
		}
		if math.Abs(s-1.5) > 1e-12 {
			t.Fatalf("Σ w² at offset %d = %v, want 1.5", j, s)
		}
	}
}

// TestZeroAllocs checks the steady state of every transform, parallel
// paths included, allocates nothing.
func TestZeroAllocs(t *testing.T) {
	p, err := NewPlan(256, 64, Workers(3))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	m, err := NewMDX(p, 96)
	if err != nil {
		t.Fatal(err)
	}
	const n = 64 * 31
	frames := p.Frames(n)
	x := make([]float32, 4*n)
	spec := make([]complex64, 4*p.Bins()*frames)
	y := make([]float32, 4*p.InverseLen(frames))
	mspec := make([]float32, 2*4*96*frames)
	mout := make([]float32, 2*2*p.InverseLen(frames))
	for name, f := range map[string]func(){
		"Forward":      func() { _ = p.Forward(spec[:p.Bins()*frames], x[:n]) },
		"ForwardBatch": func() { _ = p.ForwardBatch(spec, x, 4) },
		"Inverse":      func() { _ = p.Inverse(y[:p.InverseLen(frames)], spec[:p.Bins()*frames]) },
		"InverseBatch": func() { _ = p.InverseBatch(y, spec, 4) },
		"MDX.Spec":     func() { _ = m.Spec(mspec[:4*96*frames], x[:n], x[n:2*n]) },
		"MDX.SpecBatch": func() {
			_ = m.SpecBatch(mspec, x, 2)
		},
		"MDX.Audio": func() {
			_ = m.Audio(mout[:p.InverseLen(frames)], mout[p.InverseLen(frames):2*p.InverseLen(frames)], mspec[:4*96*frames])
		},
		"MDX.AudioBatch": func() { _ = m.AudioBatch(mout, mspec, 2, 1) },
	} {
		if a := testing.AllocsPerRun(20, f); a != 0 {
			t.Errorf("%s: %v allocations per call", name, a)
		}
	}
}

// TestCloseStopsWorkers checks that Close, or the Plan becoming
// unreachable, stops the worker goroutines.
func TestCloseStopsWorkers(t *testing.T) {
	waitHelpers(t, 0, "before the test") // plans of earlier tests
	p, err := NewPlan(64, 16, Workers(5))
	if err != nil {
		t.Fatal(err)
	}
	waitHelpers(t, 4, "after NewPlan with 5 workers")
	p.Close()
	p.Close() // idempotent
	waitHelpers(t, 0, "after Close")

	for range 3 {
		if _, err := NewPlan(64, 16, Workers(5)); err != nil {
			t.Fatal(err)
		}
	}
	waitHelpers(t, 0, "after dropping three plans")
}

// helpers counts the goroutines running core.helper.
func helpers() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "stft.(*core).helper(")
}

func waitHelpers(t *testing.T, want int, when string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for helpers() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d helper goroutines, want %d", when, helpers(), want)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
