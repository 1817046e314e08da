package torch

import (
	"errors"
	"strconv"
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
// an unknown method. Msg is one line and starts with the operation, e.g.
// "run forward: input 0 has shape [2 3] (6 values), have 5 values".
type Error struct {
	Op     string // "load", "run forward", "metadata", ...
	Status Status
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

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
