package bench

import (
	"os"
	"runtime"
)

// ResetPeakRSS restarts the kernel's record of this process's peak resident
// set size (VmHWM) at the current size, by writing 5 to
// /proc/self/clear_refs (Linux 4.0+). It reports whether that worked; when
// it did not, PeakRSS keeps returning the process's lifetime peak.
func ResetPeakRSS() bool {
	if runtime.GOOS != "linux" {
		return false
	}
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// PeakRSS returns the process's peak resident set size in bytes since the
// last successful ResetPeakRSS (VmHWM on Linux), or 0 where unknown.
func PeakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return peakRSSOther()
	}
	return memInfoField(b, "VmHWM:")
}
