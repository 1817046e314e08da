//go:build !amd64 || purego

package transcribe

func powMag(pow, mag []float32, spec []complex64, stride, n int, scale float32) {
	powMagGo(pow, mag, spec, stride, n, scale)
}

func rowSum(dst *[lanes]float32, src []float32, a, b int) { rowSumGo(dst, src, a, b) }

func bandDots(dst, mag []float32, lo, off []int32, w []float32) { bandDotsGo(dst, mag, lo, off, w) }

func log1pRows(dst []float32, stride int, src []float32, n int, mul float32) {
	log1pRowsGo(dst, stride, src, n, mul)
}

func flux(odf *[lanes]float32, logs []float32, stride, lag, nb int, weight []float32) {
	fluxGo(odf, logs, stride, lag, nb, weight)
}

// useAVX2 is false: there is no assembly here (kernels_test.go compares
// the kernels with their Go versions on every platform).
var useAVX2 = false

func mix2(dst, l, r []float32, g float32) { mix2Go(dst, l, r, g) }
