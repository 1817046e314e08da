//go:build !amd64 || purego

package stft

// haveAsm reports whether this build has assembly kernels the CPU can run;
// useAsm selects them. Without assembly both are false.
const haveAsm = false

var useAsm = false

func (p *pow2FFT) forward(dst []complex64, stride, rows int, src []float32) {
	p.forwardGo(dst, stride, rows, src)
}

func (p *pow2FFT) inverse(acc []float64, src []complex64, stride int) {
	p.inverseGo(acc, src, stride)
}
