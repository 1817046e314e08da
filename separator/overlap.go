package separator

import (
	"errors"
	"fmt"
	"io"
	"math"
)

// This file holds the arithmetic of chunking and overlap-add, free of any
// model or device: the geometry of both modes, MSST's window, the chunker that
// turns a stream into padded chunks, and the accumulator that turns chunk
// outputs back into a stream of finished samples.
//
// Both work in "padded coordinates": index 0 is the first sample of the track
// after the mode's front padding (MSST: reflect padding by border, when it
// applies; UVR: chunk−hop zeros). Output is the padded range
// [keepLo, keepLo+L).

// geometry fixes the chunking of one separation.
type geometry struct {
	mode    Mode
	chunk   int // C: samples per chunk
	overlap int // N
	step    int // C // N: distance between chunk starts (UVR's hop)
	fade    int // MSST: C // 10, length of each linear fade
	border  int // C − step: MSST's reflect padding / UVR's front zeros
}

func newGeometry(mode Mode, chunk, overlap int) (geometry, error) {
	if overlap < 1 {
		return geometry{}, fmt.Errorf("overlap %d: must be at least 1", overlap)
	}
	if overlap > chunk {
		return geometry{}, fmt.Errorf("overlap %d: larger than the chunk of %d samples", overlap, chunk)
	}
	g := geometry{mode: mode, chunk: chunk, overlap: overlap, step: chunk / overlap, fade: chunk / 10}
	g.border = chunk - g.step
	switch mode {
	case ModeMSST:
		// MSST builds its window with torch.linspace(…, C//10); a zero-length
		// fade makes its `window[-0:] = fadeout` assignment fail, so chunks
		// under 10 samples do not exist there either.
		if g.fade < 1 {
			return geometry{}, fmt.Errorf("chunk of %d samples: MSST mode needs at least 10", chunk)
		}
	case ModeUVR:
		if chunk < 1 {
			return geometry{}, fmt.Errorf("chunk of %d samples: must be positive", chunk)
		}
	default:
		return geometry{}, fmt.Errorf("unknown mode %q", mode)
	}
	return g, nil
}

// pyMod is Python's floor modulo: the result has the sign of m. UVR's tail
// padding formula depends on it (Go's % truncates toward zero).
func pyMod(a, m int64) int64 {
	r := a % m
	if r < 0 {
		r += m
	}
	return r
}

// msstPad returns the reflect padding MSST applies to a track of length l.
func (g geometry) msstPad(l int64) int64 {
	if l > 2*int64(g.border) && g.border > 0 {
		return int64(g.border)
	}
	return 0
}

// uvrTail returns UVR's pad_size for a track of length l:
// hop − ((l − chunk) mod hop), with Python's modulo.
func (g geometry) uvrTail(l int64) int64 {
	h := int64(g.step)
	return h - pyMod(l-int64(g.chunk), h)
}

// chunkCount returns how many chunks a track of length l needs (0 for an
// empty track: nothing is run for it).
func (g geometry) chunkCount(l int64) int64 {
	if l <= 0 {
		return 0
	}
	c, h := int64(g.chunk), int64(g.step)
	if g.mode == ModeUVR {
		p := l + g.uvrTail(l) + 2*int64(g.border)
		return (p-c)/h + 1
	}
	lp := l + 2*g.msstPad(l)
	return (lp + h - 1) / h
}

// linspace returns n float32 values from start to end as torch.linspace
// computes them on the CPU in scalar code: a float32 step, the first half
// counted up from start, the second half counted down from end, so both ends
// are exact. (torch's vectorised loop forms some middle values as
// base + k·step instead, which can differ in the last bit; the ends, and so
// the zero weights MSST's nan_to_num catches, are exact either way.)
func linspace(start, end float32, n int) []float32 {
	v := make([]float32, n)
	if n == 1 {
		v[0] = start
	}
	if n <= 1 {
		return v
	}
	step := (end - start) / float32(n-1)
	half := n / 2
	for i := range v {
		if i < half {
			v[i] = start + step*float32(i)
		} else {
			v[i] = end - step*float32(n-i-1)
		}
	}
	return v
}

// msstWindows holds MSST's window and its two edge variants.
type msstWindows struct {
	mid   []float32 // linear fade-in and fade-out
	first []float32 // the chunk at padded index 0: no fade-in
	last  []float32 // the last chunk (and not the first): no fade-out
}

