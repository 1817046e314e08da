package torch

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"sync"
	"unsafe"
)

// maxDims is the highest tensor rank that crosses the C ABI.
const maxDims = C.DS_MAX_DIMS

// Module is a TorchScript module loaded on a device.
//
// A Module is safe for concurrent use: calls are serialised by a mutex, so
// goroutines sharing one module take turns (libtorch still uses several
// threads inside each call). For parallel throughput on the CPU, load one
// module per goroutine instead. Close waits for a running call to finish;
// calls after Close return an error matching ErrClosed.
type Module struct {
	mu      sync.Mutex
	nat     *native // nil once closed
	cleanup runtime.Cleanup
	dev     Device

	// Scratch reused by every Run, guarded by mu.
	shapes []*C.int64_t
	ndims  []C.size_t
	data   []*C.float
	pin    runtime.Pinner
}

// native holds everything allocated in C for a module. It is kept apart from
// Module so that a cleanup can free it when a Module is dropped unclosed.
type native struct {
	h       *C.ds_module
	err     *C.char            // error buffer of errLen bytes
	dims    *C.int64_t         // maxDims values for output shapes
	res     **C.ds_result      // where ds_module_run stores its result
	methods map[string]*C.char // method names as C strings
}

func (n *native) free() {
	C.dsg_module_free(n.h)
	C.free(unsafe.Pointer(n.err))
	C.free(unsafe.Pointer(n.dims))
	C.free(unsafe.Pointer(n.res))
	for _, s := range n.methods {
		C.free(unsafe.Pointer(s))
	}
}

// cname returns method as a C string, cached for the module's lifetime.
func (n *native) cname(method string) *C.char {
	s, ok := n.methods[method]
	if !ok {
		s = C.CString(method)
		n.methods[method] = s
	}
	return s
}

func (n *native) check(op string, rc C.ds_status) error {
	return errBuf{n.err}.check(op, rc)
}

// Load reads the TorchScript archive at path (saved by torch.jit.save) and
// moves it to the device. The module runs in inference mode, with its
// weights in the dtype the file stores until SetDType says otherwise.
func Load(path string, dev Device) (*Module, error) {
	if err := load(); err != nil {
		return nil, err
	}
	op := "load " + strconv.Quote(path)
	if st, err := os.Stat(path); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %w", op, err)
	} else if st.IsDir() {
		return nil, &Error{Op: op, Status: StatusIO, Msg: "is a folder, not a TorchScript file"}
	}
	n := &native{
		err:     (*C.char)(C.malloc(errLen)),
		dims:    (*C.int64_t)(C.malloc(maxDims * C.sizeof_int64_t)),
		res:     (**C.ds_result)(C.malloc(C.size_t(unsafe.Sizeof(uintptr(0))))),
		methods: map[string]*C.char{},
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	if err := n.check(op, C.dsg_module_load(cpath, C.int(dev.Type), C.int(dev.Index), &n.h, n.err, errLen)); err != nil {
		n.free() // n.h is still NULL: ds_module_free(NULL) is a no-op
		return nil, err
	}
	m := &Module{nat: n, dev: dev}
	m.cleanup = runtime.AddCleanup(m, (*native).free, n)
	return m, nil
}

// Device returns the device the module runs on.
func (m *Module) Device() Device { return m.dev }

// Close frees the module. It waits for a call in progress and may be called
// more than once; only the first call does anything.
func (m *Module) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.nat == nil {
		return nil
	}
	m.cleanup.Stop()
	m.nat.free()
	m.nat = nil
	return nil
}

// HasMethod reports whether the module has the method (e.g. "forward",
// "forward_spec"). It is false on a closed module.
func (m *Module) HasMethod(method string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.nat == nil {
		return false
	}
	return C.dsg_module_has_method(m.nat.h, m.nat.cname(method)) != 0
}

// SetDType converts the module's parameters and buffers, as they were
// loaded, to dt. Every conversion starts from the loaded values, so
// converting to Float16 and back to Float32 restores the file's weights bit
// for bit without reading it again; for that the first conversion keeps a
// copy of the loaded weights in host memory (on the CPU it shares them).
// Inputs and outputs stay float32: the module must cast them to its weights'
// dtype itself, as drumsplit models do. Not every device supports every
// dtype: fp16 and bf16 are meant for GPUs.
func (m *Module) SetDType(dt DType) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.nat == nil {
		return closedErr("convert to " + dt.String())
	}
	return m.nat.check("convert to "+dt.String(), C.dsg_module_to_dtype(m.nat.h, C.int(dt), m.nat.err, errLen))
}

// Run calls method on the inputs and returns its outputs: one tensor for a
// method returning a tensor, one per element for a tuple or list of tensors.
func (m *Module) Run(method string, inputs ...Tensor) ([]Tensor, error) {
	return m.RunInto(method, nil, inputs...)
}

