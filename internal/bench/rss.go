package bench

import (
	"os"
	"runtime"
	"strconv"
	"strings"
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

// memInfoField returns a "Name:  N kB" field of /proc/self/status in bytes.
func memInfoField(b []byte, field string) int64 {
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == field {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
