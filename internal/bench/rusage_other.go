//go:build !unix

package bench

import "os"

// peakRSSOther is 0: there is no portable peak RSS here.
func peakRSSOther() int64 { return 0 }

// ProcessCPU is 0: there is no portable process CPU time here.
func ProcessCPU() float64 { return 0 }

// childPeakRSS is 0: there is no portable peak RSS of another process here.
func childPeakRSS(*os.ProcessState) int64 { return 0 }
