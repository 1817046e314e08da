package separator

// ttaEngine is Music-Source-Separation-Training's test-time augmentation
// (utils/model_utils.py apply_tta, inference.py --use_tta) around another
// engine: every chunk is separated three times — as it is, with its
// channels swapped and with its polarity inverted — and the results are
// un-augmented and averaged, (y + swap(y_swapped) − y_inverted) / 3, in
// float32 and in that order, as MSST adds into its float32 arrays.
//
// MSST runs three whole demixes and combines the finished tracks; here the
// three outputs of each chunk are combined before the overlap-add. The
// chunking, padding and windows of the three demixes are the same (reflect
// and zero padding commute with a channel swap and a sign change), and the
// overlap-add is linear, so the two orders give the same result up to float
// rounding, while this one keeps the streaming pipeline's memory bound: no
// second and third track-long accumulator.
//
// A job of the wrapper holds an inner job three times its capacity; the
// outer job's audio and out are the first third of the inner ones. With a
// batch shape of b chunks, inner chunk k is the original chunk k, inner
// chunk b+k its channel swap and inner chunk 2b+k its inversion. compute
// runs the inner engine three times on ranges as large as asked for, so the
// device sees the same batch shapes (and needs the same memory) as without
// augmentation, and halving the batch on out-of-memory errors works as
// before.
type ttaEngine struct {
	inner engine
	S, C  int
}

// ttaCopies is the number of separations per chunk: original, channel swap,
// polarity inversion.
const ttaCopies = 3

func newTTAEngine(inner engine, chunk int) *ttaEngine {
	return &ttaEngine{inner: inner, S: inner.stems(), C: chunk}
}

func (e *ttaEngine) stems() int { return e.S }

func (e *ttaEngine) newJob(capacity int) *job {
	in := e.inner.newJob(ttaCopies * capacity)
	return &job{
		audio: in.audio[:capacity*2*e.C],
		out:   in.out[:capacity*e.S*2*e.C],
		eng:   in,
	}
}

// prepare writes the augmented copies of the b chunks of the batch shape
// (zero chunks stay zero) behind the originals and prepares all of them.
func (e *ttaEngine) prepare(j *job) error {
	in := j.eng.(*job)
	C, b := e.C, j.b
	orig := in.audio[:b*2*C]
	swapped := in.audio[b*2*C : 2*b*2*C]
	inverted := in.audio[2*b*2*C : 3*b*2*C]
	for k := 0; k < b; k++ {
		l, r := orig[k*2*C:k*2*C+C], orig[k*2*C+C:(k+1)*2*C]
		copy(swapped[k*2*C:k*2*C+C], r)
		copy(swapped[k*2*C+C:(k+1)*2*C], l)
	}
	for i, v := range orig {
		inverted[i] = -v
	}
	in.b, in.n = ttaCopies*b, ttaCopies*b
	return e.inner.prepare(in)
}

// compute runs chunks [lo, hi) of the batch in each of the three copies.
func (e *ttaEngine) compute(j *job, lo, hi int) error {
	in := j.eng.(*job)
	for c := 0; c < ttaCopies; c++ {
		if err := e.inner.compute(in, c*j.b+lo, c*j.b+hi); err != nil {
			return err
		}
	}
	return nil
}

// finish finishes the inner job and leaves, in place of each of the n
// chunks of track data, the average of its three un-augmented outputs.
func (e *ttaEngine) finish(j *job) error {
	in := j.eng.(*job)
	if err := e.inner.finish(in); err != nil {
		return err
	}
	C, S, b := e.C, e.S, j.b
	one := S * 2 * C // the output of one chunk
	for k := 0; k < j.n; k++ {
		y := in.out[k*one : (k+1)*one]
		ys := in.out[(b+k)*one : (b+k+1)*one]
		yi := in.out[(2*b+k)*one : (2*b+k+1)*one]
		for s := 0; s < S; s++ {
			o := s * 2 * C
			combine(y[o:o+C], ys[o+C:o+2*C], yi[o:o+C])     // left ← left, swapped's right, inverted's left
			combine(y[o+C:o+2*C], ys[o:o+C], yi[o+C:o+2*C]) // right ← right, swapped's left, inverted's right
		}
	}
	return nil
}

// combine sets y to (y + swapped − inverted) / 3, each step rounded to
// float32 as MSST's in-place numpy operations round.
func combine(y, swapped, inverted []float32) {
	swapped, inverted = swapped[:len(y)], inverted[:len(y)]
	for i := range y {
		v := y[i] + swapped[i]
		v -= inverted[i]
		y[i] = v / ttaCopies
	}
}

func (e *ttaEngine) releaseMemory() { e.inner.releaseMemory() }
func (e *ttaEngine) close() error   { return e.inner.close() }
