//go:build !amd64 || purego

package stft

// haveAsm reports whether this build has assembly kernels the CPU can run;
// useAsm selects them. Without assembly both are false.
const haveAsm = false

var useAsm = false

// forward is realFFT.forward, in Go (there is no assembly here).
func (p *pow2FFT) forward(dst []complex64, stride, rows int, src []float32) {
	p.forwardGo(dst, stride, rows, src)
}

// inverse is realFFT.inverse, in Go (there is no assembly here).
func (p *pow2FFT) inverse(acc []float64, src []complex64, stride int) {
	p.inverseGo(acc, src, stride)
}
