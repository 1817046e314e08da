//go:build !unix

package stft

// cpuNanos is not measured on this platform; benchmarks report 0.
func cpuNanos() int64 { return 0 }
