//go:build unix

package audio

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestOpenNonRegular checks that Open refuses a named pipe, a socket, a
// device and a directory with one line, instead of blocking forever on the
// pipe (opening one for reading waits for a writer) or reading a device
// that never ends.
func TestOpenNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.wav")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	sock := filepath.Join(dir, "s.wav")
	if l, err := net.Listen("unix", sock); err == nil {
		defer l.Close()
	} else {
		sock = ""
	}
	cases := []struct{ path, what string }{
		{fifo, "is a named pipe, not a regular file"},
		{dir, "is a directory, not a regular file"},
	}
	if sock != "" {
		cases = append(cases, struct{ path, what string }{sock, "is a socket, not a regular file"})
	}
	if st, err := os.Stat("/dev/zero"); err == nil && st.Mode()&os.ModeDevice != 0 {
		cases = append(cases, struct{ path, what string }{"/dev/zero", "is a character device, not a regular file"})
	}
	open := func(f func(string) error, path string) error {
		done := make(chan error, 1)
		go func() { done <- f(path) }()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			// Unblock the open with a writer so the test can end.
			if w, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
				w.Close()
			}
			t.Fatalf("opening %s blocked", path)
			return nil
		}
	}
	for _, tc := range cases {
		err := open(func(p string) error {
			r, err := Open(p)
			if err == nil {
				r.Close()
			}
			return err
		}, tc.path)
		checkOneLine(t, err, tc.path)
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("%s: error %v is not ErrNotRegular", tc.path, err)
		}
		if want := strconv.Quote(tc.path) + ": " + tc.what; err != nil && err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
		if _, _, err := DecodeFile(tc.path); !errors.Is(err, ErrNotRegular) {
			t.Errorf("DecodeFile %s: error %v", tc.path, err)
		}
	}
}
