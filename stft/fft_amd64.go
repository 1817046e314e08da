//go:build !purego

package stft

import "golang.org/x/sys/cpu"

// haveAsm reports whether the CPU and the operating system support the
// AVX2 kernels of fft_amd64.s (x/sys/cpu checks that the OS saves the YMM
// registers too).
var haveAsm = cpu.X86.HasAVX && cpu.X86.HasAVX2

// useAsm selects the AVX2 kernels. It is haveAsm; the tests switch it off
// to compare them with the Go code they replace, which they must match bit
// for bit.
var useAsm = haveAsm

// minAsmM is the smallest half length m the assembly path takes: the odd
// pack kernel loads two blocks of two (m ≥ 4 would do for even log2 m),
// and shorter transforms gain nothing.
const minAsmM = 8

// forward is realFFT.forward: forwardGo, through the AVX2 kernels when
// useAsm is set and n ≥ 16.
func (p *pow2FFT) forward(dst []complex64, stride, rows int, src []float32) {
	if !useAsm || p.m < minAsmM {
		p.forwardGo(dst, stride, rows, src)
		return
	}
	m := p.m
	// The kernels do not check bounds: check here what they touch, so
	// that a bad call panics as the Go code would.
	src, win := src[:2*m], p.half[:2*m]
	_ = dst[(min(rows, m+1)-1)*stride]
	if p.odd {
		packOddAVX2(p.z, src, win, p.rev)
	} else {
		packEvenAVX2(p.z, src, win, p.rev)
	}
	p.passesAsm()
	unpackForwardEnds(p, dst, stride, rows)
	// Bin k comes from the "low" store of step k, bin m−k from its "high"
	// one: low stores for k < rows, high ones for k > m−rows.
	half := m / 2
	lo := min(rows, half+1) // steps [1, lo) store low
	hi := max(1, m-rows+1)  // steps [hi, half] store high too (then lo = half+1)
	if hi > half {
		p.unpackForwardRange(dst, stride, rows, 1, lo, false)
		return
	}
	p.unpackForwardRange(dst, stride, rows, 1, hi, false)
	p.unpackForwardRange(dst, stride, rows, hi, half+1, true)
}

// unpackForwardRange runs the steps k0 ≤ k < k1 of unpackForward, two at
// a time in assembly and the odd one out in Go. high says whether the
// steps store bin m−k as well as bin k (which the caller checked is below
// rows); the Go step checks for itself.
func (p *pow2FFT) unpackForwardRange(dst []complex64, stride, rows, k0, k1 int, high bool) {
	if k1 <= k0 {
		return
	}
	k2 := k0 + (k1-k0)&^1
	if k2 > k0 {
		unpackForwardAVX2(dst, stride, p.z, p.post, k0, k2, high)
	}
	unpackForwardBins(p, dst, stride, rows, k2, k1)
}

// inverse is realFFT.inverse: inverseGo, through the AVX2 kernels when
// useAsm is set and n ≥ 16.
func (p *pow2FFT) inverse(acc []float64, src []complex64, stride int) {
	if !useAsm || p.m < minAsmM {
		p.inverseGo(acc, src, stride)
		return
	}
	m := p.m
	_ = src[m*stride]
	acc, win := acc[:2*m], p.syn[:2*m]
	packInverseEnds(p, src, stride)
	// Steps 1…m/2 in pairs (m/2 is even).
	packInverseAVX2(p.z, src, stride, p.post, p.rev, 1, m/2+1)
	if p.odd {
		firstPassOddAVX2(p.z)
	} else {
		firstPassEvenAVX2(p.z)
	}
	p.passesAsm()
	unpackInverseAVX2(acc, p.z, win)
}

// passesAsm is passes with the AVX2 radix-4 kernel.
func (p *pow2FFT) passesAsm() {
	for _, st := range p.stages {
		radix4AVX2(p.z, st.tw, st.h)
	}
}

// The kernels, in fft_amd64.s. Each computes what the Go function it names
// computes, with the same IEEE operations on the same operands in the same
// order, two complex128 values per YMM register, and no FMA, so the
// results are bit for bit those of the Go code.

// packEvenAVX2 is pack for even log2 m, m ≥ 8, src of float32.
//
//go:noescape
func packEvenAVX2(z []complex128, src []float32, win []float64, rev []int32)

// packOddAVX2 is pack for odd log2 m, m ≥ 8, src of float32.
//
//go:noescape
func packOddAVX2(z []complex128, src []float32, win []float64, rev []int32)

// radix4AVX2 runs the radix-4 stage of sub-transform length h (h ≥ 2, a
// power of two) and twiddles tw (len 3h+1) over all of z (len a multiple
// of 4h).
//
//go:noescape
func radix4AVX2(z []complex128, tw []complex128, h int)

// unpackForwardAVX2 runs unpackForwardBins's steps k0 ≤ k < k1 (1 ≤ k0,
// k1−k0 even, k1 ≤ m/2+1) into dst, storing bin k always and bin m−k if
// high, without bounds checks.
//
//go:noescape
func unpackForwardAVX2(dst []complex64, stride int, z, post []complex128, k0, k1 int, high bool)

// packInverseAVX2 runs packInverseBins's steps k0 ≤ k < k1 (1 ≤ k0,
// k1−k0 even, k1 ≤ m/2+1) from src, without bounds checks.
//
//go:noescape
func packInverseAVX2(z []complex128, src []complex64, stride int, post []complex128, rev []int32, k0, k1 int)

// firstPassEvenAVX2 is firstPass for even log2 m (len(z) a multiple of 4).
//
//go:noescape
func firstPassEvenAVX2(z []complex128)

// firstPassOddAVX2 is firstPass for odd log2 m (len(z) a multiple of 4).
//
//go:noescape
func firstPassOddAVX2(z []complex128)

// unpackInverseAVX2 is unpackInverse (len(acc) = len(win) = 2·len(z),
// len(z) even).
//
//go:noescape
func unpackInverseAVX2(acc []float64, z []complex128, win []float64)
