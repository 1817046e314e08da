//go:build !unix

package transcribe

// cpuNanos is not measured on this platform; benchmarks report 0.
func cpuNanos() int64 { return 0 }
