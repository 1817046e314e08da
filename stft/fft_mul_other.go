//go:build !amd64

package stft

// mul returns x·y for the power-of-two FFT's Go code. Where there is no
// assembly to match (see fft_mul_amd64.go) the compiler may fuse it with
// the sum it feeds into an FMA, as it does on arm64, which is faster.
func mul(x, y float64) float64 { return x * y }
