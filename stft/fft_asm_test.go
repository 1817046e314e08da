package stft

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The assembly kernels must give exactly the bits of the Go code they
// replace (fft.go), so that results do not depend on the CPU. These tests
// run both on the same inputs and compare bit patterns; they skip where
// the build has no assembly (other architectures, -tags purego) or the CPU
// cannot run it.

// withAsm runs f with the assembly kernels switched on or off.
func withAsm(on bool, f func()) {
	old := useAsm
	useAsm = on
	defer func() { useAsm = old }()
	f()
}

func skipWithoutAsm(t testing.TB) {
	t.Helper()
	if !haveAsm {
		t.Skip("no assembly kernels in this build or on this CPU")
	}
}

// same reports whether a and b are the same float64 bits or both NaN: the
// sign and payload of a NaN are not specified by Go's arithmetic, and
// finite inputs never make one.
func same(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
}

func same32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

// randWindow returns a window of random values in [0, 1): the kernels
// must not depend on the Hann window's symmetries.
func randWindow(rng *rand.Rand, n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = rng.Float64()
	}
	return w
}

// checkForwardSame transforms src into dst (filled with a marker first) by
// both paths of p and fails on the first differing value, the positions
// not written included.
func checkForwardSame(t *testing.T, p *pow2FFT, src []float32, stride, rows int, what string) {
	t.Helper()
	n := (rows-1)*stride + 1 + stride // a guard value after the last bin
	got, want := make([]complex64, n), make([]complex64, n)
	marker := complex(float32(math.Inf(1)), -7)
	for i := range got {
		got[i], want[i] = marker, marker
	}
	withAsm(true, func() { p.forward(got, stride, rows, src) })
	withAsm(false, func() { p.forward(want, stride, rows, src) })
	for i := range want {
		if !same32(real(got[i]), real(want[i])) || !same32(imag(got[i]), imag(want[i])) {
			t.Fatalf("%s: n %d, stride %d, %d rows: dst[%d] = %v (%#x, %#x), Go %v (%#x, %#x)",
				what, p.n, stride, rows, i, got[i],
				math.Float32bits(real(got[i])), math.Float32bits(imag(got[i])), want[i],
				math.Float32bits(real(want[i])), math.Float32bits(imag(want[i])))
		}
	}
}

// checkInverseSame runs the inverse of spec (bins at k·stride) by both
// paths of p onto the same accumulator and compares the results.
func checkInverseSame(t *testing.T, p *pow2FFT, spec []complex64, stride int, acc0 []float64, what string) {
	t.Helper()
	got, want := append([]float64(nil), acc0...), append([]float64(nil), acc0...)
	withAsm(true, func() { p.inverse(got, spec, stride) })
	withAsm(false, func() { p.inverse(want, spec, stride) })
	for i := range want {
		if !same(got[i], want[i]) {
			t.Fatalf("%s: n %d, stride %d: acc[%d] = %v (%#x), Go %v (%#x)",
				what, p.n, stride, i, got[i], math.Float64bits(got[i]), want[i], math.Float64bits(want[i]))
		}
	}
}

// rowChoices returns the numbers of bins worth testing for half length m:
// all of them, the edges of the regions the assembly path splits the
// steps into (around m/2 and m/2+1), a few, and a random count.
func rowChoices(rng *rand.Rand, m int) []int {
	rows := []int{m + 1, m, m - 1, m/2 + 3, m/2 + 2, m/2 + 1, m / 2, m/2 - 1, 3, 2, 1, 1 + rng.IntN(m+1)}
	out := rows[:0]
	for _, r := range rows {
		if r >= 1 && r <= m+1 {
			out = append(out, r)
		}
	}
	return out
}

