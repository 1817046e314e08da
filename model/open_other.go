//go:build !unix

package model

import "os"

// openNoBlock opens path for reading. Outside unix, opening a file does not
// wait for a writer, so a plain open is enough.
func openNoBlock(path string) (*os.File, error) {
	return os.Open(path)
}
