package separator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// engine runs the model on batches of chunks. Its work is split in three so
// that the host parts overlap the device part of neighbouring batches:
// prepare (producer goroutine, host: e.g. the Go STFT), compute (device
// goroutine), finish (consumer goroutine, host: e.g. the Go iSTFT). Between
// them a job travels: audio [cap][2][C] in, out [cap][S][2][C] at the end.
type engine interface {
	stems() int
	// newJob allocates the buffers of a job holding up to capacity chunks.
	newJob(capacity int) *job
	prepare(j *job) error
	// compute runs the model on chunks [lo, hi) of j. It may return an
	// error matching errOutOfMemory, after which the caller retries smaller.
	compute(j *job, lo, hi int) error
	finish(j *job) error
	// releaseMemory returns cached device memory after an out-of-memory error.
	releaseMemory()
	close() error
}

// errOutOfMemory is matched (errors.Is) against compute's errors to detect
// an out-of-memory condition worth retrying with a smaller batch. The torch
// engines return torch.ErrOutOfMemory, which isOOM also matches.
var errOutOfMemory = errors.New("out of memory")

// job is one batch on its way through the pipeline.
type job struct {
	b      int         // batch shape: chunks computed together (n ≤ b ≤ capacity)
	n      int         // chunks holding track data; the rest are zeros
	chunks []chunkInfo // n entries
	audio  []float32   // [capacity][2][C] model input
	out    []float32   // [capacity][S][2][C] stems
	eng    any         // engine-specific buffers
}

// pipeline runs one separation: chunker → engine → accumulator.
type pipeline struct {
	g        geometry
	eng      engine
	log      *slog.Logger
	batch    *atomic.Int64 // current batch size; shrinks on out-of-memory
	progress func(Progress)
	jobs     []*job // reused across runs; len = pipeline depth
	// stemNames and rate name the stems and the sample rate in errors
	// (empty and 0 where unknown).
	stemNames []string
	rate      int
	// stats of the current or last run; each field is written by one
	// goroutine only and read after the run.
	stats Stats
	// padLast pads the last batch with zero chunks to the full batch
	// shape. GPUs want it (a new input shape can mean new kernels or a
	// recompiled graph); on the CPU a smaller batch costs nothing extra, so
	// computing zero chunks would be wasted work.
	padLast bool
}

// depth is the number of jobs in flight: one being filled, one on the device,
// one being accumulated.
const depth = 3

// Progress reports how far a separation has come. Totals are -1 while the
// track's length is unknown.
type Progress struct {
	SamplesDone  int64 // output frames finished (per stem)
	SamplesTotal int64
	ChunksDone   int64
	ChunksTotal  int64
	Elapsed      time.Duration
	ETA          time.Duration // estimated time left; 0 until something is done
}

// run separates src into dst. Three goroutines pass jobs around a ring of
// depth buffers: produce fills them, device runs the model, and consume
// (the caller's goroutine) overlap-adds and writes. The first error cancels
// the others; every goroutine then drains its input so that none blocks.
func (p *pipeline) run(ctx context.Context, src Source, dst Sink) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	p.stats = Stats{}
	runStart := time.Now()
	defer func() { p.stats.Wall = time.Since(runStart) }()

	free := make(chan *job, depth)
	for _, j := range p.jobs {
		free <- j
	}
	toDevice := make(chan *job, 1)
	toHost := make(chan *job, 1)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(toDevice)
		p.produce(ctx, cancel, newChunker(p.g, src), free, toDevice)
	}()
	go func() {
		defer wg.Done()
		defer close(toHost)
		p.device(ctx, cancel, toDevice, toHost)
	}()
	p.consume(ctx, cancel, toHost, free, src.Frames(), dst)
	wg.Wait()
	return context.Cause(ctx)
}

// produce reads the source, cuts it into chunks and prepares batches of
// fixed shape until the source ends or ctx is done.
func (p *pipeline) produce(ctx context.Context, fail context.CancelCauseFunc, ch *chunker, free <-chan *job, toDevice chan<- *job) {
	for {
		var j *job
		select {
		case j = <-free:
		case <-ctx.Done():
			return
		}
		if err := p.fill(j, ch); err != nil {
			fail(err)
			return
		}
		if j.n == 0 {
			return
		}
		t0 := time.Now()
		err := p.eng.prepare(j)
		p.stats.Prepare += time.Since(t0)
		if err != nil {
			fail(err)
			return
		}
		select {
		case toDevice <- j:
		case <-ctx.Done():
			return
		}
	}
}

// fill puts the next chunks of ch into j, up to the current batch size;
// j.n is 0 once the track is done.
func (p *pipeline) fill(j *job, ch *chunker) error {
	j.b = int(p.batch.Load())
	j.n = 0
	j.chunks = j.chunks[:0]
	C := p.g.chunk
	for j.n < j.b {
		a := j.audio[j.n*2*C:]
		info, ok, err := ch.nextChunk([2][]float32{a[:C], a[C : 2*C]})
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		j.chunks = append(j.chunks, info)
		j.n++
	}
	if j.n == 0 {
		return nil
	}
	if !p.padLast {
		j.b = j.n
	}
	// Zero chunks pad the batch to its fixed shape, so libtorch never
	// sees a new input size; their outputs are ignored.
	clear(j.audio[j.n*2*C : j.b*2*C])
	return nil
}