// testInputs returns the frames (or, read as pairs, spectra) of n values
// the kernels are compared on: random values, values across the whole
// float32 range (zeros and subnormals among them), small integers, zeros,
// and an impulse. The structured ones make exact ties and zeros, where
// only the very same operations give the same signs of zero.
func testInputs(rng *rand.Rand, n int) [][]float32 {
	normal, bits, ints, zeros, impulse := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range n {
		normal[i] = float32(rng.NormFloat64())
		bits[i] = math.Float32frombits(rng.Uint32())
		if bits[i] != bits[i] || math.IsInf(float64(bits[i]), 0) {
			bits[i] = 0
		}
		ints[i] = float32(rng.IntN(5) - 2)
	}
	impulse[rng.IntN(n)] = 1
	return [][]float32{normal, bits, ints, zeros, impulse}
}

// TestAsmMatchesGo compares the assembly and Go paths of the power-of-two
// kernel for every n = 4…65536, with random windows and the Hann window,
// on the inputs of testInputs: forwards for every split of the bins the
// assembly path makes, with strided output, and backwards with strided
// input.
func TestAsmMatchesGo(t *testing.T) {
	skipWithoutAsm(t)
	rng := rand.New(rand.NewPCG(31, 32))
	for n := 4; n <= 1<<16; n *= 2 {
		m := n / 2
		hann := HannPeriodic(make([]float64, n))
		for _, p := range []*pow2FFT{newPow2FFT(randWindow(rng, n), randWindow(rng, n)), newPow2FFT(hann, hann)} {
			inputs := testInputs(rng, n)
			specs := testInputs(rng, 4*(m+1))
			for i, src := range inputs {
				for _, rows := range rowChoices(rng, m) {
					for _, stride := range []int{1, 3} {
						checkForwardSame(t, p, src, stride, rows, "forward")
					}
				}
				for _, stride := range []int{1, 2} {
					spec := make([]complex64, (m+1)*stride)
					for k := range spec {
						spec[k] = complex(specs[i][2*k], specs[i][2*k+1])
					}
					acc := make([]float64, n)
					for k := range acc {
						acc[k] = rng.NormFloat64()
					}
					checkInverseSame(t, p, spec, stride, acc, "inverse")
				}
			}
		}
	}
}

// TestAsmPublicMatchesGo compares what callers see: FrameFFT spectra and
// Plan's and MDX's spectrograms and signals, computed with and without the
// assembly kernels, for the frame sizes the separator (2048) and the
// transcription (1024, 2048) use.
func TestAsmPublicMatchesGo(t *testing.T) {
	skipWithoutAsm(t)
	rng := rand.New(rand.NewPCG(33, 34))
	x := make([]float32, 40000)
	for i := range x {
		x[i] = float32(0.3 * rng.NormFloat64())
	}
	for _, nfft := range []int{1024, 2048} {
		f, err := NewFrameFFT(nfft)
		if err != nil {
			t.Fatal(err)
		}
		for _, bins := range []int{nfft/2 + 1, 301, 1} {
			got, want := make([]complex64, bins), make([]complex64, bins)
			for start := 0; start+nfft <= len(x); start += 4999 {
				frame := x[start : start+nfft]
				withAsm(true, func() { f.Forward(got, frame) })
				withAsm(false, func() { f.Forward(want, frame) })
				if i := firstDiff64(got, want); i >= 0 {
					t.Fatalf("FrameFFT n_fft %d, %d bins, frame at %d: bin %d = %v, Go %v", nfft, bins, start, i, got[i], want[i])
				}
			}
		}
	}

	p, err := NewPlan(2048, 512, Workers(2))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	frames := p.Frames(len(x))
	var spec [2][]complex64
	var y [2][]float32
	for i, on := range []bool{true, false} {
		spec[i] = make([]complex64, p.Bins()*frames)
		y[i] = make([]float32, p.InverseLen(frames))
		withAsm(on, func() {
			if err := p.Forward(spec[i], x); err != nil {
				t.Fatal(err)
			}
			if err := p.Inverse(y[i], spec[i]); err != nil {
				t.Fatal(err)
			}
		})
	}
	if i := firstDiff64(spec[0], spec[1]); i >= 0 {
		t.Fatalf("Plan.Forward: value %d = %v, Go %v", i, spec[0][i], spec[1][i])
	}
	if i := firstDiff32(y[0], y[1]); i >= 0 {
		t.Fatalf("Plan.Inverse: sample %d = %v, Go %v", i, y[0][i], y[1][i])
	}

	// MDX: 2 chunks of stereo audio, dim_f 1024 of the 1025 bins.
	mdx, err := NewMDX(p, 1024)
	if err != nil {
		t.Fatal(err)
	}
	const batch, chunk = 2, 10000
	audio := x[:batch*2*chunk]
	size, tf := mdx.SpecLen(chunk)
	var ms [2][]float32
	var out [2][]float32
	for i, on := range []bool{true, false} {
		ms[i] = make([]float32, batch*size)
		out[i] = make([]float32, batch*2*p.InverseLen(tf))
		withAsm(on, func() {
			if err := mdx.SpecBatch(ms[i], audio, batch); err != nil {
				t.Fatal(err)
			}
			if err := mdx.AudioBatch(out[i], ms[i], batch, 1); err != nil {
				t.Fatal(err)
			}
		})
	}
	if i := firstDiff32(ms[0], ms[1]); i >= 0 {
		t.Fatalf("MDX.SpecBatch: value %d = %v, Go %v", i, ms[0][i], ms[1][i])
	}
	if i := firstDiff32(out[0], out[1]); i >= 0 {
		t.Fatalf("MDX.AudioBatch: sample %d = %v, Go %v", i, out[0][i], out[1][i])
	}
}

