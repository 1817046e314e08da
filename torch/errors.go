package torch

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors; test for them with errors.Is.
var (
	// ErrNoLibtorch means libdrumsplit_torch, or the libtorch it needs,
	// could not be loaded. The error's message says which and how to fix
	// it; see LibraryError for the loader's own words.
	ErrNoLibtorch = errors.New("native library not available")
	// ErrDeviceUnavailable means the device does not exist on this machine
	// or in this libtorch (CUDA on a CPU-only build, MPS off macOS, ...).
	ErrDeviceUnavailable = errors.New("device not available")
	// ErrOutOfMemory means libtorch could not allocate device or host memory.
	ErrOutOfMemory = errors.New("out of memory")
	// ErrNotFound means a module has no such method or extra file.
	ErrNotFound = errors.New("not found")
	// ErrClosed means the Module was used after Close.
	ErrClosed = errors.New("module is closed")
)

// Status is a status code of the C ABI (ds_status in drumsplit_torch.h).
type Status int

// Status codes.
const (
	StatusOK          Status = 0
	StatusInvalid     Status = 1 // bad argument: shape, size, rank, buffer
	StatusTorch       Status = 2 // libtorch raised an error (model, shape, dtype)
	StatusOOM         Status = 3 // out of memory
	StatusDevice      Status = 4 // device not available
	StatusNotFound    Status = 5 // no such method or extra file
	StatusUnsupported Status = 6 // not possible on this device or libtorch
	StatusIO          Status = 7 // unreadable file, or not a TorchScript archive
)

var statusNames = [...]string{"ok", "invalid argument", "torch error", "out of memory",
	"device unavailable", "not found", "unsupported", "i/o error"}

// String returns a short description of the status.
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Error is an error reported by libtorch or by this package's checks of
// arguments: a model that fails to load, an input of the wrong shape or rank,
// an unknown method. Error returns one line ready to show to users, e.g.
// `run forward: RuntimeError: Given groups=1, weight of size [4, 2, 3], …`;
// libtorch's full text, which for TorchScript errors spans many lines of
// interpreter framing and traceback, is kept in Detail for verbose logs.
type Error struct {
	Op     string // what was being done: `load "x.pt"`, "run forward", "convert to fp16", …
	Status Status
	Msg    string // one line: what went wrong
	Detail string // libtorch's message as it came, when Msg is only part of it
}

func (e *Error) Error() string { return e.Op + ": " + e.Msg }

// Is lets errors.Is match the sentinel errors the status stands for:
// ErrOutOfMemory, ErrDeviceUnavailable, ErrNotFound and errors.ErrUnsupported.
func (e *Error) Is(target error) bool {
	switch e.Status {
	case StatusOOM:
		return target == ErrOutOfMemory
	case StatusDevice:
		return target == ErrDeviceUnavailable
	case StatusNotFound:
		return target == ErrNotFound
	case StatusUnsupported:
		return target == errors.ErrUnsupported
	}
	return false
}

// newError builds the Error of a failed C call from the library's message.
func newError(op string, st Status, text string) *Error {
	e := &Error{Op: op, Status: st, Msg: reduce(text)}
	if e.Msg == "" {
		e.Msg = st.String()
	}
	if e.Msg != strings.TrimSpace(text) {
		e.Detail = text
	}
	return e
}

// maxLine bounds the length of an error line, in runes.
const maxLine = 300

// reduce returns the line of a libtorch message that says what went wrong.
// A TorchScript interpreter error starts with framing ("The following
// operation failed in the TorchScript interpreter.", "Traceback of
// TorchScript …", the serialized code) and ends with the error itself,
// "RuntimeError: …"; other messages say it on their first line and add
// context below ("Position: 1", "Declaration: …").
func reduce(text string) string {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return ""
	}
	line := lines[0]
	if strings.Contains(text, "The following operation failed in the TorchScript interpreter") ||
		strings.Contains(text, "Traceback of TorchScript") {
		line = lines[len(lines)-1]
		for i := len(lines) - 1; i >= 0; i-- {
			if isErrorLine(lines[i]) {
				line = lines[i]
				break
			}
		}
	}
	// c10's checks append a plea for better messages.
	if i := strings.Index(line, "(Could this error message be improved?"); i > 0 {
		line = strings.TrimSpace(line[:i])
	}
	if r := []rune(line); len(r) > maxLine {
		line = string(r[:maxLine-1]) + "…"
	}
	return line
}

// isErrorLine reports whether l reads "SomethingError: …", as Python
// exceptions print.
func isErrorLine(l string) bool {
	name, _, ok := strings.Cut(l, ": ")
	return ok && strings.HasSuffix(name, "Error") && !strings.ContainsAny(name, " \t\"'(")
}

// LibraryError explains why the native library could not be used. It
// matches ErrNoLibtorch. Error returns one line meant for users; Detail holds
// the dynamic loader's own messages, meant for a verbose log.
type LibraryError struct {
	Path   string // the library file that was found but failed, "" if none was found
	Reason string // one line: what is missing and how to fix it
	Detail string // the loader's messages for every place tried
}

func (e *LibraryError) Error() string { return e.Reason }

// Is reports whether target is ErrNoLibtorch.
func (e *LibraryError) Is(target error) bool { return target == ErrNoLibtorch }