// device runs the model on every job it receives.
func (p *pipeline) device(ctx context.Context, fail context.CancelCauseFunc, toDevice <-chan *job, toHost chan<- *job) {
	for j := range toDevice {
		if ctx.Err() != nil {
			continue // drain
		}
		if err := p.compute(j); err != nil {
			fail(err)
			continue
		}
		select {
		case toHost <- j:
		case <-ctx.Done():
		}
	}
}

// consume finishes every job it receives, checks and overlap-adds its
// chunks, writes what is complete to dst, returns the job to free and
// reports progress. total is the track's length, or -1 until known.
// Cancellation is seen here once per batch.
func (p *pipeline) consume(ctx context.Context, fail context.CancelCauseFunc, toHost <-chan *job, free chan<- *job, total int64, dst Sink) {
	acc := newAccumulator(p.g, p.eng.stems(), dst)
	start := time.Now()
	var chunksDone int64
	for j := range toHost {
		if ctx.Err() != nil {
			continue // drain
		}
		t0 := time.Now()
		err := p.eng.finish(j)
		p.stats.Finish += time.Since(t0)
		if err == nil {
			err = p.accumulate(j, acc, &total)
		}
		if err != nil {
			fail(err)
			continue
		}
		chunksDone += int64(j.n)
		p.stats.Chunks = chunksDone
		free <- j
		if p.progress != nil {
			p.progress(makeProgress(p.g, acc.written, total, chunksDone, time.Since(start)))
		}
	}
}

// accumulate checks the outputs of j's chunks and adds them to acc; it sets
// *total once a chunk knows the track's length.
func (p *pipeline) accumulate(j *job, acc *accumulator, total *int64) error {
	S, C := p.eng.stems(), p.g.chunk
	for k, c := range j.chunks {
		out := j.out[k*S*2*C : (k+1)*S*2*C]
		if err := p.checkFinite(c, out); err != nil {
			return err
		}
		if err := acc.add(c, out); err != nil {
			return err
		}
		if c.keepHi >= 0 {
			*total = c.keepHi - c.keepLo
		}
	}
	return nil
}

func makeProgress(g geometry, done, total, chunks int64, elapsed time.Duration) Progress {
	p := Progress{SamplesDone: done, SamplesTotal: total, ChunksDone: chunks, ChunksTotal: -1, Elapsed: elapsed}
	if total >= 0 {
		p.ChunksTotal = g.chunkCount(total)
		if done > 0 && done <= total {
			p.ETA = time.Duration(float64(elapsed) * float64(total-done) / float64(done))
		}
	}
	return p
}

// compute runs j on the device, halving the batch on out-of-memory errors
// until a batch of one fails too. Later batches keep the smaller size.
func (p *pipeline) compute(j *job) error {
	// A job filled before an earlier job shrank the batch runs in pieces of
	// the new size right away.
	b := min(j.b, int(p.batch.Load()))
	for lo := 0; lo < j.n; {
		hi := min(lo+b, j.b)
		t0 := time.Now()
		err := p.eng.compute(j, lo, hi)
		p.stats.Compute += time.Since(t0)
		p.stats.Batches++
		if err == nil {
			p.stats.Computed += int64(hi - lo)
			lo = hi
			continue
		}
		if !isOOM(err) || b == 1 {
			return err
		}
		nb := b / 2
		p.log.Warn(fmt.Sprintf("out of memory at batch size %d; retrying with %d", b, nb), "error", err)
		p.eng.releaseMemory()
		b = nb
		// Only shrink, never grow back, even if another goroutine raced.
		for cur := p.batch.Load(); cur > int64(nb); cur = p.batch.Load() {
			if p.batch.CompareAndSwap(cur, int64(nb)) {
				break
			}
		}
	}
	return nil
}

func isOOM(err error) bool {
	return errors.Is(err, errOutOfMemory) || isTorchOOM(err)
}

// newPipeline allocates the jobs for batches of up to batch chunks.
func newPipeline(g geometry, eng engine, batch int, log *slog.Logger) (*pipeline, error) {
	if batch < 1 {
		return nil, fmt.Errorf("batch size %d: must be at least 1", batch)
	}
	p := &pipeline{g: g, eng: eng, log: log, batch: new(atomic.Int64), padLast: true}
	p.batch.Store(int64(batch))
	for i := 0; i < depth; i++ {
		p.jobs = append(p.jobs, eng.newJob(batch))
	}
	return p, nil
}

// warmUp runs one batch of zero chunks through every stage, so that
// libtorch compiles and allocates for the batch shape before the first real
// batch (and an out-of-memory batch size shrinks here already).
func (p *pipeline) warmUp() error {
	j := p.jobs[0]
	j.b = int(p.batch.Load())
	j.n = j.b
	j.chunks = j.chunks[:0]
	clear(j.audio[:j.b*2*p.g.chunk])
	if err := p.eng.prepare(j); err != nil {
		return err
	}
	if err := p.compute(j); err != nil {
		return err
	}
	return p.eng.finish(j)
}
