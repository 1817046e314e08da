package transcribe

import (
	"math"
	"math/rand/v2"
	"testing"
)

// withKernels runs f with the fast kernels (the assembly where the CPU has
// it) and returns; the Go kernels are called by name.
func withKernels(t *testing.T, f func()) {
	t.Helper()
	if !useAVX2 {
		t.Log("no assembly kernels on this platform or CPU: the dispatchers run the Go kernels")
	}
	f()
}

// hostile returns a float32 drawn to cover what the kernels must agree
// on: magnitudes from subnormal to near overflow, zeros of both signs,
// and (with special) NaN and ±Inf.
func hostile(rng *rand.Rand, special bool) float32 {
	switch k := rng.IntN(20); {
	case k == 0:
		return 0
	case k == 1:
		return float32(math.Copysign(0, -1))
	case k == 2 && special:
		return float32(math.NaN())
	case k == 3 && special:
		return float32(math.Inf(1 - 2*rng.IntN(2)))
	case k == 4:
		return math.Float32frombits(rng.Uint32N(1 << 23)) // subnormal
	default:
		v := float32(math.Pow(10, rng.Float64()*76-38))
		if rng.IntN(2) == 0 {
			v = -v
		}
		return v
	}
}

func TestPowMagKernel(t *testing.T) {
	withKernels(t, func() {
		rng := rand.New(rand.NewPCG(41, 42))
		for _, n := range []int{8, 16, 24, 392, 800, 13} {
			for _, special := range []bool{false, true} {
				stride := n + 8*rng.IntN(3)
				spec := make([]complex64, lanes*stride)
				for i := range spec {
					spec[i] = complex(hostile(rng, special), hostile(rng, special))
				}
				scale := float32(4.0 / 2048)
				pa, ma := make([]float32, n*lanes), make([]float32, n*lanes)
				pb, mb := make([]float32, n*lanes), make([]float32, n*lanes)
				powMag(pa, ma, spec, stride, n, scale)
				powMagGo(pb, mb, spec, stride, n, scale)
				if i := sameBits(pa, pb); i >= 0 {
					t.Fatalf("n %d: pow[%d] = %g, Go %g", n, i, pa[i], pb[i])
				}
				if i := sameBits(ma, mb); i >= 0 {
					t.Fatalf("n %d: mag[%d] = %g, Go %g", n, i, ma[i], mb[i])
				}
			}
		}
	})
}

// TestSqrt32: float32(math.Sqrt(float64(p))), the magnitude of the
// per-frame analysis, is the correctly rounded float32 square root the
// assembly's VSQRTPS computes: checked here against the float64 square
// root rounded by hand (the nearest float32 of the two around it, ties to
// even) on 2 million values of every exponent.
func TestSqrt32(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	for range 2_000_000 {
		p := math.Float32frombits(rng.Uint32N(0x7f800000))
		got := float32(math.Sqrt(float64(p)))
		// The two float32 around the exact root; the exact root's
		// square compares with p exactly in float64 arithmetic for
		// the midpoint (24-bit operands, 49-bit products).
		lo := got
		if float64(lo)*float64(lo) > float64(p) {
			lo = math.Nextafter32(lo, 0)
		}
		hi := math.Nextafter32(lo, math.MaxFloat32)
		mid := (float64(lo) + float64(hi)) / 2
		want := lo
		if d := mid*mid - float64(p); d < 0 || (d == 0 && math.Float32bits(lo)&1 == 1) {
			want = hi
		}
		if got != want {
			t.Fatalf("sqrt(%g) = %g, correctly rounded %g", p, got, want)
		}
	}
}

func TestRowSumKernel(t *testing.T) {
	withKernels(t, func() {
		rng := rand.New(rand.NewPCG(45, 46))
		src := make([]float32, 500*lanes)
		for i := range src {
			src[i] = hostile(rng, i%97 == 0)
		}
		for range 200 {
			a := rng.IntN(500)
			b := a + rng.IntN(500-a+1)
			var got, want [lanes]float32
			rowSum(&got, src, a, b)
			rowSumGo(&want, src, a, b)
			if i := sameBits(got[:], want[:]); i >= 0 {
				t.Fatalf("rows %d…%d: lane %d = %g, Go %g", a, b, i, got[i], want[i])
			}
		}
	})
}

