// Package atomicfile writes small files (JSON, MIDI, reports) all at once:
// through a temporary file next to the destination, renamed into place, so
// that a reader never sees a partial file and a failed write leaves none.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// Write creates path with what write writes, atomically. The file is made
// readable by everyone (0644): os.CreateTemp makes it private, and what the
// tools write here (data sets, MIDI, results) is meant to be shared.
func Write(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	err = write(f)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// WriteFile creates path holding data, atomically (see Write).
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
