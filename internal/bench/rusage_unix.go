//go:build unix

package bench

import (
	"os"
	"runtime"
	"syscall"
)

// peakRSSOther returns getrusage's ru_maxrss in bytes (kilobytes on most
// systems, bytes on macOS), for systems without /proc/self/status.
func peakRSSOther() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss)
	}
	return int64(ru.Maxrss) << 10
}

// ProcessCPU returns the CPU time this process has used so far, user and
// system, all threads (libtorch's included), in seconds.
func ProcessCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// childPeakRSS returns the peak resident set size of a process that has
// exited (wait4's ru_maxrss) in bytes, or 0 where unknown.
func childPeakRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss)
	}
	return int64(ru.Maxrss) << 10
}
