package stft

import (
	"math"
	"math/bits"

	"gonum.org/v1/gonum/dsp/fourier"
)

// realFFT is the transform a worker runs once per frame, fused with what
// surrounds it there so that a frame is read and written once.
// Implementations keep their own scratch, so one value must not be shared
// between goroutines.
type realFFT interface {
	// forward computes the DFT of the frame src (len n) times the analysis
	// window and stores bins 0..rows−1 at dst[k·stride].
	forward(dst []complex64, stride, rows int, src []float32)
	// inverse computes n·x, x the inverse real DFT of the bins
	// src[k·stride], k = 0..n/2 (numpy's irfft: the imaginary parts of the
	// DC and, for even n, the Nyquist bin are ignored), and adds n·x times
	// the synthesis window, which carries the 1/n, to acc.
	inverse(acc []float64, src []complex64, stride int)
}

// newRealFFT returns the fastest exact transform available for length n =
// len(ana) = len(syn): the power-of-two kernel below, or gonum's FFTPACK
// port for any other n. ana is the analysis window; syn the synthesis
// window, which must include the 1/n of the inverse DFT.
func newRealFFT(ana, syn []float64) realFFT {
	if n := len(ana); n >= 4 && n&(n-1) == 0 {
		return newPow2FFT(ana, syn)
	}
	return newGonumFFT(ana, syn)
}

// gonumFFT adapts gonum's real FFT (FFTPACK, any length) to realFFT.
type gonumFFT struct {
	fft      *fourier.FFT
	ana, syn []float64
	frame    []float64
	spec     []complex128
}

func newGonumFFT(ana, syn []float64) *gonumFFT {
	n := len(ana)
	return &gonumFFT{
		fft:   fourier.NewFFT(n),
		ana:   ana,
		syn:   syn,
		frame: make([]float64, n),
		spec:  make([]complex128, n/2+1),
	}
}

func (g *gonumFFT) forward(dst []complex64, stride, rows int, src []float32) {
	frame := g.frame
	src, win := src[:len(frame)], g.ana[:len(frame)]
	for m, v := range src {
		frame[m] = float64(v) * win[m]
	}
	g.fft.Coefficients(g.spec, frame)
	for k, v := range g.spec[:rows] {
		dst[k*stride] = complex64(v)
	}
}

func (g *gonumFFT) inverse(acc []float64, src []complex64, stride int) {
	for k := range g.spec {
		g.spec[k] = complex128(src[k*stride])
	}
	frame := g.fft.Sequence(g.frame, g.spec)
	acc, win := acc[:len(frame)], g.syn[:len(frame)]
	for m, v := range frame {
		acc[m] += v * win[m]
	}
}

// pow2FFT is a real FFT of length n = 2m, n a power of two, computed as a
// complex FFT of length m over z[j] = x[2j] + i·x[2j+1] followed by the
// usual split into even and odd halves. The complex FFT is an in-place
// radix-4 decimation-in-time transform (one radix-2 pass first when log2 m
// is odd) with all twiddle factors precomputed in float64, which keeps its
// error at the level of FFTPACK's (both are ~1e-16 relative). The input
// is scattered into bit-reversed order while it is packed, so there is no
// separate permutation pass.
//
// It exists because gonum's FFTPACK port, which stays the engine for every
// other length, takes about 27 µs for a 2048-point real transform on the
// development machine, several times torch's pocketfft; see the package
// documentation for the measurements.
//
// The Go functions below are the definition of its results. On amd64 with
// AVX2, forward and inverse run assembly versions of them instead
// (fft_amd64.s), which compute the same bits; elsewhere they are what
// runs (fft_noasm.go).
type pow2FFT struct {
	n, m   int
	half   []float64    // the analysis window / 2: unpackForward's halving, exact and free
	syn    []float64    // the synthesis window
	rev    []int32      // rev[j]: bit reversal of j within log2(m) bits
	stages []stage      // the radix-4 passes after the first, in the order passes runs them
	post   []complex128 // exp(-2πik/n) for k = 0..m/2, then one padding zero (see fft_amd64.s)
	z      []complex128 // work, len m
	odd    bool         // log2(m) is odd: a radix-2 pass comes first
}