func newMSSTWindows(chunk, fade int) msstWindows {
	w := make([]float32, chunk)
	for i := range w {
		w[i] = 1
	}
	// Same order as MSST: fade-out first, then fade-in over it.
	copy(w[chunk-fade:], linspace(1, 0, fade))
	copy(w[:fade], linspace(0, 1, fade))
	first := append([]float32(nil), w...)
	for i := 0; i < fade; i++ {
		first[i] = 1
	}
	last := append([]float32(nil), w...)
	for i := chunk - fade; i < chunk; i++ {
		last[i] = 1
	}
	return msstWindows{mid: w, first: first, last: last}
}

// pick returns the window of one chunk. MSST decides per batch
// (`if i − step == 0 … elif i ≥ Lp`); deciding per chunk with the same
// if/elif gives the same numbers at batch 1 and makes every batch size agree.
func (w msstWindows) pick(c chunkInfo) []float32 {
	switch {
	case c.first:
		return w.first
	case c.last:
		return w.last
	}
	return w.mid
}

// chunkInfo describes one chunk on its way through the pipeline.
type chunkInfo struct {
	start  int64 // padded index of the chunk's first sample
	length int   // samples taken from the track; the rest is padding
	first  bool  // MSST: the chunk starting at padded index 0
	last   bool  // MSST: the chunk with start+step ≥ Lp
	// final: once this chunk is added, every padded sample before final is
	// complete (no later chunk touches it).
	final int64
	// keepHi: end of the output range in padded coordinates, or -1 while the
	// track's length is not known yet.
	keepHi int64
	keepLo int64
}

// rows is a sliding window over several equally long signals in padded
// coordinates: r[i][head+k] is sample off+k of row i. Dropping samples only
// moves head. Samples are added within the capacity the rows were made with:
// once full, the live part is first moved down to the front, and only if it
// still does not fit do the rows grow (append's growth, so memory stays
// bounded by about twice the largest span ever live). Made with the room
// its use needs, a window allocates once: no garbage per chunk, which would
// only raise the heap the GC lets grow.
type rows struct {
	off  int64
	head int
	r    [][]float32
}

// newRows returns n empty rows with room for capacity samples each, taken in
// one allocation.
func newRows(n, capacity int) rows {
	r := make([][]float32, n)
	if capacity > 0 {
		buf := make([]float32, n*capacity)
		for i := range r {
			r[i] = buf[i*capacity : i*capacity : (i+1)*capacity]
		}
	}
	return rows{r: r}
}

// room moves the live samples to the front when n more would not fit in
// the rows' capacity (rows may differ in length by the samples push added
// to some of them).
func (w *rows) room(n int) {
	if w.head == 0 || len(w.r[0])+n <= cap(w.r[0]) {
		return
	}
	for i := range w.r {
		w.r[i] = w.r[i][:copy(w.r[i], w.r[i][w.head:])]
	}
	w.head = 0
}

func (w *rows) end() int64 { return w.off + int64(len(w.r[0])-w.head) }

// span returns row i over padded indices [from, to), which must be live.
func (w *rows) span(i int, from, to int64) []float32 {
	return w.r[i][w.head+int(from-w.off) : w.head+int(to-w.off)]
}

// at returns sample p of row i.
func (w *rows) at(i int, p int64) float32 { return w.r[i][w.head+int(p-w.off)] }

// push appends one sample to row i (rows must be kept equally long). It
// never moves the live samples: callers read the rows while pushing.
func (w *rows) push(i int, v float32) { w.r[i] = append(w.r[i], v) }

// appendFrames appends src[i][:n] to each row i.
func (w *rows) appendFrames(src [][]float32, n int) {
	w.room(n)
	for i := range w.r {
		w.r[i] = append(w.r[i], src[i][:n]...)
	}
}

// extend appends zeros until the window reaches padded index to.
func (w *rows) extend(to int64) {
	n := to - w.end()
	if n <= 0 {
		return
	}
	w.room(int(n))
	for i, r := range w.r {
		l := len(r)
		if cap(r)-l >= int(n) {
			r = r[:l+int(n)]
			clear(r[l:])
		} else {
			r = append(r, make([]float32, n)...)
		}
		w.r[i] = r
	}
}

