//go:build unix

package model

import (
	"os"
	"syscall"
)

// openNoBlock opens path for reading without blocking: opening a named pipe
// otherwise waits for a writer, forever. O_NONBLOCK changes nothing for the
// regular files ReadInfo goes on to read.
func openNoBlock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