func TestBandDotsKernel(t *testing.T) {
	withKernels(t, func() {
		rng := rand.New(rand.NewPCG(47, 48))
		rows := 800
		mag := make([]float32, rows*lanes)
		for _, special := range []bool{false, true} {
			for i := range mag {
				mag[i] = hostile(rng, special)
			}
			for _, nb := range []int{1, 2, 150} {
				lo, off := make([]int32, nb), []int32{0}
				var w []float32
				for j := range nb {
					k := rng.IntN(40) // empty bands too
					lo[j] = int32(rng.IntN(rows - k + 1))
					for range k {
						w = append(w, hostile(rng, special))
					}
					off = append(off, int32(len(w)))
				}
				got, want := make([]float32, nb*lanes), make([]float32, nb*lanes)
				bandDots(got, mag, lo, off, w)
				bandDotsGo(want, mag, lo, off, w)
				if i := sameBits(got, want); i >= 0 {
					t.Fatalf("%d bands: [%d] = %g, Go %g", nb, i, got[i], want[i])
				}
			}
		}
	})
	// The filterbanks the detectors use.
	for _, class := range []Piece{Kick, Snare} {
		fb := newDetector(class, rate).fb
		rng := rand.New(rand.NewPCG(49, 50))
		mag := make([]float32, (fb.rows+7)&^7*lanes)
		for i := range mag {
			mag[i] = float32(rng.ExpFloat64())
		}
		got, want := make([]float32, fb.bands*lanes), make([]float32, fb.bands*lanes)
		bandDots(got, mag, fb.lo32, fb.off, fb.flat)
		bandDotsGo(want, mag, fb.lo32, fb.off, fb.flat)
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("%s filterbank: [%d] = %g, Go %g", class, i, got[i], want[i])
		}
	}
}

// TestLog1pRowsKernel: the kernel equals log1p on a sweep of every 1/1000
// octave from 2⁻¹⁵⁰ to 2¹²⁸ and its float32 neighbours (both of log1p's
// paths and the boundaries between them), with the detectors' gains, and
// with NaN, ±Inf and negative values (where the Go kernel takes over).
func TestLog1pRowsKernel(t *testing.T) {
	withKernels(t, func() {
		var xs []float32
		for e := -150.0; e < 128; e += 0.001 {
			x0 := float32(math.Pow(2, e))
			xs = append(xs, math.Nextafter32(x0, 0), x0, math.Nextafter32(x0, math.MaxFloat32))
		}
		for _, x := range []float32{1e-4, math.MaxFloat32, 0, math.SmallestNonzeroFloat32} {
			xs = append(xs, math.Nextafter32(x, 0), x, math.Nextafter32(x, math.MaxFloat32))
		}
		// m = √2 in log1p: 1 + x around √2 and √2·2^k.
		for k := 0; k < 40; k++ {
			x0 := float32(math.Sqrt2*math.Pow(2, float64(k)) - 1)
			for i, x := -20, math.Nextafter32(x0, 0); i < 20; i++ {
				xs = append(xs, x)
				x = math.Nextafter32(x, math.MaxFloat32)
			}
		}
		// The values whose log1p is nearest a float32 rounding boundary
		// (within 2⁻³⁸ of the value): there a difference in the
		// float64 arithmetic shows in the float32 result.
		// Half of them where the series' last terms weigh most: 1 + x
		// with a mantissa near √2 (s near its largest).
		rng := rand.New(rand.NewPCG(55, 56))
		var hard int
		for i := range 2_000_000 {
			x := float32(math.Pow(2, rng.Float64()*60-30))
			near := 0x1p-38
			if i%2 == 1 {
				k := math.Pow(2, float64(rng.IntN(24)))
				x = float32((1.3+rng.Float64()*0.23)*k - 1)
				near = 0x1p-41
			}
			r := log1p64(x)
			f := float32(r)
			other := math.Nextafter32(f, float32(math.Inf(int(math.Copysign(1, r-float64(f))))))
			mid := (float64(f) + float64(other)) / 2
			if math.Abs(r-mid) < math.Abs(r)*near {
				xs = append(xs, x)
				hard++
			}
		}
		t.Logf("%d values near a float32 rounding boundary", hard)
		for len(xs)%lanes != 0 {
			xs = append(xs, 0.5)
		}
		n := len(xs) / lanes
		for _, mul := range []float32{1, 512 * cymbalMul, 512 * rideMul} {
			stride := lanes + 3
			got, want := make([]float32, n*stride), make([]float32, n*stride)
			log1pRows(got, stride, xs, n, mul)
			log1pRowsGo(want, stride, xs, n, mul)
			if i := sameBits(got, want); i >= 0 {
				t.Fatalf("×%g: log1p(%g) = %g, Go %g", mul, xs[i/stride*lanes+i%stride]*mul, got[i], want[i])
			}
		}
		// One value out of range, in each lane of each row in turn.
		for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), -1, -1e-30} {
			for i := range 3 * lanes {
				src := make([]float32, 3*lanes)
				for k := range src {
					src[k] = float32(k) * 0.37
				}
				src[i] = bad
				got, want := make([]float32, 3*lanes), make([]float32, 3*lanes)
				log1pRows(got, lanes, src, 3, 1)
				log1pRowsGo(want, lanes, src, 3, 1)
				if k := sameBits(got, want); k >= 0 {
					t.Fatalf("%g at %d: log1p(%g) = %g, Go %g", bad, i, src[k], got[k], want[k])
				}
			}
		}
		rng = rand.New(rand.NewPCG(51, 52))
		for range 100 {
			src := make([]float32, 10*lanes)
			for i := range src {
				src[i] = hostile(rng, true)
			}
			got, want := make([]float32, 10*lanes), make([]float32, 10*lanes)
			log1pRows(got, lanes, src, 10, 1)
			log1pRowsGo(want, lanes, src, 10, 1)
			if i := sameBits(got, want); i >= 0 {
				t.Fatalf("log1p(%g) = %g, Go %g", src[i], got[i], want[i])
			}
		}
	})
}

