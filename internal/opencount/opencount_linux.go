// Package opencount counts how many times a file is opened, by any process,
// with Linux's inotify. Tests use it to hold the number of reads of a model
// file to what the design promises (one metadata read, one libtorch load).
package opencount

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
)

// A Counter watches one file. It is not safe for concurrent use.
type Counter struct {
	fd  int
	n   int
	buf []byte
}

// Watch starts counting the opens of path. The file should be private to the
// caller (a copy in a temporary folder): every process's opens count.
func Watch(path string) (*Counter, error) {
	fd, err := syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	// inotify merges an event into an identical one still unread at the
	// end of its queue: watching closes too keeps back-to-back opens apart.
	if _, err := syscall.InotifyAddWatch(fd, path, syscall.IN_OPEN|syscall.IN_CLOSE); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("inotify watch %q: %w", path, err)
	}
	return &Counter{fd: fd, buf: make([]byte, 4096)}, nil
}

// Opens returns how many times the file has been opened since Watch.
func (c *Counter) Opens() (int, error) {
	for {
		k, err := syscall.Read(c.fd, c.buf)
		if errors.Is(err, syscall.EAGAIN) {
			return c.n, nil
		}
		if err != nil {
			return c.n, fmt.Errorf("inotify read: %w", err)
		}
		for off := 0; off+syscall.SizeofInotifyEvent <= k; {
			if binary.NativeEndian.Uint32(c.buf[off+4:])&syscall.IN_OPEN != 0 {
				c.n++
			}
			off += syscall.SizeofInotifyEvent + int(binary.NativeEndian.Uint32(c.buf[off+12:]))
		}
	}
}

// Close stops watching.
func (c *Counter) Close() error { return syscall.Close(c.fd) }
