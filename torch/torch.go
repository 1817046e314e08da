// Package torch runs TorchScript modules through libtorch on the CPU, CUDA
// GPUs or Apple's Metal (MPS).
//
// It is drumsplit's only cgo package, and it does not link libtorch: the
// first call that needs torch opens libdrumsplit_torch (our small C ABI over
// libtorch, built by `make lib` from torch/capi) with dlopen or LoadLibrary.
// A program using this package therefore builds and starts on machines
// without libtorch; calls that need it return an error matching
// ErrNoLibtorch that says what is missing and how to fix it.
//
// The library is searched for in this order:
//
//  1. $DRUMSPLIT_LIB, the path of the library file (nothing else is tried);
//  2. the directory of the running executable;
//  3. ../lib relative to that directory;
//  4. the bare file name, resolved by the system's dynamic loader.
//
// Tensors cross into and out of libtorch as float32 host memory (Tensor);
// a Module converts them to and from its device and dtype.
package torch

import (
	"fmt"
	"strconv"
	"strings"
)

// DeviceType is a kind of compute device.
type DeviceType int

// Device types. The values of the real ones match ds_device_type in
// drumsplit_torch.h.
const (
	CPU  DeviceType = 0 // the host CPU
	CUDA DeviceType = 1 // an NVIDIA GPU through CUDA
	MPS  DeviceType = 2 // Apple's Metal Performance Shaders
	// Auto stands for the best device available, which AutoDevice picks.
	// It is no device of its own: resolve it before Load.
	Auto DeviceType = -1
)

// String returns the device type as torch spells it: "cpu", "cuda", "mps",
// and "auto".
func (t DeviceType) String() string {
	switch t {
	case Auto:
		return "auto"
	case CPU:
		return "cpu"
	case CUDA:
		return "cuda"
	case MPS:
		return "mps"
	}
	return "DeviceType(" + strconv.Itoa(int(t)) + ")"
}

// Device is one compute device. Index selects among CUDA devices and is 0
// for the CPU and MPS.
type Device struct {
	Type  DeviceType
	Index int
}

// String returns the device in the form ParseDevice reads: "cpu", "mps",
// "cuda:0".
func (d Device) String() string {
	if d.Type == CUDA {
		return "cuda:" + strconv.Itoa(d.Index)
	}
	return d.Type.String()
}

// DeviceNameError reports a device name ParseDevice cannot read.
type DeviceNameError struct {
	Name string // as given
}

func (e *DeviceNameError) Error() string {
	return fmt.Sprintf("unknown device %q (valid: auto, cpu, cuda, cuda:N, mps)", e.Name)
}

// ParseDevice reads "auto", "cpu", "mps", "cuda" (device 0) or "cuda:N",
// in any case; anything else gives a *DeviceNameError. It does not check
// that the device exists (see Available), and "auto" gives a Device of
// type Auto, which AutoDevice resolves.
func ParseDevice(s string) (Device, error) {
	name, idx, hasIdx := strings.Cut(strings.ToLower(strings.TrimSpace(s)), ":")
	var d Device
	switch name {
	case "auto":
		d.Type = Auto
	case "cpu":
		d.Type = CPU
	case "cuda", "gpu":
		d.Type = CUDA
	case "mps":
		d.Type = MPS
	default:
		return Device{}, &DeviceNameError{Name: s}
	}
	if hasIdx {
		n, err := strconv.Atoi(idx)
		if err != nil || n < 0 || d.Type != CUDA && n != 0 {
			return Device{}, &DeviceNameError{Name: s}
		}
		d.Index = n
	}
	return d, nil
}

// DType is the element type a Module computes in. Inputs and outputs of Run
// are float32 whatever the DType.
type DType int

// Element types. The values match ds_dtype in drumsplit_torch.h.
const (
	Float32  DType = 0
	Float16  DType = 1
	BFloat16 DType = 2
)

// String returns "fp32", "fp16" or "bf16".
func (t DType) String() string {
	switch t {
	case Float32:
		return "fp32"
	case Float16:
		return "fp16"
	case BFloat16:
		return "bf16"
	}
	return "DType(" + strconv.Itoa(int(t)) + ")"
}

// Tensor is a dense float32 array in row-major (C) order: Data holds
// exactly the product of Shape values.
type Tensor struct {
	Shape []int64
	Data  []float32
}

// NewTensor returns a tensor of the given shape backed by data, or an error
// if len(data) does not match the shape.
func NewTensor(data []float32, shape ...int64) (Tensor, error) {
	t := Tensor{Shape: shape, Data: data}
	if err := t.check(); err != nil {
		return Tensor{}, err
	}
	return t, nil
}

// Numel returns the number of elements the shape describes (1 for no
// dimensions), or -1 if a dimension is negative.
func (t Tensor) Numel() int {
	n := 1
	for _, d := range t.Shape {
		if d < 0 {
			return -1
		}
		n *= int(d)
	}
	return n
}

func (t Tensor) check() error {
	if n := t.Numel(); n < 0 || n != len(t.Data) {
		return fmt.Errorf("shape %v needs %d values, have %d", t.Shape, max(n, 0), len(t.Data))
	}
	return nil
}

// PlanStats describes a module's memory plan for the inputs it ran on last
// (see SetMemoryPlanning).
type PlanStats struct {
	// BlockBytes is the size of the block later runs are served from; 0
	// while none is laid out (planning off, a device other than the CPU,
	// or the inputs' first run).
	BlockBytes int64
	// Planned counts the allocations served from a block and Fallback those
	// planned for but served by libtorch's allocator (the run strayed from
	// the plan, or the planned place was still in use), over every run on
	// these inputs.
	Planned, Fallback int64
	// Recorded counts the runs on these inputs whose allocations were
	// recorded to lay out a plan: 1 when the second run followed the first.
	Recorded int64
}
