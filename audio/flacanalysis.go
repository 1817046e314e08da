package audio

import (
	"math/bits"

	"github.com/mewkiz/flac/frame"
)

// FLAC subframe analysis. mewkiz/flac's own analysis tries every fixed order
// with every Rice parameter on an unpartitioned residual, which is slow and
// compresses poorly; this follows libFLAC's fixed-predictor path instead:
// pick the fixed order (0-4) with the smallest total |residual|, then the
// Rice partition order and per-partition parameters that minimise the
// estimated size, and fall back to a verbatim or constant subframe when
// those are smaller.

// flacMaxPartOrder bounds the Rice partition order searched (libFLAC's
// default maximum for the fixed-blocksize presets is 6 to 8).
const flacMaxPartOrder = 8

// subframeChoice is how to code one subframe, and its estimated size.
type subframeChoice struct {
	pred      frame.Pred
	order     int
	rice2     bool
	partOrder int
	params    []uint
	bits      int
}

// apply sets the coding fields of sf to c.
func (c *subframeChoice) apply(sf *frame.Subframe) {
	sf.Pred = c.pred
	sf.Order = 0
	sf.RiceSubframe = nil
	if c.pred != frame.PredFixed {
		return
	}
	sf.Order = c.order
	sf.ResidualCodingMethod = frame.ResidualCodingMethodRice1
	if c.rice2 {
		sf.ResidualCodingMethod = frame.ResidualCodingMethodRice2
	}
	parts := make([]frame.RicePartition, len(c.params))
	for i, k := range c.params {
		parts[i].Param = k
	}
	sf.RiceSubframe = &frame.RiceSubframe{PartOrder: c.partOrder, Partitions: parts}
}

// flacAnalyzer holds scratch space reused across subframes.
type flacAnalyzer struct {
	res  []uint32 // zigzag-folded residuals of the chosen order
	sums []uint64 // per-partition sums at the current partition order
}

// choose returns the cheapest coding of samples x at bps bits per sample
// (bps includes the extra bit of a side channel).
func (a *flacAnalyzer) choose(x []int32, bps int) subframeChoice {
	n := len(x)
	best := subframeChoice{pred: frame.PredVerbatim, bits: 6 + n*bps}
	if n == 0 {
		return best
	}
	constant := true
	for _, v := range x[1:] {
		if v != x[0] {
			constant = false
			break
		}
	}
	if constant {
		return subframeChoice{pred: frame.PredConstant, bits: 6 + bps}
	}
	// Sum of |residual| for each fixed order over the same span (from
	// sample 4), computed in one pass.
	var sum [5]uint64
	for i := 4; i < n; i++ {
		e0 := int64(x[i])
		e1 := e0 - int64(x[i-1])
		e2 := e1 - (int64(x[i-1]) - int64(x[i-2]))
		e3 := e2 - (int64(x[i-1]) - 2*int64(x[i-2]) + int64(x[i-3]))
		e4 := e3 - (int64(x[i-1]) - 3*int64(x[i-2]) + 3*int64(x[i-3]) - int64(x[i-4]))
		sum[0] += abs64(e0)
		sum[1] += abs64(e1)
		sum[2] += abs64(e2)
		sum[3] += abs64(e3)
		sum[4] += abs64(e4)
	}
	order := 0
	for o := 1; o < 5 && o < n; o++ {
		if sum[o] < sum[order] {
			order = o
		}
	}
	// Residuals of that order (what mewkiz/flac will compute and code).
	if cap(a.res) < n {
		a.res = make([]uint32, n)
	}
	res := a.res[:n-order]
	for i := order; i < n; i++ {
		var p int64
		switch order {
		case 1:
			p = int64(x[i-1])
		case 2:
			p = 2*int64(x[i-1]) - int64(x[i-2])
		case 3:
			p = 3*int64(x[i-1]) - 3*int64(x[i-2]) + int64(x[i-3])
		case 4:
			p = 4*int64(x[i-1]) - 6*int64(x[i-2]) + 4*int64(x[i-3]) - int64(x[i-4])
		}
		r := int32(int64(x[i]) - p)
		res[i-order] = uint32(r<<1) ^ uint32(r>>31)
	}
	// Partition orders: the block must split evenly, and the first
	// partition must hold more than the warm-up samples.
	maxP := 0
	for p := 1; p <= flacMaxPartOrder && n%(1<<p) == 0 && n>>p > order; p++ {
		maxP = p
	}
	// Sums at the largest order, merged pairwise for smaller ones.
	np := 1 << maxP
	if cap(a.sums) < np {
		a.sums = make([]uint64, np)
	}
	sums := a.sums[:np]
	size := n >> maxP
	for j := range sums {
		lo, hi := j*size-order, (j+1)*size-order
		if j == 0 {
			lo = 0
		}
		var s uint64
		for _, f := range res[lo:hi] {
			s += uint64(f)
		}
		sums[j] = s
	}
	warm := 6 + order*bps + 2
	for p := maxP; p >= 0; p-- {
		parts := 1 << p
		total := warm + 4
		params := make([]uint, parts)
		rice2 := false
		for j := 0; j < parts; j++ {
			count := n >> p
			if j == 0 {
				count -= order
			}
			k, b := riceParam(sums[j], count)
			params[j] = k
			total += b
			if k > 14 {
				rice2 = true
			}
		}
		if rice2 {
			total += parts * 5
		} else {
			total += parts * 4
		}
		if total < best.bits {
			best = subframeChoice{pred: frame.PredFixed, order: order, rice2: rice2, partOrder: p, params: params, bits: total}
		}
		if p > 0 {
			for j := 0; j < parts/2; j++ {
				sums[j] = sums[2*j] + sums[2*j+1]
			}
		}
	}
	return best
}

// riceParam returns the Rice parameter for count folded residuals summing
// to sum, and the estimated bits to code them (unary part estimated as
// sum>>k, binary part count·(k+1)).
func riceParam(sum uint64, count int) (uint, int) {
	if count <= 0 {
		return 0, 0
	}
	k := uint(0)
	if mean := sum / uint64(count); mean > 0 {
		k = uint(bits.Len64(mean) - 1)
	}
	best, bestBits := uint(0), int(^uint(0)>>1)
	for _, c := range []uint{k, k + 1} {
		if c > 30 {
			c = 30
		}
		b := count*int(c+1) + int(sum>>c)
		if b < bestBits {
			best, bestBits = c, b
		}
	}
	return best, bestBits
}

func abs64(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}
