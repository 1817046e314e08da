//go:build amd64 && !purego

package transcribe

import (
	"math"

	"golang.org/x/sys/cpu"
)

// useAVX2 selects the assembly kernels (kernels_amd64.s); without AVX2 the
// Go kernels run. Tests switch it to compare the two.
var useAVX2 = cpu.X86.HasAVX2

//go:noescape
func powMagAVX2(pow, mag *float32, spec *complex64, stride, blocks int, scale float32)

//go:noescape
func rowSumAVX2(dst *[lanes]float32, src *float32, rows int)

//go:noescape
func bandDotsAVX2(dst, mag *float32, lo, off *int32, w *float32, nb int)

//go:noescape
func log1pRowsAVX2(dst *float32, stride int, src *float32, n int, mul float32, k *log1pConsts) bool

//go:noescape
func fluxAVX2(odf *[lanes]float32, logs *float32, stride, lag, nb int, weight *float32)

// powMag is powMagGo; the assembly takes whole blocks of 8 bins.
func powMag(pow, mag []float32, spec []complex64, stride, n int, scale float32) {
	if !useAVX2 || n%8 != 0 || n == 0 {
		powMagGo(pow, mag, spec, stride, n, scale)
		return
	}
	// The bounds the assembly relies on; slicing panics as Go's
	// indexing would.
	_ = pow[n*lanes-1]
	_ = mag[n*lanes-1]
	_ = spec[(lanes-1)*stride+n-1]
	if stride < n {
		panic("transcribe: powMag: stride shorter than the bins")
	}
	powMagAVX2(&pow[0], &mag[0], &spec[0], stride, n/8, scale)
}

// rowSum is rowSumGo.
func rowSum(dst *[lanes]float32, src []float32, a, b int) {
	if !useAVX2 || b <= a {
		rowSumGo(dst, src, a, b)
		return
	}
	s := src[a*lanes : b*lanes]
	rowSumAVX2(dst, &s[0], b-a)
}

// bandDots is bandDotsGo.
func bandDots(dst, mag []float32, lo, off []int32, w []float32) {
	nb := len(off) - 1
	if !useAVX2 || nb <= 0 {
		bandDotsGo(dst, mag, lo, off, w)
		return
	}
	_ = dst[nb*lanes-1]
	_ = lo[nb-1]
	rows := len(mag) / lanes
	for j := range nb {
		if off[j] < 0 || off[j] > off[j+1] || int(off[j+1]) > len(w) || lo[j] < 0 || int(lo[j])+int(off[j+1]-off[j]) > rows {
			panic("transcribe: bandDots: band out of range")
		}
	}
	bandDotsAVX2(&dst[0], &mag[0], &lo[0], &off[0], unsafeFirst(w), nb)
}

// unsafeFirst returns &w[0], or nil for an empty w (which the assembly
// then does not read).
func unsafeFirst(w []float32) *float32 {
	if len(w) == 0 {
		return nil
	}
	return &w[0]
}

// log1pConsts are log1p's constants, each broadcast to 4 lanes, in the
// order of the K_ offsets in kernels_amd64.s. They are the Go constants
// of log1p.go rounded by the Go compiler, so the assembly computes with
// the same values.
type log1pConsts [18][4]uint64

var log1pK = func() *log1pConsts {
	f := math.Float64bits
	vals := [...]uint64{
		f(1), f(0.5), f(math.Sqrt2), f(math.Ln2),
		f(1 << 52), f(1<<52 + 1023), 1<<52 - 1,
		f(1.0 / 3), f(1.0 / 5), f(1.0 / 7), f(1.0 / 9), f(1.0 / 11), f(1.0 / 13), f(1.0 / 15),
		f(1.0 / 4), f(float64(float32(1e-4))), f(math.MaxFloat32), 0,
	}
	var k log1pConsts
	for i, v := range vals {
		k[i] = [4]uint64{v, v, v, v}
	}
	return &k
}()

// log1pRows is log1pRowsGo. The assembly computes log1p's main and small
// paths for every lane; where a value is outside 0…MaxFloat32 (NaN, +Inf,
// a negative number) the Go kernel redoes the rows.
func log1pRows(dst []float32, stride int, src []float32, n int, mul float32) {
	if !useAVX2 || n <= 0 {
		log1pRowsGo(dst, stride, src, n, mul)
		return
	}
	_ = dst[(n-1)*stride+lanes-1]
	_ = src[n*lanes-1]
	if stride < lanes {
		panic("transcribe: log1pRows: stride shorter than the lanes")
	}
	if !log1pRowsAVX2(&dst[0], stride, &src[0], n, mul, log1pK) {
		log1pRowsGo(dst, stride, src, n, mul)
	}
}

// flux is fluxGo.
func flux(odf *[lanes]float32, logs []float32, stride, lag, nb int, weight []float32) {
	if !useAVX2 || nb <= 0 {
		fluxGo(odf, logs, stride, lag, nb, weight)
		return
	}
	_ = logs[(nb-1)*stride+lag+lanes-1]
	_ = weight[nb-1]
	if lag < 0 {
		panic("transcribe: flux: negative lag")
	}
	fluxAVX2(odf, &logs[0], stride, lag, nb, &weight[0])
}

//go:noescape
func mix2AVX2(dst, l, r *float32, n int, gain float32)

// mix2 is mix2Go.
func mix2(dst, l, r []float32, g float32) {
	n := len(dst) &^ 15
	if useAVX2 && n > 0 {
		_, _ = l[n-1], r[n-1]
		mix2AVX2(&dst[0], &l[0], &r[0], n, g)
	}
	mix2Go(dst[n:], l[n:], r[n:], g)
}
