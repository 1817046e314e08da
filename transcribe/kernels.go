package transcribe

import "math"

// The analysis runs on lanes frames at once, band-major: every value of a
// frame is computed as analyzing that frame alone would (the same
// operations on the same operands, sums in the same order), but the
// lanes frames' sums are independent, so a CPU runs them side by side
// (SIMD lanes in the amd64 assembly, instruction-level parallelism in the
// Go code) instead of waiting on one chain of additions per band.
//
// Layouts: a bin-major array holds bin b of lane l at [b*lanes+l]; a
// band-major one band j of lane l at [j*lanes+l] (or [j*stride+l]).
//
// The Go kernels below are the reference: every product is rounded
// explicitly (float32(x*y)) so that no compiler fuses a multiply and an
// add (Go may on arm64, ppc64, s390x and amd64 with GOAMD64=v3), and the
// assembly, which never fuses, is equal to them bit for bit on every
// input (kernels_test.go).
const lanes = 16

// powMagGo stores the power and magnitude of bins 0…n−1 of lanes spectra
// (lane l's bin b at spec[l*stride+b], scaled by scale) bin-major in pow
// and mag: p = (re·scale)² + (im·scale)², m = √p rounded once to float32
// (float32(math.Sqrt(float64(p))) is the correctly rounded √p: a float64
// has more than twice float32's precision plus two bits).
func powMagGo(pow, mag []float32, spec []complex64, stride, n int, scale float32) {
	for l := range lanes {
		s := spec[l*stride : l*stride+n]
		for b, c := range s {
			re, im := float32(real(c)*scale), float32(imag(c)*scale)
			p := float32(re*re) + float32(im*im)
			pow[b*lanes+l] = p
			mag[b*lanes+l] = float32(math.Sqrt(float64(p)))
		}
	}
}

// rowSumGo stores in dst the sums of rows a…b−1 of the bin-major src, each
// lane's sum taken in row order from 0.
func rowSumGo(dst *[lanes]float32, src []float32, a, b int) {
	var acc [lanes]float32
	for r := a; r < b; r++ {
		row := (*[lanes]float32)(src[r*lanes:])
		for l := range acc {
			acc[l] += row[l]
		}
	}
	*dst = acc
}

// bandDotsGo stores in dst (band-major) the filterbank bands of the
// bin-major mag: band j is Σ_k w[off[j]+k]·mag[lo[j]+k] over its
// off[j+1]−off[j] bins, summed in bin order from 0.
func bandDotsGo(dst, mag []float32, lo, off []int32, w []float32) {
	for j := range len(off) - 1 {
		var acc [lanes]float32
		m := mag[int(lo[j])*lanes:]
		for _, wk := range w[off[j]:off[j+1]] {
			row := (*[lanes]float32)(m)
			for l := range acc {
				acc[l] += float32(wk * row[l])
			}
			m = m[lanes:]
		}
		*(*[lanes]float32)(dst[j*lanes:]) = acc
	}
}

// log1pRowsGo stores log1p(src·mul) of n band-major rows of src in dst,
// row j at dst[j*stride:].
func log1pRowsGo(dst []float32, stride int, src []float32, n int, mul float32) {
	for j := range n {
		d := (*[lanes]float32)(dst[j*stride:])
		for l, v := range (*[lanes]float32)(src[j*lanes:]) {
			d[l] = log1p(float32(v * mul))
		}
	}
}

// fluxGo stores in odf the SuperFlux of lanes frames from their log band
// values: lane l of band j of a frame at logs[j*stride+lag+l], of its
// reference frame (lag frames back) at logs[j*stride+l]. A frame's flux is
// the sum over bands, in band order, in float64, of the weighted rise of
// the band over the largest of the reference's band and its two
// neighbours.
func fluxGo(odf *[lanes]float32, logs []float32, stride, lag, nb int, weight []float32) {
	var fl [lanes]float64
	for j := range nb {
		prev := (*[lanes]float32)(logs[j*stride:])
		cur := (*[lanes]float32)(logs[j*stride+lag:])
		var below, above *[lanes]float32
		if j > 0 {
			below = (*[lanes]float32)(logs[(j-1)*stride:])
		}
		if j+1 < nb {
			above = (*[lanes]float32)(logs[(j+1)*stride:])
		}
		w := weight[j]
		for l := range fl {
			m := prev[l]
			if below != nil && below[l] > m {
				m = below[l]
			}
			if above != nil && above[l] > m {
				m = above[l]
			}
			if dv := cur[l] - m; dv > 0 {
				fl[l] += float64(float32(dv * w))
			}
		}
	}
	for l, v := range fl {
		odf[l] = float32(v)
	}
}

// mix2Go stores l[i]·g + r[i]·g in dst[i]: the mix of a stereo stem.
func mix2Go(dst, l, r []float32, g float32) {
	l, r = l[:len(dst)], r[:len(dst)]
	for i := range dst {
		dst[i] = float32(l[i]*g) + float32(r[i]*g)
	}
}