// stage is one radix-4 pass: it combines every four consecutive transforms
// of length h in z into one of length 4h.
//
// Its twiddle factors are stored as structure of arrays, tw = W^k for
// k < h, then W^2k, then W^3k (W = exp(−2πi/4h)), so that consecutive k
// are adjacent in memory, as vector loads want them, followed by one
// padding zero: the AVX2 kernel loads the imaginary parts of W^k and
// W^(k+1) as the 32 bytes that start 8 bytes into W^k, which for the last
// pair of W^3k reaches 8 bytes past it.
type stage struct {
	h  int
	tw []complex128 // len 3h+1
}

func newPow2FFT(ana, syn []float64) *pow2FFT {
	n := len(ana)
	m := n / 2
	p := &pow2FFT{
		n:    n,
		m:    m,
		half: make([]float64, n),
		syn:  syn,
		rev:  make([]int32, m),
		post: make([]complex128, m/2+2),
		z:    make([]complex128, m),
	}
	logm := bits.TrailingZeros(uint(m))
	for i, w := range ana {
		p.half[i] = w / 2
	}
	for j := range p.rev {
		if logm > 0 {
			p.rev[j] = int32(bits.Reverse(uint(j)) >> (bits.UintSize - logm))
		}
	}
	for k := range m/2 + 1 {
		p.post[k] = expi(-2 * math.Pi * float64(k) / float64(n))
	}
	p.odd = logm%2 == 1
	// Twiddles for the radix-4 passes, in the order passes runs them: each
	// combines four transforms of length h into one of length 4h.
	h := 4
	if p.odd {
		h = 2
	}
	for ; h < m; h *= 4 {
		tw := make([]complex128, 3*h+1)
		for k := range h {
			a := -2 * math.Pi * float64(k) / float64(4*h)
			tw[k], tw[h+k], tw[2*h+k] = expi(a), expi(2*a), expi(3*a)
		}
		p.stages = append(p.stages, stage{h: h, tw: tw})
	}
	return p
}

// expi returns exp(i·a), computed directly (no recurrences) for accuracy.
func expi(a float64) complex128 {
	s, c := math.Sincos(a)
	return complex(c, s)
}

// cmul returns a·b with the operations of Go's complex multiplication,
// (ar·br − ai·bi) + i(ar·bi + ai·br), its products formed by mul.
func cmul(a, b complex128) complex128 {
	return complex(mul(real(a), real(b))-mul(imag(a), imag(b)),
		mul(real(a), imag(b))+mul(imag(a), real(b)))
}

// forwardGo is forward in portable Go: the reference the assembly kernels
// must match bit for bit, and the fallback where they cannot run.
func (p *pow2FFT) forwardGo(dst []complex64, stride, rows int, src []float32) {
	pack(p, src, p.half)
	p.passes()
	unpackForward(p, dst, stride, rows)
}

// inverseGo is inverse in portable Go (see forwardGo).
func (p *pow2FFT) inverseGo(acc []float64, src []complex64, stride int) {
	packInverse(p, src, stride)
	p.firstPass()
	p.passes()
	unpackInverse(p, acc, p.syn)
}

// pack loads z[j] = x[2j] + i·x[2j+1], x = src·win, in bit-reversed order
// and runs the kernel's first, twiddle-free pass on it on the way (see
// firstPass): position 4q+i holds input rev[4q] + (0, m/2, m/4, 3m/4)[i].
func pack[S float32 | float64](p *pow2FFT, src []S, win []float64) {
	z, m := p.z, p.m
	src, win = src[:2*m], win[:2*m]
	in := func(j int) complex128 {
		return complex(mul(float64(src[2*j]), win[2*j]), mul(float64(src[2*j+1]), win[2*j+1]))
	}
	if p.odd {
		rev := p.rev[:m]
		for q := 0; q+1 < m; q += 2 {
			j := int(rev[q])
			a, b := in(j), in(j+m/2)
			z[q], z[q+1] = a+b, a-b
		}
		return
	}
	rev := p.rev[:m]
	for q := 0; q+3 < m; q += 4 {
		j := int(rev[q])
		a, c, b, d := in(j), in(j+m/2), in(j+m/4), in(j+3*m/4)
		blk := z[q : q+4 : q+4]
		s0, s1, s2, s3 := a+c, a-c, b+d, b-d
		blk[0] = s0 + s2
		blk[1] = complex(real(s1)+imag(s3), imag(s1)-real(s3))
		blk[2] = s0 - s2
		blk[3] = complex(real(s1)-imag(s3), imag(s1)+real(s3))
	}
}

