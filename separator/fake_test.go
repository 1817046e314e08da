package separator

import (
	"context"
	"log/slog"
	"math"
	"strings"
	"sync"
)

// chunkModel maps one chunk (2 channels × C) to S stems × 2 channels × C.
// Tests use the same function in the streaming pipeline (through
// fakeEngine) and in the whole-array reference implementations below.
type chunkModel func(in [2][]float32, out [][2][]float32)

// identityModel copies the chunk to every stem.
func identityModel(in [2][]float32, out [][2][]float32) {
	for s := range out {
		copy(out[s][0], in[0])
		copy(out[s][1], in[1])
	}
}

// normModel depends on the whole chunk's content, like the InstanceNorm
// layers of the real network: each channel is normalised by the chunk's
// mean and standard deviation, then shaped by the position in the chunk and
// the stem. A chunk padded or positioned differently from the reference
// gives different numbers everywhere in it.
func normModel(in [2][]float32, out [][2][]float32) {
	C := len(in[0])
	for ch := 0; ch < 2; ch++ {
		var sum, sq float64
		for _, v := range in[ch] {
			sum += float64(v)
		}
		mean := sum / float64(C)
		for _, v := range in[ch] {
			d := float64(v) - mean
			sq += d * d
		}
		sd := math.Sqrt(sq/float64(C)) + 1e-3
		for s := range out {
			for t, v := range in[ch] {
				pos := 1 + 0.5*float64(t)/float64(C)
				out[s][ch][t] = float32((float64(v)-mean)/sd*pos*float64(s+1)*0.25 + float64(v)*float64(s))
			}
		}
	}
}

// fakeEngine runs a chunkModel inside the pipeline.
type fakeEngine struct {
	model chunkModel
	S, C  int
	// oomAbove makes compute fail with errOutOfMemory for batches larger
	// than this (0: never).
	oomAbove  int
	mu        sync.Mutex
	shapes    []int // hi−lo of every successful compute call
	released  int
	computed  int // chunks computed
	onCompute func()
}

func (f *fakeEngine) stems() int { return f.S }

func (f *fakeEngine) newJob(capacity int) *job {
	return &job{
		audio: make([]float32, capacity*2*f.C),
		out:   make([]float32, capacity*f.S*2*f.C),
	}
}

func (f *fakeEngine) prepare(j *job) error { return nil }
func (f *fakeEngine) finish(j *job) error  { return nil }

func (f *fakeEngine) compute(j *job, lo, hi int) error {
	if f.onCompute != nil {
		f.onCompute()
	}
	if f.oomAbove > 0 && hi-lo > f.oomAbove {
		return errOutOfMemory
	}
	C, S := f.C, f.S
	outs := make([][2][]float32, S)
	for k := lo; k < hi; k++ {
		a := j.audio[k*2*C:]
		in := [2][]float32{a[:C], a[C : 2*C]}
		o := j.out[k*S*2*C:]
		for s := range outs {
			outs[s] = [2][]float32{o[(2*s)*C : (2*s+1)*C], o[(2*s+1)*C : (2*s+2)*C]}
		}
		f.model(in, outs)
	}
	f.mu.Lock()
	f.shapes = append(f.shapes, hi-lo)
	f.computed += hi - lo
	f.mu.Unlock()
	return nil
}

func (f *fakeEngine) releaseMemory() { f.released++ }
func (f *fakeEngine) close() error   { return nil }

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// recorder is a slog.Handler that keeps every record, for tests of what
// is logged.
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.records = append(r.records, rec)
	r.mu.Unlock()
	return nil
}

// has reports whether a record of the level has a message containing substr.
func (r *recorder) has(level slog.Level, substr string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.records {
		if rec.Level == level && strings.Contains(rec.Message, substr) {
			return true
		}
	}
	return false
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.records = nil
	r.mu.Unlock()
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []string
	for _, rec := range r.records {
		s = append(s, rec.Level.String()+": "+rec.Message)
	}
	return strings.Join(s, "; ")
}

// reflectIndex maps an index outside [0, n) back inside like numpy/torch
// "reflect" padding (no edge repeat).
func reflectIndex(i, n int) int {
	if i < 0 {
		return -i
	}
	if i >= n {
		return 2*n - 2 - i
	}
	return i
}

