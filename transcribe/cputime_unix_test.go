//go:build unix

package transcribe

import "syscall"

// cpuNanos returns the CPU time (user + system) the process has used.
// Benchmarks report it per op next to wall time: on a shared machine other
// processes stretch the wall clock but not the CPU time spent on our work.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