func TestFluxKernel(t *testing.T) {
	withKernels(t, func() {
		rng := rand.New(rand.NewPCG(53, 54))
		for _, special := range []bool{false, true} {
			for _, nb := range []int{1, 2, 3, 150} {
				for lag := 0; lag <= 20; lag += 1 + lag {
					stride := lag + lanes
					logs := make([]float32, nb*stride)
					for i := range logs {
						// Few distinct values: ties between a band and
						// its neighbours, and zero rises.
						switch rng.IntN(4) {
						case 0:
							logs[i] = float32(rng.IntN(3))
						default:
							logs[i] = hostile(rng, special)
						}
					}
					weight := make([]float32, nb)
					for j := range weight {
						weight[j] = float32(rng.Float64() * 3)
					}
					var got, want [lanes]float32
					flux(&got, logs, stride, lag, nb, weight)
					fluxGo(&want, logs, stride, lag, nb, weight)
					if i := sameBits(got[:], want[:]); i >= 0 {
						t.Fatalf("%d bands, lag %d: lane %d = %g, Go %g", nb, lag, i, got[i], want[i])
					}
				}
			}
		}
	})
}

// TestPowerSumsWindows: the windows of prefix sums equal the prefix sums
// of the whole mono mix taken in one pass, bit for bit, whether the windows
// overlap, touch, lie apart or are cut by the signal's ends, and a window
// stays valid through the next call.
func TestPowerSumsWindows(t *testing.T) {
	rng := rand.New(rand.NewPCG(57, 58))
	for _, n := range []int{0, 1, 50, 5000, 100000} {
		ch := channels(testSignal("hits", n, rate, rng), 1+n%3, rng)
		x := monoRef(ch)
		pw := make([]float64, n+1)
		for i, v := range x {
			pw[i+1] = pw[i] + float64(v)*float64(v)
		}
		for range 5 {
			before, after := rng.IntN(3000), rng.IntN(3000)
			ps := newPowerSums(newSignal(ch), before, after)
			c := -before - 100 + rng.IntN(200)
			var prev pwView
			var prevC int
			for c < n+after+100 {
				v := ps.view(c)
				a, b := min(max(c-before, 0), n), min(max(c+after, 0), n)
				if v.off != a || len(v.v) != b-a+1 {
					t.Fatalf("n %d, window around %d: %d sums from %d, want %d from %d", n, c, len(v.v), v.off, b-a+1, a)
				}
				for i := a; i <= b; i++ {
					if v.at(i) != pw[i] {
						t.Fatalf("n %d, window around %d: pw[%d] = %g, want %g", n, c, i, v.at(i), pw[i])
					}
				}
				if prev.v != nil {
					pa, pb := min(max(prevC-before, 0), n), min(max(prevC+after, 0), n)
					for i := pa; i <= pb; i++ {
						if prev.at(i) != pw[i] {
							t.Fatalf("n %d: the window around %d changed at %d by the next call", n, prevC, i)
						}
					}
				}
				prev, prevC = v, c
				// Steps that overlap, touch, repeat or skip.
				switch rng.IntN(4) {
				case 0:
					c += rng.IntN(before + after + 2)
				case 1:
					c += before + after + 1
				case 2:
					c += 0
				default:
					c += rng.IntN(20000) + 1
				}
			}
		}
	}
}

