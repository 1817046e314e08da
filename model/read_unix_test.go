//go:build unix

package model

import (
	"errors"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestReadInfoFIFO is the regression test of issue 22.5: a named pipe given
// as the model blocked forever in open (no writer ever comes). It must be
// refused at once in one line, and so must a device.
func TestReadInfoFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "model.pt")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	for _, c := range []struct{ path, what string }{{fifo, "a named pipe"}, {"/dev/null", "a character device"}} {
		done := make(chan error, 1)
		go func() {
			_, err := ReadInfo(c.path)
			done <- err
		}()
		select {
		case err := <-done:
			want := "model " + strconv.Quote(c.path) + ": not a regular file (" + c.what + ")"
			if !errors.Is(err, ErrNotRegular) || err.Error() != want {
				t.Errorf("got %v, want %s", err, want)
			}
		case <-time.After(time.Minute): // a hang, not a slow answer
			t.Fatalf("ReadInfo(%s) blocks", c.path)
		}
	}
}