// discard drops the samples before upTo; with upTo past the end, the
// window becomes empty and starts at upTo.
func (w *rows) discard(upTo int64) {
	if upTo <= w.off {
		return
	}
	live := len(w.r[0]) - w.head
	d := upTo - w.off
	if d >= int64(live) {
		for i := range w.r {
			w.r[i] = w.r[i][:0]
		}
		w.head, w.off = 0, upTo
		return
	}
	w.head += int(d)
	w.off = upTo
}

// chunker cuts a stream into the chunks of one mode, reading only as far
// ahead as the next chunk needs. The track's length need not be known in
// advance: the decisions that depend on it (MSST's padding, which chunk is
// the last, UVR's tail) are made by reading far enough ahead to see them.
type chunker struct {
	g      geometry
	src    Source
	block  [][]float32 // read buffer
	buf    rows        // the padded signal from the next chunk's start on (2 rows)
	eof    bool        // the source returned io.EOF
	length int64       // frames read so far; the track's length once eof
	pad    int64       // MSST reflect pad, or UVR front zeros
	padEnd int64       // padded length (MSST's Lp, UVR's P) once eof
	next   int64       // padded start of the next chunk
	k      int64       // UVR: index of the next chunk
	count  int64       // UVR: number of chunks once eof
	begun  bool
	done   bool
}

// readBlock frames are read from the source at a time.
const readBlock = 16384

func newChunker(g geometry, src Source) *chunker {
	// The window's largest span: at the start, MSST's left reflection and
	// the 2·border+1 samples read to decide on it, one block over; later a
	// chunk from the next one's start, the samples kept for the right
	// reflection and that reflection, again up to a block over.
	span := max(3*g.border, g.chunk+g.border+1) + readBlock
	return &chunker{
		g: g, src: src, buf: newRows(2, span),
		block: [][]float32{make([]float32, readBlock), make([]float32, readBlock)},
	}
}

// read pulls one block from the source into c.block and returns its frame
// count; it sets c.eof at the end of the stream.
func (c *chunker) read() (int, error) {
	for tries := 0; ; tries++ {
		n, err := c.src.Read(c.block)
		if n < 0 || n > readBlock {
			return 0, fmt.Errorf("reading input: source returned %d frames for a %d-frame buffer", n, readBlock)
		}
		c.length += int64(n)
		if errors.Is(err, io.EOF) {
			c.eof = true
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("reading input: %w", err)
		}
		if n > 0 {
			return n, nil
		}
		if tries >= 100 {
			return 0, fmt.Errorf("reading input: %w", io.ErrNoProgress)
		}
	}
}

// begin reads what the padding decision needs and lays down the front pad.
func (c *chunker) begin() error {
	c.begun = true
	if c.g.mode == ModeUVR {
		c.pad = int64(c.g.border)
		c.buf.extend(c.pad)
		return nil
	}
	// MSST pads only tracks longer than 2·border: read that far (or to the
	// end) before deciding. The samples wait in a staging window because the
	// left reflection comes first.
	need := 2*int64(c.g.border) + 1
	stage := newRows(2, int(need)+readBlock)
	for !c.eof && stage.end() < need {
		n, err := c.read()
		if err != nil {
			return err
		}
		stage.appendFrames(c.block, n)
	}
	c.pad = c.g.msstPad(stage.end())
	// Left reflection without edge repeat: x[pad], x[pad−1], …, x[1].
	for ch := 0; ch < 2; ch++ {
		for j := int64(0); j < c.pad; j++ {
			c.buf.push(ch, stage.at(ch, c.pad-j))
		}
	}
	c.buf.appendFrames(stage.r, len(stage.r[0]))
	if c.eof {
		c.finish()
	}
	return nil
}

// finish records the end of the track: MSST appends the right reflection
// (x[L−2], x[L−3], …, x[L−1−pad]); UVR fixes its tail and chunk count.
func (c *chunker) finish() {
	l := c.length
	if c.g.mode == ModeUVR {
		c.padEnd = l + c.g.uvrTail(l) + 2*int64(c.g.border)
		c.count = (c.padEnd-int64(c.g.chunk))/int64(c.g.step) + 1
		return
	}
	c.buf.room(int(c.pad))
	for ch := 0; ch < 2; ch++ {
		for k := int64(0); k < c.pad; k++ {
			c.buf.push(ch, c.buf.at(ch, c.pad+l-2-k))
		}
	}
	c.padEnd = c.buf.end()
}

