package separator

import (
	"errors"
	"fmt"

	"github.com/drumsplit/drumsplit/stft"
	"github.com/drumsplit/drumsplit/torch"
)

func isTorchOOM(err error) bool { return errors.Is(err, torch.ErrOutOfMemory) }

// graphEngine runs the model's forward method: audio [b, 2, C] in, stems
// [b, S, 2, C] out, the STFT inside the graph.
type graphEngine struct {
	mod  *torch.Module
	dev  torch.Device
	S, C int
}

// graphBufs are a job's tensors for graphEngine.
type graphBufs struct {
	in  torch.Tensor
	out []torch.Tensor
}

func (e *graphEngine) stems() int { return e.S }

func (e *graphEngine) newJob(capacity int) *job {
	return &job{
		audio: make([]float32, capacity*2*e.C),
		out:   make([]float32, capacity*e.S*2*e.C),
		eng:   &graphBufs{in: torch.Tensor{Shape: make([]int64, 3)}, out: make([]torch.Tensor, 1)},
	}
}

func (e *graphEngine) prepare(*job) error { return nil }
func (e *graphEngine) finish(*job) error  { return nil }

func (e *graphEngine) compute(j *job, lo, hi int) error {
	bufs := j.eng.(*graphBufs)
	n, C, S := hi-lo, e.C, e.S
	bufs.in.Shape = append(bufs.in.Shape[:0], int64(n), 2, int64(C))
	bufs.in.Data = j.audio[lo*2*C : hi*2*C]
	// The output lands straight in the job: RunInto reuses a large enough
	// Data slice.
	want := j.out[lo*S*2*C : hi*S*2*C : hi*S*2*C] // capped: a wrong shape cannot spill over
	bufs.out = bufs.out[:1]
	bufs.out[0].Data = want
	out, err := e.mod.RunInto("forward", bufs.out, bufs.in)
	if err != nil {
		return err
	}
	bufs.out = out
	if err := checkOutput(out, "forward", want, n, S, 2, C); err != nil {
		return err
	}
	return nil
}

// checkOutput verifies the method returned one tensor of shape
// [n, S, dims...] (or, for one stem, [n, dims...] as older single-target
// models do) written into want.
func checkOutput(out []torch.Tensor, method string, want []float32, n, S int, dims ...int) error {
	if len(out) != 1 {
		return fmt.Errorf("model %s returned %d tensors, want 1", method, len(out))
	}
	shape := out[0].Shape
	full := append([]int64{int64(n), int64(S)}, toInt64(dims)...)
	ok := equalShape(shape, full)
	if !ok && S == 1 {
		ok = equalShape(shape, append([]int64{int64(n)}, toInt64(dims)...))
	}
	if !ok {
		return fmt.Errorf("model %s returned shape %v, want %v", method, shape, full)
	}
	if len(out[0].Data) != len(want) || len(want) > 0 && &out[0].Data[0] != &want[0] {
		copy(want, out[0].Data)
	}
	return nil
}

func toInt64(v []int) []int64 {
	r := make([]int64, len(v))
	for i, x := range v {
		r[i] = int64(x)
	}
	return r
}

func equalShape(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (e *graphEngine) releaseMemory() { _ = torch.EmptyCache(e.dev) }
func (e *graphEngine) close() error   { return nil }

// specEngine computes the STFT in Go and runs the model's forward_spec
// method on spectrograms [b, 4, dimF, T] → [b, S, 4, dimF, T]. The forward
// transform runs in the producer goroutine and the inverse in the consumer,
// each with a plan of its own (a Plan is not safe for concurrent use), so
// both overlap the device's work on the neighbouring batches.
type specEngine struct {
	mod     *torch.Module
	dev     torch.Device
	S, C    int
	fwd     *stft.MDX
	inv     *stft.MDX
	specLen int // values of one chunk's spectrogram, 4·dimF·T
	dimF, T int
}

type specBufs struct {
	spec    []float32 // [cap, 4, dimF, T]
	specOut []float32 // [cap, S, 4, dimF, T]
	in      torch.Tensor
	out     []torch.Tensor
}

func newSpecEngine(mod *torch.Module, dev torch.Device, stems, chunk, nfft, hop, dimF int) (*specEngine, error) {
	fp, err := stft.NewPlan(nfft, hop)
	if err != nil {
		return nil, err
	}
	ip, err := stft.NewPlan(nfft, hop)
	if err != nil {
		fp.Close()
		return nil, err
	}
	e := &specEngine{mod: mod, dev: dev, S: stems, C: chunk, dimF: dimF}
	if e.fwd, err = stft.NewMDX(fp, dimF); err == nil {
		e.inv, err = stft.NewMDX(ip, dimF)
	}
	if err != nil {
		fp.Close()
		ip.Close()
		return nil, err
	}
	e.specLen, e.T = e.fwd.SpecLen(chunk)
	if e.T == 0 {
		e.close()
		return nil, fmt.Errorf("chunk of %d samples is too short for n_fft %d", chunk, nfft)
	}
	if il := ip.InverseLen(e.T); il != chunk {
		e.close()
		return nil, fmt.Errorf("chunk of %d samples is not a multiple of the hop %d (the iSTFT would give %d)", chunk, hop, il)
	}
	return e, nil
}

func (e *specEngine) stems() int { return e.S }

func (e *specEngine) newJob(capacity int) *job {
	return &job{
		audio: make([]float32, capacity*2*e.C),
		out:   make([]float32, capacity*e.S*2*e.C),
		eng: &specBufs{
			spec:    make([]float32, capacity*e.specLen),
			specOut: make([]float32, capacity*e.S*e.specLen),
			in:      torch.Tensor{Shape: make([]int64, 4)},
			out:     make([]torch.Tensor, 1),
		},
	}
}

func (e *specEngine) prepare(j *job) error {
	bufs := j.eng.(*specBufs)
	if err := e.fwd.SpecBatch(bufs.spec[:j.n*e.specLen], j.audio[:j.n*2*e.C], j.n); err != nil {
		return err
	}
	// The zero chunks that pad the batch have zero spectrograms.
	clear(bufs.spec[j.n*e.specLen : j.b*e.specLen])
	return nil
}

func (e *specEngine) compute(j *job, lo, hi int) error {
	bufs := j.eng.(*specBufs)
	n, L := hi-lo, e.specLen
	bufs.in.Shape = append(bufs.in.Shape[:0], int64(n), 4, int64(e.dimF), int64(e.T))
	bufs.in.Data = bufs.spec[lo*L : hi*L]
	want := bufs.specOut[lo*e.S*L : hi*e.S*L : hi*e.S*L]
	bufs.out = bufs.out[:1]
	bufs.out[0].Data = want
	out, err := e.mod.RunInto("forward_spec", bufs.out, bufs.in)
	if err != nil {
		return err
	}
	bufs.out = out
	return checkOutput(out, "forward_spec", want, n, e.S, 4, e.dimF, e.T)
}

func (e *specEngine) finish(j *job) error {
	bufs := j.eng.(*specBufs)
	return e.inv.AudioBatch(j.out[:j.n*e.S*2*e.C], bufs.specOut[:j.n*e.S*e.specLen], j.n, e.S)
}

func (e *specEngine) releaseMemory() { _ = torch.EmptyCache(e.dev) }

func (e *specEngine) close() error {
	if e.fwd != nil {
		e.fwd.Plan().Close()
	}
	if e.inv != nil {
		e.inv.Plan().Close()
	}
	return nil
}
