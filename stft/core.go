package stft

import (
	"fmt"
	"sync"
	"sync/atomic"
)

type jobKind int

const (
	forwardJob jobKind = iota
	inverseJob
)

// job describes one batched transform. Signals are numbered 0..nsig−1;
// signal s reads (forward) or writes (inverse) samples x[s·sigLen:] or
// y[s·sigLen:], or pair[s] when x / y is nil, and its spectrum is block s
// of cspec (rows×frames complex values, bin-major) or of fspec (a real
// plane then an imaginary plane, rows×frames each). rows < bins drops the
// top bins (forward) or reads them as zero (inverse).
type job struct {
	kind   jobKind
	nsig   int
	sigLen int
	frames int
	rows   int
	parts  int // units per signal; filled in by run

	x, y  []float32
	pair  [2][]float32
	cspec []complex64
	fspec []float32
}

// blockFrames is how many frames move between the bin-major spectrogram
// and a worker at once. Writing (or reading) one frame is a column of the
// [bins, T] layout, one value per cache line; a block of 16 frames fills
// whole 64-byte lines of a float32 plane (two of complex64) instead. On the
// MDX23C batch, frame by frame took 1.75× as long; 16 was ~5% faster than
// 8 and no slower than 32 or 64.
const blockFrames = 16

// scratch is one worker's memory; every field is sized at plan time.
type scratch struct {
	fft  realFFT
	edge []float32   // a reflect-padded frame at either end of the signal
	blk  []complex64 // [bins][blockFrames]: frames in transit to or from the spectrogram
	acc  []float64   // overlap-add accumulator of the inverse
}

// core is everything a Plan owns. The worker goroutines reference the core
// but not the Plan, so an unreachable Plan can be cleaned up.
type core struct {
	nfft, hop, bins, pad int

	window []float64 // periodic Hann
	synth  []float64 // window / n_fft: applies the inverse FFT's 1/n too
	wsq    []float64 // window²

	// The window envelope env(p) = Σ_t window²[p − t·hop] at position p of
	// the padded signal. Inside it is periodic in hop; near the ends frames
	// are missing and left/right hold the sums of the frames that exist.
	envPer   []float64 // env for p mod hop, interior
	envRecip []float64 // 1 / envPer (0 where envPer is 0)
	envMin   float64   // min of the interior env
	envLeft  []float64 // env(p) for p < n_fft−hop (no frames before 0)
	envRight []float64 // env((T−1)·hop + q) for q < n_fft (no frames after T−1)

	scratch []*scratch

	job  job
	next atomic.Int64
	wg   sync.WaitGroup
	wake chan struct{}
	once sync.Once
	done atomic.Bool
}

func newCore(nfft, hop, workers int) *core {
	c := &core{
		nfft:   nfft,
		hop:    hop,
		bins:   nfft/2 + 1,
		pad:    nfft / 2,
		window: HannPeriodic(make([]float64, nfft)),
		synth:  make([]float64, nfft),
		wsq:    make([]float64, nfft),
	}
	for m, w := range c.window {
		c.synth[m] = w / float64(nfft)
		c.wsq[m] = w * w
	}

	c.envPer = make([]float64, hop)
	c.envRecip = make([]float64, hop)
	c.envMin = -1
	for j := range c.envPer {
		var e float64
		for m := j; m < nfft; m += hop {
			e += c.wsq[m]
		}
		c.envPer[j] = e
		if c.envMin < 0 || e < c.envMin {
			c.envMin = e
		}
		if e > 0 {
			c.envRecip[j] = 1 / e
		}
	}
	c.envLeft = make([]float64, nfft-hop)
	for p := range c.envLeft {
		for m := p; m >= 0; m -= hop {
			c.envLeft[p] += c.wsq[m]
		}
	}
	c.envRight = make([]float64, nfft)
	for q := range c.envRight {
		for m := q; m < nfft; m += hop {
			c.envRight[q] += c.wsq[m]
		}
	}

	c.scratch = make([]*scratch, workers)
	for i := range c.scratch {
		c.scratch[i] = &scratch{
			fft:  newRealFFT(c.window, c.synth),
			edge: make([]float32, nfft),
			blk:  make([]complex64, c.bins*blockFrames),
			acc:  make([]float64, 4*nfft),
		}
	}
	if workers > 1 {
		c.wake = make(chan struct{}, workers-1)
		for _, s := range c.scratch[1:] {
			go c.helper(s)
		}
	}
	return c
}

func (c *core) stop() {
	c.once.Do(func() {
		c.done.Store(true)
		if c.wake != nil {
			close(c.wake)
		}
	})
}

func (c *core) frames(n int) int {
	if n <= c.pad {
		return 0
	}
	return 1 + (n+2*c.pad-c.nfft)/c.hop
}

func (c *core) inverseLen(frames int) int {
	if frames < 1 {
		return 0
	}
	return (frames-1)*c.hop + c.nfft - 2*c.pad
}