// RunInto is Run writing its outputs into dst, reusing the Shape and Data
// slices of dst's elements where they are large enough, and appending
// tensors when there are more outputs than len(dst). It returns dst resized
// to the number of outputs. Calling it in a loop with the previous result
// allocates nothing on the Go side once the sizes settle.
func (m *Module) RunInto(method string, dst []Tensor, inputs ...Tensor) ([]Tensor, error) {
	// op is only built on failure: the success path allocates nothing.
	op := func() string { return "run " + method }
	for i, in := range inputs {
		if len(in.Shape) < 1 || len(in.Shape) > maxDims {
			return dst, &Error{Op: op(), Status: StatusInvalid,
				Msg: fmt.Sprintf("input %d has rank %d, want 1 to %d", i, len(in.Shape), maxDims)}
		}
		if err := in.check(); err != nil {
			return dst, &Error{Op: op(), Status: StatusInvalid, Msg: fmt.Sprintf("input %d: %v", i, err)}
		}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.nat == nil {
		return dst, closedErr(op())
	}
	m.shapes, m.ndims, m.data = m.shapes[:0], m.ndims[:0], m.data[:0]
	// The pointer arrays live in Go memory and point at Go memory: legal for
	// cgo only while every pointee is pinned. cgo checks the arrays' whole
	// backing store, so stale pointers from an earlier, longer call must not
	// linger there either.
	defer func() {
		m.pin.Unpin()
		clear(m.shapes[:cap(m.shapes)])
		clear(m.data[:cap(m.data)])
	}()
	for _, in := range inputs {
		m.pin.Pin(&in.Shape[0])
		var p *C.float
		if len(in.Data) > 0 {
			m.pin.Pin(&in.Data[0])
			p = (*C.float)(unsafe.Pointer(&in.Data[0]))
		}
		m.shapes = append(m.shapes, (*C.int64_t)(unsafe.Pointer(&in.Shape[0])))
		m.ndims = append(m.ndims, C.size_t(len(in.Shape)))
		m.data = append(m.data, p)
	}
	var shapes **C.int64_t
	var ndims *C.size_t
	var data **C.float
	if len(inputs) > 0 {
		shapes, ndims, data = &m.shapes[0], &m.ndims[0], &m.data[0]
	}
	// The result pointer is written to C memory: &local would escape to the
	// heap, one allocation per call.
	rc := C.dsg_module_run(m.nat.h, m.nat.cname(method), C.size_t(len(inputs)), shapes, ndims, data, m.nat.res,
		m.nat.err, errLen)
	if rc != C.DS_OK {
		return dst, m.nat.check(op(), rc)
	}
	res := *m.nat.res
	defer C.dsg_result_free(res)

	count := int(C.dsg_result_count(res))
	out := dst[:0]
	dims := unsafe.Slice((*int64)(unsafe.Pointer(m.nat.dims)), maxDims)
	for i := 0; i < count; i++ {
		var t Tensor
		if i < len(dst) {
			t = dst[i]
		}
		nd := int(C.dsg_result_shape(res, C.size_t(i), m.nat.dims, maxDims))
		if nd > maxDims {
			return dst, &Error{Op: op(), Status: StatusInvalid,
				Msg: fmt.Sprintf("output %d has rank %d, more than %d", i, nd, maxDims)}
		}
		t.Shape = append(t.Shape[:0], dims[:nd]...)
		n := t.Numel()
		if cap(t.Data) >= n {
			t.Data = t.Data[:n]
		} else {
			t.Data = make([]float32, n)
		}
		var p *C.float
		if n > 0 {
			p = (*C.float)(unsafe.Pointer(&t.Data[0]))
		}
		if rc := C.dsg_result_copy(res, C.size_t(i), p, C.size_t(n), m.nat.err, errLen); rc != C.DS_OK {
			return dst, m.nat.check(op(), rc)
		}
		out = append(out, t)
	}
	return out, nil
}

// PlanStats describes the module's memory plan for the inputs it ran on
// last (see SetMemoryPlanning).
func (m *Module) PlanStats() (PlanStats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	const op = "plan stats"
	if m.nat == nil {
		return PlanStats{}, closedErr(op)
	}
	var block, planned, fallback, recorded C.int64_t
	rc := C.dsg_module_plan_stats(m.nat.h, &block, &planned, &fallback, &recorded, m.nat.err, errLen)
	if err := m.nat.check(op, rc); err != nil {
		return PlanStats{}, err
	}
	return PlanStats{BlockBytes: int64(block), Planned: int64(planned), Fallback: int64(fallback), Recorded: int64(recorded)}, nil
}

// GraphOpt is a rewrite of a module's TorchScript graph for inference.
type GraphOpt int

// Graph rewrites. The values match ds_graph_opt in drumsplit_torch.h.
const (
	// GraphAsSaved leaves the graph as the file has it.
	GraphAsSaved GraphOpt = 0
	// GraphFrozen inlines the weights as constants and folds what it can
	// (torch.jit.freeze).
	GraphFrozen GraphOpt = 1
	// GraphInference freezes, then converts to oneDNN layouts where libtorch
	// expects a gain (torch.jit.optimize_for_inference).
	GraphInference GraphOpt = 2
)

// String returns "as saved", "frozen" or "inference".
func (o GraphOpt) String() string {
	switch o {
	case GraphAsSaved:
		return "as saved"
	case GraphFrozen:
		return "frozen"
	case GraphInference:
		return "inference"
	}
	return "GraphOpt(" + strconv.Itoa(int(o)) + ")"
}

// Optimize rewrites the module's graph with o, keeping every method. It must
// come before SetDType: a frozen module's weights are part of its graph, and
// SetDType on it fails with StatusUnsupported.
func (m *Module) Optimize(o GraphOpt) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	op := "optimise graph (" + o.String() + ")"
	if m.nat == nil {
		return closedErr(op)
	}
	return m.nat.check(op, C.dsg_module_optimize(m.nat.h, C.int(o), m.nat.err, errLen))
}
