package torch

//go:generate go run ./internal/abigen

/*
#cgo CFLAGS: -I${SRCDIR}
#cgo linux LDFLAGS: -ldl
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/drumsplit/drumsplit/internal/host"
)

// abiVersion is the DS_ABI_VERSION of the header this package is built
// with; the library must report the same.
const abiVersion = C.DS_ABI_VERSION

// errLen is the size of the error buffers handed to the C ABI: enough for
// libtorch's longer messages (TorchScript tracebacks), kept whole in
// Error.Detail.
const errLen = 8192

var lib struct {
	once sync.Once
	err  error
	path string // the file that was opened, or the bare name
}

// load opens the library once; every later call returns the same result.
func load() error {
	lib.once.Do(func() { lib.path, lib.err = open() })
	return lib.err
}

// open tries every candidate and resolves the ABI. A file that exists but
// fails to open (typically: libtorch missing under it) is remembered and
// reported in preference to "not found", because it is the real problem.
func open() (string, error) {
	paths, fromEnv := candidates()
	var details []string
	var broken, brokenMsg string
	errbuf := (*C.char)(C.malloc(errLen))
	defer C.free(unsafe.Pointer(errbuf))
	for _, p := range paths {
		isFile := filepath.Base(p) != p
		if isFile && !fromEnv && !fileExists(p) {
			continue // not there: no loader message worth keeping
		}
		cp := C.CString(p)
		rc := C.dsg_open(cp, errbuf, errLen)
		C.free(unsafe.Pointer(cp))
		if rc == 0 {
			if v := int(C.dsg_abi_version()); v != abiVersion {
				return "", &LibraryError{Path: p,
					Reason: fmt.Sprintf("%s has C ABI version %d, this drumsplit needs %d: rebuild it with `make lib`", p, v, abiVersion),
					Detail: fmt.Sprintf("ds_abi_version() = %d", v)}
			}
			return p, nil
		}
		msg := C.GoString(errbuf)
		if strings.Contains(msg, p) {
			details = append(details, msg)
		} else {
			details = append(details, p+": "+msg)
		}
		if broken != "" {
			continue
		}
		if exists := isFile && fileExists(p); rc == 2 || exists ||
			(!isFile && !strings.HasPrefix(msg, LibraryName)) {
			// Found, but it failed to load: libtorch (or another
			// dependency) is missing, or it is not our library.
			broken, brokenMsg = p, msg
		}
	}
	detail := strings.Join(details, "; ")
	switch {
	case broken != "" && strings.HasPrefix(brokenMsg, "missing function"):
		return "", &LibraryError{Path: broken, Detail: detail,
			Reason: fmt.Sprintf("%s is not a drumsplit native library of this version (%s): rebuild it with `make lib`", broken, brokenMsg)}
	case broken != "" && !dependencyMissing(broken, brokenMsg):
		return "", &LibraryError{Path: broken, Detail: detail,
			Reason: fmt.Sprintf("%s is not a loadable library for this system: rebuild it with `make lib`", broken)}
	case broken != "":
		return "", &LibraryError{Path: broken, Detail: detail,
			Reason: fmt.Sprintf("libtorch not found: %s needs libtorch, which could not be loaded; rebuild with `make lib` (set LIBTORCH=/path/to/libtorch to choose one)", broken)}
	case fromEnv:
		return "", &LibraryError{Detail: detail,
			Reason: fmt.Sprintf("native library not found: DRUMSPLIT_LIB=%s does not exist; build it with `make lib` or fix the path", paths[0])}
	}
	return "", &LibraryError{Detail: detail,
		Reason: fmt.Sprintf("native library %s not found next to drumsplit: build it with `make lib` (needs libtorch; set LIBTORCH=/path/to/libtorch) or set DRUMSPLIT_LIB to its path", LibraryName)}
}

// Versions opens the library if needed and returns its versions.
func Versions() (VersionInfo, error) {
	if err := load(); err != nil {
		return VersionInfo{}, err
	}
	return VersionInfo{
		Library:  C.GoString(C.dsg_version()),
		Libtorch: C.GoString(C.dsg_torch_version()),
		ABI:      int(C.dsg_abi_version()),
		Path:     lib.path,
	}, nil
}

// errBuf is a C error buffer for one call.
type errBuf struct{ p *C.char }

func newErrBuf() errBuf     { return errBuf{(*C.char)(C.malloc(errLen))} }
func (b errBuf) free()      { C.free(unsafe.Pointer(b.p)) }
func (b errBuf) c() *C.char { return b.p }

// check turns a C status into an *Error, or nil for DS_OK.
func (b errBuf) check(op string, rc C.ds_status) error {
	if rc == C.DS_OK {
		return nil
	}
	return newError(op, Status(rc), C.GoString(b.p))
}

// call runs f with a fresh error buffer after making sure the library is open.
func call(op string, f func(err *C.char) C.ds_status) error {
	if err := load(); err != nil {
		return err
	}
	b := newErrBuf()
	defer b.free()
	return b.check(op, f(b.c()))
}

// SetThreads sets the number of threads libtorch uses inside one operation
// on the CPU (torch.set_num_threads).
func SetThreads(n int) error {
	return call("set threads", func(e *C.char) C.ds_status { return C.dsg_set_num_threads(C.int(n), e, errLen) })
}

// Threads returns the number of threads libtorch uses inside one operation
// on the CPU.
func Threads() (int, error) {
	if err := load(); err != nil {
		return 0, err
	}
	return int(C.dsg_get_num_threads()), nil
}

// QuantizedEngine selects libtorch's quantised CPU engine, the one int8
// models run with, and returns its name: the first of "x86", "fbgemm",
// "onednn" and "qnnpack" this libtorch has, or "none" when it has none (int8
// models then fail to load). Load selects it too, before reading a model,
// since quantised weights are packed for the engine as they load.
func QuantizedEngine() (string, error) {
	if err := load(); err != nil {
		return "", err
	}
	var name [32]C.char
	if err := call("select the quantised engine", func(e *C.char) C.ds_status {
		return C.dsg_quantized_engine(&name[0], C.size_t(len(name)), e, errLen)
	}); err != nil {
		return "", err
	}
	return C.GoString(&name[0]), nil
}

// SetMemoryPlanning turns memory planning on (the package's default) or
// off for CPU runs that begin afterwards, process-wide. With it, a module
// records the allocations of a method's first run on inputs of given shapes
// and serves later runs on such inputs from one block laid out for them:
// malloc's arena keeps up to 2.4 times what a forward pass of an MDX23C
// network holds live at once, and tensors of 32 MiB and more are faulted in
// anew on every run, while the block is about what is live at once and stays
// resident. Results do not change: an allocation the plan does not foresee
// is served by libtorch's allocator as before.
func SetMemoryPlanning(on bool) error {
	if err := load(); err != nil {
		return err
	}
	v := 0
	if on {
		v = 1
	}
	C.dsg_set_memory_planning(C.int(v))
	return nil
}

// MemoryPlanning reports whether memory planning is on.
func MemoryPlanning() (bool, error) {
	if err := load(); err != nil {
		return false, err
	}
	return C.dsg_memory_planning() != 0, nil
}

// SetProfilingExecutor chooses TorchScript's graph executor for methods
// first run after the call, process-wide: on, libtorch's profiling executor,
// which runs every method twice in a slower, instrumented way before it
// settles; off (the package's default), the simple executor, which runs the
// graph as loaded from the first call. On the CPU the profiling executor's
// optimisations buy nothing for drumsplit's models, and its two slow calls
// delay the first chunk of every process.
func SetProfilingExecutor(on bool) error {
	if err := load(); err != nil {
		return err
	}
	v := 0
	if on {
		v = 1
	}
	C.dsg_set_profiling_executor(C.int(v))
	return nil
}

// ProfilingExecutor reports whether the profiling executor is in use.
func ProfilingExecutor() (bool, error) {
	if err := load(); err != nil {
		return false, err
	}
	return C.dsg_profiling_executor() != 0, nil
}

// Devices lists the usable devices: the CPU first, then every CUDA device,
// then MPS when available.
func Devices() ([]DeviceInfo, error) {
	if err := load(); err != nil {
		return nil, err
	}
	cpu := DeviceInfo{Device: Device{Type: CPU}, Name: host.CPUModel()}
	cpu.TotalMemory, cpu.FreeMemory = host.Memory()
	infos := []DeviceInfo{cpu}
	n := int(C.dsg_cuda_device_count())
	for i := 0; i < n; i++ {
		info, err := cudaInfo(i)
		if err != nil {
			return infos, err
		}
		infos = append(infos, info)
	}
	if C.dsg_mps_available() != 0 {
		infos = append(infos, DeviceInfo{Device: Device{Type: MPS}, Name: "Apple Metal (MPS)"})
	}
	return infos, nil
}

func cudaInfo(i int) (DeviceInfo, error) {
	info := DeviceInfo{Device: Device{Type: CUDA, Index: i}}
	name := (*C.char)(C.malloc(256))
	defer C.free(unsafe.Pointer(name))
	var total, free C.int64_t
	err := call("cuda device info", func(e *C.char) C.ds_status {
		return C.dsg_cuda_device_info(C.int(i), name, 256, &total, &free, e, errLen)
	})
	if err != nil {
		return info, err
	}
	info.Name, info.TotalMemory, info.FreeMemory = C.GoString(name), int64(total), int64(free)
	return info, nil
}

// Available reports whether the device can be used: the native library
// loads and the device exists in this libtorch and on this machine.
func Available(d Device) bool {
	if load() != nil {
		return false
	}
	switch d.Type {
	case CPU:
		return true
	case CUDA:
		return d.Index >= 0 && d.Index < int(C.dsg_cuda_device_count())
	case MPS:
		return C.dsg_mps_available() != 0
	}
	return false
}

// AutoDevice picks the device "auto" stands for: MPS when available, else
// the first CUDA device, else the CPU. The reason says why, in words meant
// for users, e.g. "no GPU: this libtorch 1.13.0 has no CUDA support".
func AutoDevice() (Device, string, error) {
	v, err := Versions()
	if err != nil {
		return Device{}, "", err
	}
	if C.dsg_mps_available() != 0 {
		return Device{Type: MPS}, "Apple Metal (MPS) is available", nil
	}
	if n := int(C.dsg_cuda_device_count()); n > 0 {
		why := "CUDA device 0 is available"
		if info, err := cudaInfo(0); err == nil {
			why = fmt.Sprintf("CUDA device 0 (%s) is available", info.Name)
		}
		if n > 1 {
			why += fmt.Sprintf(" (first of %d)", n)
		}
		return Device{Type: CUDA}, why, nil
	}
	why := "no GPU: no CUDA device is visible and MPS is not available"
	if !v.HasCUDA() && runtime.GOOS != "darwin" {
		why = fmt.Sprintf("no GPU: libtorch %s was built without CUDA", v.Libtorch)
	}
	return Device{Type: CPU}, why, nil
}

// Synchronize waits until all work queued on the device has finished, so
// that timings measure the work and not its submission.
func Synchronize(d Device) error {
	return call("synchronize", func(e *C.char) C.ds_status {
		return C.dsg_synchronize(C.int(d.Type), C.int(d.Index), e, errLen)
	})
}

// EmptyCache returns the device memory libtorch caches but no longer uses
// to the driver. It does nothing on the CPU.
func EmptyCache(d Device) error {
	return call("empty cache", func(e *C.char) C.ds_status {
		return C.dsg_empty_cache(C.int(d.Type), C.int(d.Index), e, errLen)
	})
}

// PeakMemory returns the most device memory libtorch has had allocated at
// once since ResetPeakMemory (or the start). Only CUDA tracks it; other
// devices return an error matching errors.ErrUnsupported.
func PeakMemory(d Device) (int64, error) {
	var n C.int64_t
	err := call("peak memory", func(e *C.char) C.ds_status {
		return C.dsg_peak_memory(C.int(d.Type), C.int(d.Index), &n, e, errLen)
	})
	return int64(n), err
}

// ResetPeakMemory restarts the tracking behind PeakMemory.
func ResetPeakMemory(d Device) error {
	return call("reset peak memory", func(e *C.char) C.ds_status {
		return C.dsg_reset_peak_memory(C.int(d.Type), C.int(d.Index), e, errLen)
	})
}
