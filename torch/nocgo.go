//go:build !cgo

package torch

import "runtime"

// Without cgo there is no way to call libtorch: the package keeps its API so
// that programs build (cross-compiled, CGO_ENABLED=0), and every call that
// needs libtorch returns this error (see nocgo_gen.go).
var errNoCgo = &LibraryError{
	Reason: "this drumsplit was built without cgo and cannot use libtorch: rebuild it with CGO_ENABLED=1 (`make`)",
	Detail: "built with CGO_ENABLED=0 for " + runtime.GOOS + "/" + runtime.GOARCH,
}

func load() error { return errNoCgo }
