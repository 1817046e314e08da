package torch

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
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

// BenchmarkMemoryPlanning runs one batch of four chunks through the bundled
// model with memory planning off and on: the first batch of a fresh module
// (recorded, when planning) and a steady one (after two). Besides wall time
// it reports the CPU seconds (user + system, all threads) and the page
// faults of each batch.
//
//	go test ./torch -run '^$' -bench MemoryPlanning -benchtime 10x
func BenchmarkMemoryPlanning(b *testing.B) {
	path := benchModel(b)
	in := benchInput(4)
	for _, on := range []bool{false, true} {
		for _, first := range []bool{true, false} {
			name := map[bool]string{false: "off", true: "on"}[on] + map[bool]string{false: "/steady", true: "/first"}[first]
			b.Run(name, func(b *testing.B) {
				was, _ := MemoryPlanning()
				defer SetMemoryPlanning(was)
				if err := SetMemoryPlanning(on); err != nil {
					b.Fatal(err)
				}
				var m *Module
				load := func() {
					b.StopTimer()
					defer b.StartTimer()
					if m != nil {
						m.Close()
					}
					var err error
					if m, err = Load(path, Device{Type: CPU}); err != nil {
						b.Fatal(err)
					}
				}
				load()
				var dst []Tensor
				var err error
				for range 2 {
					if !first {
						if dst, err = m.RunInto("forward", dst, in); err != nil {
							b.Fatal(err)
						}
					}
				}
				var cpu time.Duration
				var faults int64
				b.ResetTimer()
				for b.Loop() {
					if first {
						load()
						dst = nil
					}
					u0, f0 := usage(b)
					if dst, err = m.RunInto("forward", dst, in); err != nil {
						b.Fatal(err)
					}
					u1, f1 := usage(b)
					cpu += u1 - u0
					faults += f1 - f0
				}
				b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
				b.ReportMetric(float64(faults)/float64(b.N), "faults/op")
				m.Close()
			})
		}
	}
}

// usage returns this process's CPU time (user + system) and page faults so
// far.
func usage(b *testing.B) (time.Duration, int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Skip("no getrusage:", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Minflt
}
