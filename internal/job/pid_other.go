//go:build !unix

package job

import "os"

// processAlive reports whether the process pid exists. On Windows
// FindProcess opens the process and fails when there is none; elsewhere it
// always succeeds, and a lock is never taken over.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