// fill reads until the buffer reaches padded index want or the stream ends.
func (c *chunker) fill(want int64) error {
	for !c.eof && c.buf.end() < want {
		n, err := c.read()
		if err != nil {
			return err
		}
		c.buf.appendFrames(c.block, n)
		if c.eof {
			c.finish()
		}
	}
	return nil
}

// nextChunk writes the next chunk into dst[0][:C] and dst[1][:C]. ok is
// false once every chunk has been produced.
func (c *chunker) nextChunk(dst [2][]float32) (info chunkInfo, ok bool, err error) {
	if c.done {
		return info, false, nil
	}
	if !c.begun {
		if err := c.begin(); err != nil {
			return info, false, err
		}
	}
	if c.g.mode == ModeUVR {
		return c.nextUVR(dst)
	}
	return c.nextMSST(dst)
}

func (c *chunker) nextMSST(dst [2][]float32) (chunkInfo, bool, error) {
	C, step := int64(c.g.chunk), int64(c.g.step)
	i := c.next
	// One sample past the chunk tells whether the track ends inside it, and
	// so whether this is the last chunk.
	if err := c.fill(i + C + 1); err != nil {
		return chunkInfo{}, false, err
	}
	if c.eof && i >= c.padEnd { // only for an empty track
		c.done = true
		return chunkInfo{}, false, nil
	}
	n := min(C, c.buf.end()-i)
	for ch := 0; ch < 2; ch++ {
		d := dst[ch][:C]
		copy(d, c.buf.span(ch, i, i+n))
		if n > C/2 {
			// torch's reflect pad of the part itself: part[n−2], part[n−3], …
			// (n > C/2 keeps the pad shorter than the part, as torch needs).
			for k := n; k < C; k++ {
				d[k] = d[2*n-2-k]
			}
		} else {
			clear(d[n:])
		}
	}
	info := chunkInfo{start: i, length: int(n), first: i == 0, keepLo: c.pad, keepHi: -1, final: i + step}
	if c.eof {
		info.keepHi = c.pad + c.length
		if i+step >= c.padEnd {
			info.last = true
			info.final = c.padEnd
			c.done = true
		}
	}
	c.next = i + step
	// Until the end is known keep the last pad+1 frames: the right
	// reflection is built from them.
	keep := c.next
	if !c.eof {
		keep = min(keep, c.buf.end()-c.pad-1)
	}
	c.buf.discard(keep)
	return info, true, nil
}

func (c *chunker) nextUVR(dst [2][]float32) (chunkInfo, bool, error) {
	C, h := int64(c.g.chunk), int64(c.g.step)
	start := c.k * h
	if err := c.fill(start + C); err != nil {
		return chunkInfo{}, false, err
	}
	if c.eof && (c.length == 0 || c.k >= c.count) {
		// An empty track has no output, so its zero chunks are not run.
		c.done = true
		return chunkInfo{}, false, nil
	}
	// Past the data lies UVR's zero tail.
	avail := max(0, min(C, c.buf.end()-start))
	for ch := 0; ch < 2; ch++ {
		d := dst[ch][:C]
		if avail > 0 {
			copy(d, c.buf.span(ch, start, start+avail))
		}
		clear(d[avail:])
	}
	info := chunkInfo{start: start, length: c.g.chunk, keepLo: c.pad, keepHi: -1, final: start + h}
	if c.eof {
		info.keepHi = c.pad + c.length
		if c.k == c.count-1 {
			info.final = c.padEnd
			c.done = true
		}
	}
	c.k++
	c.buf.discard(c.k * h)
	return info, true, nil
}

// accumulator sums chunk outputs in chunk order, as the reference runners
// do (float32 adds, one chunk after the other), and hands every sample to the
// sink as soon as no later chunk can change it.
type accumulator struct {
	g       geometry
	stems   int
	win     msstWindows
	acc     rows // rows s*2+ch: Σ out·w (MSST) or Σ out (UVR); row 2S: Σ w, or the number of chunks (UVR)
	emitted int64
	started bool
	scratch [][][]float32 // [S][2][] staging for the sink
	sink    Sink
	written int64 // frames handed to the sink
}