// envelope returns env(p) for T frames (see core).
func (c *core) envelope(p, frames int) float64 {
	hop, nfft := c.hop, c.nfft
	if p < 0 || p >= (frames-1)*hop+nfft {
		return 0
	}
	low := p < nfft-hop     // a frame before the first would reach p
	high := p >= frames*hop // a frame after the last would reach p
	switch {
	case !low && !high:
		return c.envPer[p%hop]
	case low && !high:
		return c.envLeft[p]
	case !low && high:
		return c.envRight[p-(frames-1)*hop]
	}
	var e float64
	for t := min(frames-1, p/hop); t >= 0 && p-t*hop < nfft; t-- {
		e += c.wsq[p-t*hop]
	}
	return e
}

// checkNOLA reports ErrNOLA when the envelope is below torch's threshold
// somewhere in the n output samples of T frames (those past the last frame
// are zeros and need no envelope).
func (c *core) checkNOLA(frames, n int) error {
	p0 := c.pad
	p1 := min(c.pad+n, (frames-1)*c.hop+c.nfft)
	if p0 >= p1 {
		return nil
	}
	lo, hi := max(p0, c.nfft-c.hop), min(p1, frames*c.hop)
	if hi-lo >= c.hop {
		if c.envMin < nolaMin {
			return c.nolaError(frames)
		}
	} else {
		for p := lo; p < hi; p++ {
			if c.envelope(p, frames) < nolaMin {
				return c.nolaError(frames)
			}
		}
	}
	for p := p0; p < min(p1, lo); p++ {
		if c.envelope(p, frames) < nolaMin {
			return c.nolaError(frames)
		}
	}
	for p := max(p0, hi); p < p1; p++ {
		if c.envelope(p, frames) < nolaMin {
			return c.nolaError(frames)
		}
	}
	return nil
}

func (c *core) nolaError(frames int) error {
	return fmt.Errorf("n_fft %d, hop %d, %d frames: %w", c.nfft, c.hop, frames, ErrNOLA)
}

// run executes c.job on the calling goroutine and the helpers.
func (c *core) run(j job) error {
	if c.done.Load() {
		return ErrClosed
	}
	workers := len(c.scratch)
	j.parts = 1
	if workers > 1 {
		// Cut signals into parts when there are too few of them to keep
		// the workers busy to the end (on a shared machine some workers
		// finish late). Parts stay long enough that cutting costs little:
		// the inverse recomputes the frames that straddle a cut.
		var want, most int
		if j.kind == forwardJob {
			want, most = 4*workers, j.frames/8
		} else {
			want, most = 2*workers, j.sigLen/(8*c.nfft)
		}
		if j.nsig < want {
			j.parts = max(1, min((want+j.nsig-1)/j.nsig, most))
		}
	}
	c.job = j
	units := j.nsig * j.parts
	helpers := min(workers-1, units-1)
	c.next.Store(0)
	c.wg.Add(helpers)
	for range helpers {
		c.wake <- struct{}{}
	}
	c.work(c.scratch[0])
	c.wg.Wait()
	return nil
}

func (c *core) helper(s *scratch) {
	for range c.wake {
		c.work(s)
		c.wg.Done()
	}
}

// work runs units of c.job until none is left. Unit u is part u%parts of
// signal u/parts: a range of frames (forward) or of output samples (inverse).
func (c *core) work(s *scratch) {
	j := &c.job
	units := int64(j.nsig * j.parts)
	for {
		u := int(c.next.Add(1) - 1)
		if u >= int(units) {
			return
		}
		sig, part := u/j.parts, u%j.parts
		switch j.kind {
		case forwardJob:
			t0 := j.frames * part / j.parts
			t1 := j.frames * (part + 1) / j.parts
			c.forward(s, sig, t0, t1)
		case inverseJob:
			o0 := j.sigLen * part / j.parts
			o1 := j.sigLen * (part + 1) / j.parts
			c.inverse(s, sig, o0, o1)
		}
	}
}

func (j *job) input(sig int) []float32 {
	if j.x == nil {
		return j.pair[sig]
	}
	return j.x[sig*j.sigLen : (sig+1)*j.sigLen]
}

func (j *job) output(sig int) []float32 {
	if j.y == nil {
		return j.pair[sig]
	}
	return j.y[sig*j.sigLen : (sig+1)*j.sigLen]
}

// forward transforms frames t0..t1−1 of signal sig.
func (c *core) forward(s *scratch, sig, t0, t1 int) {
	j := &c.job
	x := j.input(sig)
	n := len(x)
	nfft, hop, pad, rows := c.nfft, c.hop, c.pad, j.rows
	for b0 := t0; b0 < t1; b0 += blockFrames {
		nb := min(blockFrames, t1-b0)
		for b := range nb {
			start := (b0+b)*hop - pad
			var seg []float32
			if start >= 0 && start+nfft <= n {
				seg = x[start : start+nfft]
			} else {
				// Reflect without repeating the edge sample; one reflection
				// suffices because pad < n.
				seg = s.edge[:nfft]
				for m := range seg {
					i := start + m
					if i < 0 {
						i = -i
					} else if i >= n {
						i = 2*(n-1) - i
					}
					seg[m] = x[i]
				}
			}
			s.fft.forward(s.blk[b:], blockFrames, rows, seg)
		}
		c.storeBlock(s.blk, sig, b0, nb)
	}
}

