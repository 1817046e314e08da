package torch

import (
	"os"
	"path/filepath"
	"testing"
)

// benchModel returns the bundled model's path, skipping the benchmark when
// it is missing.
func benchModel(b *testing.B) string {
	b.Helper()
	needLib(b)
	p := filepath.Join("..", "models", "drumsplit_small.pt")
	if _, err := os.Stat(p); err != nil {
		b.Skipf("bundled model missing: %v", err)
	}
	return p
}

// benchInput is one batch of the bundled model's chunks (32,256 samples),
// a deterministic signal that is not silence.
func benchInput(batch int) Tensor {
	const chunk = 32256
	t := Tensor{Shape: []int64{int64(batch), 2, chunk}, Data: make([]float32, batch*2*chunk)}
	for i := range t.Data {
		t.Data[i] = float32((i*7919)%1000)/1000 - 0.5
	}
	return t
}

// BenchmarkFirstBatches is what a process pays before its model settles,
// the native library aside: loading the bundled model and its first two
// batches of one chunk (the profiling executor profiles the first and
// optimises during the second), with each graph executor.
//
//	go test ./torch -run '^$' -bench FirstBatches -benchtime 5x
func BenchmarkFirstBatches(b *testing.B) {
	path := benchModel(b)
	in := benchInput(1)
	for _, prof := range []bool{false, true} {
		name := "simple"
		if prof {
			name = "profiling"
		}
		b.Run(name, func(b *testing.B) {
			if err := SetProfilingExecutor(prof); err != nil {
				b.Fatal(err)
			}
			defer SetProfilingExecutor(false)
			for b.Loop() {
				m, err := Load(path, Device{Type: CPU})
				if err != nil {
					b.Fatal(err)
				}
				for range 2 {
					if _, err := m.Run("forward", in); err != nil {
						b.Fatal(err)
					}
				}
				m.Close()
			}
		})
	}
}

// BenchmarkForwardGraph is the steady state of one batch of four chunks
// through the bundled model with each graph rewrite (after two untimed
// batches).
//
//	go test ./torch -run '^$' -bench ForwardGraph -benchtime 5x
func BenchmarkForwardGraph(b *testing.B) {
	path := benchModel(b)
	in := benchInput(4)
	for _, o := range []GraphOpt{GraphAsSaved, GraphFrozen, GraphInference} {
		b.Run(o.String(), func(b *testing.B) {
			m, err := Load(path, Device{Type: CPU})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			if err := m.Optimize(o); err != nil {
				b.Fatal(err)
			}
			var out []Tensor
			for range 2 {
				if out, err = m.RunInto("forward", out, in); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				if out, err = m.RunInto("forward", out, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
