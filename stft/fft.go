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
type pow2FFT struct {
	n, m int
	half []float64    // the analysis window / 2: unpackForward's halving, exact and free
	syn  []float64    // the synthesis window
	rev  []int32      // rev[j]: bit reversal of j within log2(m) bits
	tw   []twiddle    // per radix-4 pass over length-h parts: k < h, W = exp(-2πi/4h)
	post []complex128 // exp(-2πik/n) for k = 0..m/2
	z    []complex128 // work, len m
	odd  bool         // log2(m) is odd: a radix-2 pass comes first
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
		post: make([]complex128, m/2+1),
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
	for k := range p.post {
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
		for k := 0; k < h; k++ {
			a := -2 * math.Pi * float64(k) / float64(4*h)
			p.tw = append(p.tw, twiddle{expi(a), expi(2 * a), expi(3 * a)})
		}
	}
	return p
}

// twiddle holds W^k, W^2k and W^3k for one butterfly of a radix-4 pass.
type twiddle struct{ w1, w2, w3 complex128 }

// expi returns exp(i·a), computed directly (no recurrences) for accuracy.
func expi(a float64) complex128 {
	s, c := math.Sincos(a)
	return complex(c, s)
}

func (p *pow2FFT) forward(dst []complex64, stride, rows int, src []float32) {
	pack(p, src, p.half)
	p.passes()
	unpackForward(p, dst, stride, rows)
}

func (p *pow2FFT) inverse(acc []float64, src []complex64, stride int) {
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
		return complex(float64(src[2*j])*win[2*j], float64(src[2*j+1])*win[2*j+1])
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
	z, m := p.z, p.m
	z = z[:m]
	// z holds half the transform (pack used win/2), which makes the
	// halvings below free; scaling by 2 is exact, so nothing changes.
	z0 := z[0]
	dst[0] = C(complex(2*(real(z0)+imag(z0)), 0))
	if m < rows {
		dst[m*stride] = C(complex(2*(real(z0)-imag(z0)), 0))
	}
	post := p.post[:m/2+1]
	for k := 1; k <= m/2; k++ {
		zk, zc := z[k], z[m-k]
		// e = (zk + conj zc)/2, o = (zk − conj zc)/2i; X[k] = e + w^k·o and
		// X[m−k] = conj(e − w^k·o).
		er := real(zk) + real(zc)
		ei := imag(zk) - imag(zc)
		or := imag(zk) + imag(zc)
		oi := real(zc) - real(zk)
		w := post[k]
		tr := real(w)*or - imag(w)*oi
		ti := real(w)*oi + imag(w)*or
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
	z, rev, m := p.z, p.rev, p.m
	rev = rev[:m]
	// Z[k] = e + i·o with e = X[k] + conj X[m−k], o = (X[k] − conj X[m−k])·conj(w^k);
	// Z[m−k] = conj(e − i·o). Only the real parts of X[0] and X[m] count.
	x0, xm := real(complex128(src[0])), real(complex128(src[m*stride]))
	z[0] = complex(x0+xm, -(x0 - xm))
	post := p.post[:m/2+1]
	for k := 1; k <= m/2; k++ {
		xk := complex128(src[k*stride])
		xc := complex128(src[(m-k)*stride]) // conjugated below
		er := real(xk) + real(xc)
		ei := imag(xk) - imag(xc)
		dr := real(xk) - real(xc)
		di := imag(xk) + imag(xc)
		w := post[k]
		or := dr*real(w) + di*imag(w)
		oi := di*real(w) - dr*imag(w)
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
		acc[2*j] += real(v) * win[2*j]
		acc[2*j+1] -= imag(v) * win[2*j+1]
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
	m := len(z)
	h := 4 // length of the sub-transforms being combined
	if p.odd {
		h = 2
	}
	tw := p.tw
	for ; h < m; h *= 4 {
		stw := tw[:h]
		tw = tw[h:]
		for j := 0; j < m; j += 4 * h {
			radix4(z[j:j+4*h], stw, h)
		}
	}
}

// radix4 combines the four length-h transforms stored in blk (of residues
// 0, 2, 1, 3 in that order, as bit reversal leaves them) into one of length 4h.
func radix4(blk []complex128, tw []twiddle, h int) {
	q0 := blk[0:h]
	q1 := blk[h : 2*h]
	q2 := blk[2*h : 3*h]
	q3 := blk[3*h : 4*h]
	tw = tw[:len(q0)]
	q1, q2, q3 = q1[:len(q0)], q2[:len(q0)], q3[:len(q0)]
	for k := range tw {
		w := &tw[k]
		a := q0[k]
		c := w.w2 * q1[k]
		b := w.w1 * q2[k]
		d := w.w3 * q3[k]
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