// refineRef is refine as it was (commit bb6a255), reading the prefix sums
// through pwView.at, with its search window widened to the whole frame as
// refine's has been since.
func refineRef(pw pwView, c, nfft, rate, prev int) int {
	n := pw.n
	w := max(1, rate*2/1000)
	lo := max(w, c-nfft/2)
	if prev > noPrev {
		lo = max(lo, prev+rate/100)
	}
	hi := min(n-w, c+nfft/2)
	if lo > hi {
		return min(max(c, 0), n)
	}
	rise := func(i int) float64 { return (pw.at(i+w) - pw.at(i)) - (pw.at(i) - pw.at(i-w)) }
	best, top := lo, math.Inf(-1)
	for i := lo; i <= hi; i++ {
		if r := rise(i); r > top {
			best, top = i, r
		}
	}
	if top <= 0 {
		return min(max(c, 0), n)
	}
	for i := max(lo, best-rate*15/1000); i < best; i++ {
		if rise(i) >= 0.5*top {
			return i
		}
	}
	return best
}

// TestRefineMatchesRef: refine finds the sample refineRef finds, on hits,
// silence, noise and signals with NaN, near the ends of the signal and
// after a previous onset.
func TestRefineMatchesRef(t *testing.T) {
	rng := rand.New(rand.NewPCG(59, 60))
	for _, kind := range []string{"hits", "noise", "nan", "tiny"} {
		n := 3 * rate
		x := testSignal(kind, n, rate, rng)
		if kind == "hits" {
			clear(x[n/2 : n/2+rate/2]) // silence: no rise
		}
		for _, nfft := range []int{1024, 2048} {
			reach := rate*2/1000 + rate/40 + 1
			ps := newPowerSums(newSignal([][]float32{x}), nfft/2+reach, nfft/2+reach)
			prev := noPrev
			for c := -500; c < n+500; c += 1 + rng.IntN(3000) {
				pw := ps.view(c)
				if rng.IntN(3) == 0 {
					prev = c - rng.IntN(nfft)
				}
				got, want := refine(pw, c, nfft, rate, prev), refineRef(pw, c, nfft, rate, prev)
				if got != want {
					t.Fatalf("%s, nfft %d, peak at %d, previous %d: refined to %d, want %d", kind, nfft, c, prev, got, want)
				}
			}
		}
	}
}

// TestLevelDBMatchesMax: levelDB's bit-pattern maximum gives what the
// float maximum max(p, v, −v) from 0 gives, NaN, ±0, ±Inf and subnormals
// included.
func TestLevelDBMatchesMax(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for range 2000 {
		x := make([]float32, rng.IntN(40))
		special := rng.IntN(3) == 0
		for i := range x {
			x[i] = hostile(rng, special)
		}
		var p float32
		for _, v := range x {
			p = max(p, v, -v)
		}
		want := 20 * math.Log10(float64(p)+1e-12)
		got := levelDB(x)
		if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("levelDB(%v) = %g, want %g", x, got, want)
		}
	}
}

func TestMix2Kernel(t *testing.T) {
	withKernels(t, func() {
		rng := rand.New(rand.NewPCG(63, 64))
		for _, n := range []int{0, 1, 15, 16, 17, 100, 4096, 5000} {
			l, r := make([]float32, n), make([]float32, n)
			for i := range l {
				l[i], r[i] = hostile(rng, true), hostile(rng, true)
			}
			got, want := make([]float32, n), make([]float32, n)
			mix2(got, l, r, 0.5)
			mix2Go(want, l, r, 0.5)
			if i := sameBits(got, want); i >= 0 {
				t.Fatalf("%d samples: [%d] = %g, Go %g", n, i, got[i], want[i])
			}
		}
	})
}

// TestTomPitchLowBins: the tom pitch from the low bins only is the pitch
// from the whole spectrum, as tomPitch found it before (commit bb6a255),
// at several rates.
func TestTomPitchLowBins(t *testing.T) {
	rng := rand.New(rand.NewPCG(65, 66))
	for _, sr := range []int{22050, 44100, 48000, 96000} {
		x := testSignal("hits", sr, sr, rng)
		sig := newSignal([][]float32{x})
		n := nextPow2(sr * 93 / 1000)
		sp, ref := newSpectrometer(n), newSpectrometer(n)
		for s := -n; s < len(x)+100; s += 1 + rng.IntN(n) {
			got := tomPitch(sp, n, sig, s, sr)
			// The old search over the whole spectrum.
			m := ref.spectrum(sig, s+sr/200)
			binHz := float64(sr) / float64(n)
			best, bv := 0, 0.0
			for k := int(50 / binHz); k <= int(500/binHz) && k+1 < len(m); k++ {
				if m[k] > bv {
					best, bv = k, m[k]
				}
			}
			want := math.NaN()
			if best != 0 {
				f := float64(best)
				if a, b, c := m[best-1], m[best], m[best+1]; a+c-2*b != 0 {
					f += 0.5 * (a - c) / (a - 2*b + c)
				}
				want = math.Log2(f * binHz)
			}
			if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Fatalf("%d Hz, hit at %d: pitch %g, from the whole spectrum %g", sr, s, got, want)
			}
		}
	}
}