// refMSST is a literal, whole-array transcription of MSST's demix (generic
// mode) including its per-batch window: at batch 1 it is MSST.
func refMSST(x [2][]float32, C, N, batch, S int, model chunkModel) [][2][]float32 {
	fade, step := C/10, C/N
	border := C - step
	L := len(x[0])
	mix := x
	padded := L > 2*border && border > 0
	if padded {
		for ch := 0; ch < 2; ch++ {
			p := make([]float32, L+2*border)
			for j := range p {
				p[j] = x[ch][reflectIndex(j-border, L)]
			}
			mix[ch] = p
		}
	}
	Lp := len(mix[0])
	window := make([]float32, C)
	for i := range window {
		window[i] = 1
	}
	copy(window[C-fade:], linspace(1, 0, fade))
	copy(window[:fade], linspace(0, 1, fade))

	result := make([][2][]float32, S)
	counter := make([][2][]float32, S)
	for s := range result {
		for ch := 0; ch < 2; ch++ {
			result[s][ch] = make([]float32, Lp)
			counter[s][ch] = make([]float32, Lp)
		}
	}
	type loc struct{ start, n int }
	var data [][2][]float32
	var locs []loc
	for i := 0; i < Lp; {
		n := min(C, Lp-i)
		var part [2][]float32
		for ch := 0; ch < 2; ch++ {
			part[ch] = make([]float32, C)
			copy(part[ch], mix[ch][i:i+n])
			if n > C/2 {
				for k := n; k < C; k++ {
					part[ch][k] = part[ch][reflectIndex(k, n)]
				}
			}
		}
		data = append(data, part)
		locs = append(locs, loc{i, n})
		i += step
		if len(data) >= batch || i >= Lp {
			w := append([]float32(nil), window...)
			if i-step == 0 {
				for k := 0; k < fade; k++ {
					w[k] = 1
				}
			} else if i >= Lp {
				for k := C - fade; k < C; k++ {
					w[k] = 1
				}
			}
			for j, l := range locs {
				out := make([][2][]float32, S)
				for s := range out {
					out[s] = [2][]float32{make([]float32, C), make([]float32, C)}
				}
				model(data[j], out)
				for s := 0; s < S; s++ {
					for ch := 0; ch < 2; ch++ {
						for t := 0; t < l.n; t++ {
							result[s][ch][l.start+t] += float32(out[s][ch][t] * w[t])
							counter[s][ch][l.start+t] += w[t]
						}
					}
				}
			}
			data, locs = data[:0], locs[:0]
		}
	}
	est := make([][2][]float32, S)
	for s := range est {
		for ch := 0; ch < 2; ch++ {
			e := make([]float32, Lp)
			for t := range e {
				e[t] = nanToNum(result[s][ch][t] / counter[s][ch][t])
			}
			if padded {
				e = e[border : Lp-border]
			}
			est[s][ch] = e
		}
	}
	return est
}

// refUVR is a literal, whole-array transcription of UVR's MDX-C demix.
// With byCount it divides by the number of chunks covering each sample
// instead of by N, as drumsplit does (the same when N divides C).
func refUVR(x [2][]float32, C, N, S int, model chunkModel, byCount bool) [][2][]float32 {
	H := C / N
	L := len(x[0])
	padSize := H - int(pyMod(int64(L-C), int64(H)))
	P := (C - H) + L + padSize + (C - H)
	var mix [2][]float32
	for ch := 0; ch < 2; ch++ {
		mix[ch] = make([]float32, P)
		copy(mix[ch][C-H:], x[ch])
	}
	X := make([][2][]float32, S)
	for s := range X {
		X[s] = [2][]float32{make([]float32, P), make([]float32, P)}
	}
	nChunks := (P-C)/H + 1
	count := make([]float32, P)
	for k := 0; k < nChunks; k++ {
		for t := 0; t < C; t++ {
			count[k*H+t]++
		}
		in := [2][]float32{mix[0][k*H : k*H+C], mix[1][k*H : k*H+C]}
		out := make([][2][]float32, S)
		for s := range out {
			out[s] = [2][]float32{make([]float32, C), make([]float32, C)}
		}
		model(in, out)
		for s := 0; s < S; s++ {
			for ch := 0; ch < 2; ch++ {
				for t := 0; t < C; t++ {
					X[s][ch][k*H+t] += out[s][ch][t]
				}
			}
		}
	}
	est := make([][2][]float32, S)
	for s := range est {
		for ch := 0; ch < 2; ch++ {
			e := X[s][ch][C-H : P-(padSize+C-H)]
			cnt := count[C-H : P-(padSize+C-H)]
			for t := range e {
				if byCount {
					e[t] /= cnt[t]
				} else {
					e[t] /= float32(N)
				}
			}
			est[s][ch] = e
		}
	}
	return est
}