// unpackForward splits the transform of the packed even and odd samples
// into the n-point spectrum, storing bins k < rows at dst[k·stride].
func unpackForward[C complex64 | complex128](p *pow2FFT, dst []C, stride, rows int) {
	unpackForwardEnds(p, dst, stride, rows)
	unpackForwardBins(p, dst, stride, rows, 1, p.m/2+1)
}

// unpackForwardEnds stores the bins 0 and m (if m < rows), which come
// from z[0] alone.
func unpackForwardEnds[C complex64 | complex128](p *pow2FFT, dst []C, stride, rows int) {
	// z holds half the transform (pack used win/2), which makes the
	// halvings below free; scaling by 2 is exact, so nothing changes.
	z0, m := p.z[0], p.m
	dst[0] = C(complex(2*(real(z0)+imag(z0)), 0))
	if m < rows {
		dst[m*stride] = C(complex(2*(real(z0)-imag(z0)), 0))
	}
}

// unpackForwardBins stores the bins k and m−k that are below rows, for
// k0 ≤ k < k1 (1 ≤ k0, k1 ≤ m/2+1). It processes k in increasing order and
// stores bin k before bin m−k, which for k = m/2 are the same: the second
// value stands, as in every implementation of it.
func unpackForwardBins[C complex64 | complex128](p *pow2FFT, dst []C, stride, rows, k0, k1 int) {
	z, m := p.z, p.m
	z = z[:m]
	post := p.post[:m/2+1]
	for k := k0; k < k1; k++ {
		zk, zc := z[k], z[m-k]
		// e = (zk + conj zc)/2, o = (zk − conj zc)/2i; X[k] = e + w^k·o and
		// X[m−k] = conj(e − w^k·o).
		er := real(zk) + real(zc)
		ei := imag(zk) - imag(zc)
		or := imag(zk) + imag(zc)
		oi := real(zc) - real(zk)
		w := post[k]
		tr := mul(real(w), or) - mul(imag(w), oi)
		ti := mul(real(w), oi) + mul(imag(w), or)
		if k < rows {
			dst[k*stride] = C(complex(er+tr, ei+ti))
		}
		if m-k < rows {
			dst[(m-k)*stride] = C(complex(er-tr, ti-ei))
		}
	}
}

// packInverse loads the conjugate of Z = E + i·O, the half-length spectrum
// whose inverse is x[2j] + i·x[2j+1], from the bins src[k·stride], in
// bit-reversed order. The kernel only transforms forwards; conjugating in
// and out makes it an inverse.
func packInverse[C complex64 | complex128](p *pow2FFT, src []C, stride int) {
	packInverseEnds(p, src, stride)
	packInverseBins(p, src, stride, 1, p.m/2+1)
}

// packInverseEnds loads z[0], which comes from bins 0 and m alone.
func packInverseEnds[C complex64 | complex128](p *pow2FFT, src []C, stride int) {
	// Only the real parts of X[0] and X[m] count.
	m := p.m
	x0, xm := real(complex128(src[0])), real(complex128(src[m*stride]))
	p.z[0] = complex(x0+xm, -(x0 - xm))
}

