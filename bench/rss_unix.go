//go:build unix && !linux

package bench

import (
	"runtime"
	"syscall"
)

// peakRSSOther returns getrusage's ru_maxrss in bytes: kilobytes on most
// systems, bytes on macOS.
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
