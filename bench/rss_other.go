//go:build !unix || linux

package bench

// peakRSSOther is for systems without /proc/self/status and getrusage (and
// Linux, where /proc/self/status is always there).
func peakRSSOther() int64 { return 0 }
