// Package regular opens a file for reading only if it is a regular file, and
// never blocks doing so. Opening a named pipe for reading waits for a writer,
// forever if none comes, where no signal handler of the caller can help; a
// device can be read without end. The audio decoders and the model reader
// both refuse such paths with it, each in its own error type.
package regular

import (
	"io/fs"
	"os"
)

// NotRegularError says that a path is not a regular file.
type NotRegularError struct {
	Mode fs.FileMode // the mode of what is there
}

// What describes what is there instead ("a named pipe", "a directory").
func (e *NotRegularError) What() string {
	m := e.Mode
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a plain file"
}

func (e *NotRegularError) Error() string {
	if w := e.What(); w != "not a plain file" {
		return "is " + w + ", not a regular file"
	}
	return "is not a regular file"
}

// check returns a *NotRegularError unless mode is a regular file's.
func check(mode fs.FileMode) error {
	if mode.IsRegular() {
		return nil
	}
	return &NotRegularError{Mode: mode}
}

// Open opens path for reading if it is a regular file (or a link to one) and
// returns the file and what it is. Anything else is a *NotRegularError; the
// errors of Stat and Open are returned as they are (*fs.PathError). The open
// itself does not block (O_NONBLOCK where the system has it): the path
// checked by Stat may have been replaced by a named pipe since, so what was
// opened is checked again.
func Open(path string) (*os.File, fs.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if err := check(st.Mode()); err != nil {
		return nil, nil, err
	}
	return openChecked(path)
}

// openChecked opens path without blocking and refuses what it opened unless
// that is a regular file.
func openChecked(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err == nil {
		err = check(st.Mode())
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}
