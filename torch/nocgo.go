//go:build !cgo

package torch

import "runtime"

// Without cgo there is no way to call libtorch: the package keeps its API so
// that programs build (cross-compiled, CGO_ENABLED=0), and every call that
// needs libtorch returns this error.
var errNoCgo = &LibraryError{
	Reason: "this drumsplit was built without cgo and cannot use libtorch: rebuild it with CGO_ENABLED=1 (`make`)",
	Detail: "built with CGO_ENABLED=0 for " + runtime.GOOS + "/" + runtime.GOARCH,
}

func load() error { return errNoCgo }

// Versions returns an error matching ErrNoLibtorch.
func Versions() (VersionInfo, error) { return VersionInfo{}, errNoCgo }

// SetThreads returns an error matching ErrNoLibtorch.
func SetThreads(n int) error { return errNoCgo }

// Threads returns an error matching ErrNoLibtorch.
func Threads() (int, error) { return 0, errNoCgo }

// Devices returns an error matching ErrNoLibtorch.
func Devices() ([]DeviceInfo, error) { return nil, errNoCgo }

// Available reports false: no device can be used without libtorch.
func Available(d Device) bool { return false }

// AutoDevice returns an error matching ErrNoLibtorch.
func AutoDevice() (Device, string, error) { return Device{}, "", errNoCgo }

// Synchronize returns an error matching ErrNoLibtorch.
func Synchronize(d Device) error { return errNoCgo }

// EmptyCache returns an error matching ErrNoLibtorch.
func EmptyCache(d Device) error { return errNoCgo }

// PeakMemory returns an error matching ErrNoLibtorch.
func PeakMemory(d Device) (int64, error) { return 0, errNoCgo }

// ResetPeakMemory returns an error matching ErrNoLibtorch.
func ResetPeakMemory(d Device) error { return errNoCgo }

// Module is a TorchScript module; without cgo none can be loaded.
type Module struct{}

// Load returns an error matching ErrNoLibtorch.
func Load(path string, dev Device) (*Module, error) { return nil, errNoCgo }

// Path returns "".
func (m *Module) Path() string { return "" }

// Device returns the zero Device.
func (m *Module) Device() Device { return Device{} }

// DType returns Float32.
func (m *Module) DType() DType { return Float32 }

// Close does nothing.
func (m *Module) Close() error { return nil }

// Metadata returns an error matching ErrClosed.
func (m *Module) Metadata(name string) ([]byte, error) { return nil, closedErr("metadata") }

// HasMethod returns false.
func (m *Module) HasMethod(method string) bool { return false }

// SetDType returns an error matching ErrClosed.
func (m *Module) SetDType(dt DType) error { return closedErr("convert") }

// SetCastInputs does nothing.
func (m *Module) SetCastInputs(on bool) {}

// Run returns an error matching ErrClosed.
func (m *Module) Run(method string, inputs ...Tensor) ([]Tensor, error) {
	return nil, closedErr("run " + method)
}

// RunInto returns an error matching ErrClosed.
func (m *Module) RunInto(method string, dst []Tensor, inputs ...Tensor) ([]Tensor, error) {
	return dst, closedErr("run " + method)
}