func newAccumulator(g geometry, stems int, sink Sink) *accumulator {
	a := &accumulator{g: g, stems: stems, sink: sink}
	if g.mode == ModeMSST {
		a.win = newMSSTWindows(g.chunk, g.fade)
	}
	// Live: from the end of what is complete to the end of the chunk added
	// last, at most a chunk; a step more of room moves it down at most once
	// per chunk or two.
	a.acc = newRows(2*stems+1, g.chunk+g.step)
	// The sink gets at most a step at a time (the last chunk completes up
	// to a chunk), so the staging is one step, allocated once.
	buf := make([]float32, stems*2*g.step)
	a.scratch = make([][][]float32, stems)
	for s := range a.scratch {
		l, m, h := 2*s*g.step, (2*s+1)*g.step, (2*s+2)*g.step
		a.scratch[s] = [][]float32{buf[l:m:m], buf[m:h:h]}
	}
	return a
}

// add accumulates one chunk's output, out = [S][2][C] row-major, and writes
// what it completed.
func (a *accumulator) add(c chunkInfo, out []float32) error {
	if !a.started {
		a.started = true
		a.acc.discard(c.start)
		a.emitted = c.keepLo
	}
	C, n := a.g.chunk, c.length
	lo, hi := c.start, c.start+int64(n)
	a.acc.extend(hi)
	if a.g.mode == ModeMSST {
		w := a.win.pick(c)[:n]
		for row := 0; row < 2*a.stems; row++ {
			o := out[row*C:][:n]
			r := a.acc.span(row, lo, hi)[:n]
			for t, v := range o {
				// The conversion rounds the product first, as torch does,
				// and keeps the compiler from fusing a multiply-add.
				r[t] += float32(v * w[t])
			}
		}
		cn := a.acc.span(2*a.stems, lo, hi)[:n]
		for t, v := range w {
			cn[t] += v
		}
	} else {
		for row := 0; row < 2*a.stems; row++ {
			o := out[row*C:][:n]
			r := a.acc.span(row, lo, hi)[:n]
			for t, v := range o {
				r[t] += v
			}
		}
		cn := a.acc.span(2*a.stems, lo, hi)[:n]
		for t := range cn {
			cn[t]++
		}
	}
	return a.flush(c)
}

// flush writes the output samples that chunk c completed, a step at most
// at a time, and forgets everything before c.final.
func (a *accumulator) flush(c chunkInfo) error {
	end := c.final
	if c.keepHi >= 0 {
		end = min(end, c.keepHi)
	}
	for lo := max(a.emitted, c.keepLo); lo < end; lo = a.emitted {
		hi := min(end, lo+int64(a.g.step))
		n := int(hi - lo)
		for s := 0; s < a.stems; s++ {
			for ch := 0; ch < 2; ch++ {
				d := a.scratch[s][ch][:n]
				r := a.acc.span(s*2+ch, lo, hi)[:n]
				w := a.acc.span(2*a.stems, lo, hi)[:n]
				if a.g.mode == ModeMSST {
					for t := range d {
						d[t] = nanToNum(r[t] / w[t])
					}
				} else {
					// UVR divides by the overlap N, assuming N chunks cover
					// every sample. That holds when N divides the chunk;
					// otherwise some samples are covered N+1 times and UVR
					// makes them (N+1)/N too loud. Dividing by the count is
					// the same whenever N divides the chunk, and a true
					// average otherwise.
					for t := range d {
						d[t] = r[t] / w[t]
					}
				}
				a.scratch[s][ch] = d
			}
		}
		if err := a.sink.Write(a.scratch); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		a.written += int64(n)
		a.emitted = hi
	}
	a.acc.discard(c.final)
	return nil
}

// nanToNum is numpy's nan_to_num with nan=0: NaN → 0, ±Inf → ±MaxFloat32.
// In MSST a 0/0 happens exactly where every covering window weight is zero.
func nanToNum(v float32) float32 {
	switch {
	case v != v:
		return 0
	case v > math.MaxFloat32:
		return math.MaxFloat32
	case v < -math.MaxFloat32:
		return -math.MaxFloat32
	}
	return v
}