// firstDiff64 returns the index of the first value whose bits differ, or −1.
func firstDiff64(a, b []complex64) int {
	for i := range a {
		if !same32(real(a[i]), real(b[i])) || !same32(imag(a[i]), imag(b[i])) {
			return i
		}
	}
	return -1
}

// firstDiff32 returns the index of the first value whose bits differ, or −1.
func firstDiff32(a, b []float32) int {
	for i := range a {
		if !same32(a[i], b[i]) {
			return i
		}
	}
	return -1
}

// FuzzAsmMatchesGo compares both paths on fuzzed sizes, bin counts,
// strides and inputs: the values are the fuzzer's bytes read as float32
// (NaN and infinities included: only where one comes out must both paths
// merely agree on NaN-ness).
//
//	go test -run='^$' -fuzz=FuzzAsmMatchesGo -fuzztime=2m ./stft/
func FuzzAsmMatchesGo(f *testing.F) {
	f.Add(uint8(4), uint16(9), uint8(0), []byte{1, 2, 3, 4, 5, 6, 7, 8})
	f.Add(uint8(9), uint16(300), uint8(2), []byte{0x7f, 0x80, 0, 0, 0xff, 0xff, 0xff, 0x7f})
	f.Add(uint8(10), uint16(65535), uint8(1), []byte{})
	f.Fuzz(func(t *testing.T, logn uint8, rowsB uint16, strideB uint8, data []byte) {
		skipWithoutAsm(t)
		n := 1 << (2 + int(logn)%13) // 4…16384
		m := n / 2
		rows := 1 + int(rowsB)%(m+1)
		stride := 1 + int(strideB)%3
		// The bytes, repeated to fill what is needed, as float32 values.
		word := func(i int) uint32 {
			if len(data) < 4 {
				return uint32(i) * 0x9e3779b9
			}
			j := (4 * i) % (len(data) - len(data)%4)
			return uint32(data[j]) | uint32(data[j+1])<<8 | uint32(data[j+2])<<16 | uint32(data[j+3])<<24
		}
		rng := rand.New(rand.NewPCG(uint64(n), uint64(rows)))
		p := newPow2FFT(randWindow(rng, n), randWindow(rng, n))
		src := make([]float32, n)
		for i := range src {
			src[i] = math.Float32frombits(word(i))
		}
		checkForwardSame(t, p, src, stride, rows, "forward")
		spec := make([]complex64, (m+1)*stride)
		for i := range spec {
			spec[i] = complex(math.Float32frombits(word(2*i+n)), math.Float32frombits(word(2*i+n+1)))
		}
		checkInverseSame(t, p, spec, stride, make([]float64, n), "inverse")
	})
}