// packInverseBins loads z[rev[k]] and z[rev[m−k]] for k0 ≤ k < k1
// (1 ≤ k0, k1 ≤ m/2+1), in increasing k and k before m−k (the same
// position for k = m/2, where the second value stands).
func packInverseBins[C complex64 | complex128](p *pow2FFT, src []C, stride, k0, k1 int) {
	z, rev, m := p.z, p.rev, p.m
	rev = rev[:m]
	// Z[k] = e + i·o with e = X[k] + conj X[m−k], o = (X[k] − conj X[m−k])·conj(w^k);
	// Z[m−k] = conj(e − i·o).
	post := p.post[:m/2+1]
	for k := k0; k < k1; k++ {
		xk := complex128(src[k*stride])
		xc := complex128(src[(m-k)*stride]) // conjugated below
		er := real(xk) + real(xc)
		ei := imag(xk) - imag(xc)
		dr := real(xk) - real(xc)
		di := imag(xk) + imag(xc)
		w := post[k]
		or := mul(dr, real(w)) + mul(di, imag(w))
		oi := mul(di, real(w)) - mul(dr, imag(w))
		// conj Z[k] = (er − oi) − i(ei + or); conj Z[m−k] = (er + oi) + i(ei − or).
		z[rev[k]] = complex(er-oi, -(ei + or))
		z[rev[m-k]] = complex(er+oi, ei-or)
	}
}

// unpackInverse adds x[m]·win[m] to acc[m], x[2j] + i·x[2j+1] = conj z[j].
func unpackInverse(p *pow2FFT, acc, win []float64) {
	z := p.z
	acc, win = acc[:2*len(z)], win[:2*len(z)]
	for j, v := range z {
		acc[2*j] += mul(real(v), win[2*j])
		acc[2*j+1] -= mul(imag(v), win[2*j+1])
	}
}

// The complex FFT of p.z in place (forward, unnormalised) is firstPass
// followed by passes: p.z holds its input in bit-reversed order and
// receives the output in natural order.

// firstPass combines transforms of length 1 into transforms of length 2
// (log2 m odd) or 4, which needs no twiddle factors.
func (p *pow2FFT) firstPass() {
	z := p.z
	m := len(z)
	if p.odd {
		for j := 0; j+1 < m; j += 2 {
			a, b := z[j], z[j+1]
			z[j], z[j+1] = a+b, a-b
		}
		return
	}
	for j := 0; j+3 < m; j += 4 {
		blk := z[j : j+4 : j+4]
		a, c, b, d := blk[0], blk[1], blk[2], blk[3]
		s0, s1, s2, s3 := a+c, a-c, b+d, b-d
		blk[0] = s0 + s2
		blk[1] = complex(real(s1)+imag(s3), imag(s1)-real(s3))
		blk[2] = s0 - s2
		blk[3] = complex(real(s1)-imag(s3), imag(s1)+real(s3))
	}
}

// passes runs the radix-4 passes that follow firstPass.
func (p *pow2FFT) passes() {
	z := p.z
	for _, st := range p.stages {
		for j := 0; j < len(z); j += 4 * st.h {
			radix4(z[j:j+4*st.h], st.tw, st.h)
		}
	}
}

// radix4 combines the four length-h transforms stored in blk (of residues
// 0, 2, 1, 3 in that order, as bit reversal leaves them) into one of length
// 4h, with a stage's twiddles tw.
func radix4(blk []complex128, tw []complex128, h int) {
	q0 := blk[0:h]
	// Slices of len(q0) let the compiler drop the bounds checks below.
	n := len(q0)
	q1, q2, q3 := blk[h : 2*h][:n], blk[2*h : 3*h][:n], blk[3*h : 4*h][:n]
	w1, w2, w3 := tw[0:h][:n], tw[h : 2*h][:n], tw[2*h : 3*h][:n]
	for k := range q0 {
		a := q0[k]
		c := cmul(w2[k], q1[k])
		b := cmul(w1[k], q2[k])
		d := cmul(w3[k], q3[k])
		s0r, s0i := real(a)+real(c), imag(a)+imag(c)
		s1r, s1i := real(a)-real(c), imag(a)-imag(c)
		s2r, s2i := real(b)+real(d), imag(b)+imag(d)
		s3r, s3i := real(b)-real(d), imag(b)-imag(d)
		q0[k] = complex(s0r+s2r, s0i+s2i)
		q1[k] = complex(s1r+s3i, s1i-s3r)
		q2[k] = complex(s0r-s2r, s0i-s2i)
		q3[k] = complex(s1r-s3i, s1i+s3r)
	}
}
