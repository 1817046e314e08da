//go:build unix

package regular

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestOpen: a regular file and a link to one open; a folder, a named pipe, a
// socket and a device are refused with what they are, and without blocking.
func TestOpen(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.wav")
	if err := os.WriteFile(file, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.wav")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file, link} {
		f, st, err := Open(p)
		if err != nil || st.Size() != 4 {
			t.Fatalf("%s: %v, %v", p, st, err)
		}
		f.Close()
	}
	if _, _, err := Open(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, c := range []struct{ path, what string }{
		{dir, "a directory"}, {fifo, "a named pipe"}, {sock, "a socket"}, {"/dev/zero", "a character device"},
	} {
		done := make(chan error, 1)
		go func() { _, _, err := Open(c.path); done <- err }()
		select {
		case err := <-done:
			var nr *NotRegularError
			if !errors.As(err, &nr) || nr.What() != c.what || err.Error() != "is "+c.what+", not a regular file" {
				t.Errorf("%s: %v", c.path, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Open(%s) blocks", c.path)
		}
	}
}

// TestOpenSwapped: a regular file replaced by a named pipe between Open's
// Stat and its open. The open itself must neither block nor accept the pipe.
func TestOpenSwapped(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, _, err := openChecked(fifo); done <- err }()
	select {
	case err := <-done:
		var nr *NotRegularError
		if !errors.As(err, &nr) || nr.What() != "a named pipe" {
			t.Errorf("got %v, want a *NotRegularError for a named pipe", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("opening a named pipe blocks")
	}
}