// storeBlock writes frames t0..t0+nb−1 of signal sig from blk ([rows][blockFrames]).
func (c *core) storeBlock(blk []complex64, sig, t0, nb int) {
	j := &c.job
	rows, frames := j.rows, j.frames
	if j.cspec != nil {
		out := j.cspec[sig*rows*frames : (sig+1)*rows*frames]
		for k := range rows {
			copy(out[k*frames+t0:k*frames+t0+nb], blk[k*blockFrames:k*blockFrames+nb])
		}
		return
	}
	re := j.fspec[2*sig*rows*frames : (2*sig+1)*rows*frames]
	im := j.fspec[(2*sig+1)*rows*frames : (2*sig+2)*rows*frames]
	for k := range rows {
		r := re[k*frames+t0 : k*frames+t0+nb]
		i := im[k*frames+t0 : k*frames+t0+nb]
		for b, v := range blk[k*blockFrames : k*blockFrames+nb] {
			r[b] = real(v)
			i[b] = imag(v)
		}
	}
}

// loadBlock reads frames t0..t0+nb−1 of signal sig into blk ([bins][blockFrames]),
// zero-filling bins ≥ j.rows.
func (c *core) loadBlock(blk []complex64, sig, t0, nb int) {
	j := &c.job
	rows, frames := j.rows, j.frames
	clear(blk[rows*blockFrames:])
	if j.cspec != nil {
		in := j.cspec[sig*rows*frames : (sig+1)*rows*frames]
		for k := range rows {
			copy(blk[k*blockFrames:k*blockFrames+nb], in[k*frames+t0:k*frames+t0+nb])
		}
		return
	}
	re := j.fspec[2*sig*rows*frames : (2*sig+1)*rows*frames]
	im := j.fspec[(2*sig+1)*rows*frames : (2*sig+2)*rows*frames]
	for k := range rows {
		r := re[k*frames+t0 : k*frames+t0+nb]
		i := im[k*frames+t0 : k*frames+t0+nb]
		dst := blk[k*blockFrames : k*blockFrames+nb]
		for b := range dst {
			dst[b] = complex(r[b], i[b])
		}
	}
}

// inverse writes output samples o0..o1−1 of signal sig, overlap-adding
// every frame that reaches them through the accumulator: after frame t is
// added, the positions before the start of frame t+1 are final.
func (c *core) inverse(s *scratch, sig, o0, o1 int) {
	j := &c.job
	nfft, hop, pad, frames := c.nfft, c.hop, c.pad, j.frames
	y := j.output(sig)
	p0, p1 := o0+pad, o1+pad // positions in the padded signal
	end := (frames-1)*hop + nfft
	if p1 > end {
		// torch pads a length past the last frame with zeros.
		clear(y[max(p0, end)-pad : p1-pad])
		p1 = end
	}
	if p0 >= p1 {
		return
	}
	tA := max(0, floorDiv(p0-nfft, hop)+1)
	tB := min(frames-1, (p1-1)/hop)
	acc := s.acc
	clear(acc)
	base := tA * hop
	blk0 := tA // first frame held in s.blk
	for t := tA; t <= tB; t++ {
		off := t*hop - base
		if off+nfft > len(acc) {
			c.emit(y, acc, base, max(p0, base), min(p1, t*hop), frames)
			copy(acc, acc[off:off+nfft-hop])
			clear(acc[nfft-hop:])
			base, off = t*hop, 0
		}
		if (t-tA)%blockFrames == 0 {
			blk0 = t
			c.loadBlock(s.blk, sig, t, min(blockFrames, tB+1-t))
		}
		s.fft.inverse(acc[off:off+nfft], s.blk[t-blk0:], blockFrames)
	}
	c.emit(y, acc, base, max(p0, base), p1, frames)
}

// emit divides the accumulated positions a..b−1 (acc[0] is position base)
// by the window envelope and stores them in y (y[0] is position pad).
func (c *core) emit(y []float32, acc []float64, base, a, b, frames int) {
	if a >= b {
		return
	}
	pad, hop := c.pad, c.hop
	lo, hi := max(a, c.nfft-hop), min(b, frames*hop)
	p := a
	for ; p < min(b, lo); p++ {
		y[p-pad] = float32(acc[p-base] / c.envelope(p, frames))
	}
	if lo < hi {
		recip := c.envRecip
		out := y[lo-pad : hi-pad]
		in := acc[lo-base : hi-base]
		r := lo % hop
		for i, v := range in {
			out[i] = float32(v * recip[r])
			r++
			if r == hop {
				r = 0
			}
		}
		p = hi
	}
	for ; p < b; p++ {
		y[p-pad] = float32(acc[p-base] / c.envelope(p, frames))
	}
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
