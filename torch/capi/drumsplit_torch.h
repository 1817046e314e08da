/*
 * drumsplit_torch.h: the C ABI of libdrumsplit_torch, drumsplit's thin layer
 * over libtorch.
 *
 * Plain C so that any language (the Go package drumsplit/torch above all)
 * can call it through dlopen/dlsym or LoadLibrary/GetProcAddress.
 *
 * Conventions:
 *   - Every fallible function returns a ds_status and writes a NUL-terminated
 *     message into the caller's buffer err[0..errlen) on failure (err may be
 *     NULL when errlen is 0). There is no hidden "last error". The message
 *     is libtorch's own text where libtorch failed, which can span several
 *     lines (TorchScript tracebacks); callers pick the line they show.
 *   - No C++ exception ever leaves the library: c10::Error, std::exception and
 *     anything else are caught and turned into a status.
 *   - Handles are opaque. A ds_module may be used from any thread but not from
 *     two threads at once; callers serialise calls on one module.
 *   - Tensors cross the boundary as float32, C-contiguous, little-endian host
 *     memory. The library never keeps a pointer to caller memory after a call
 *     returns.
 *   - Devices are named by (type, index); index is ignored for CPU and MPS.
 *
 * Adding a function: declare it below as DS_API, with named parameters and
 * a comment; implement it in drumsplit_torch.cpp (fallible work inside
 * guard()); bump DS_ABI_VERSION if an existing signature or meaning
 * changed; run `go generate ./torch`. The Go binding's function table,
 * symbol list and dsg_* wrappers (torch/shim_gen.[ch]) are generated from
 * the DS_API declarations of this file, and torch/internal/abigen's
 * TestGenerated fails while they are stale. Then call dsg_<name> from Go.
 */
#ifndef DRUMSPLIT_TORCH_H
#define DRUMSPLIT_TORCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define DS_API __declspec(dllexport)
#else
#define DS_API __attribute__((visibility("default")))
#endif

/* DS_ABI_VERSION changes whenever a signature or a meaning changes. */
#define DS_ABI_VERSION 5

/* Status codes. Values are part of the ABI. */
typedef enum ds_status {
    DS_OK = 0,
    DS_ERR_INVALID = 1,     /* bad argument: NULL pointer, bad shape, wrong size, buffer too small */
    DS_ERR_TORCH = 2,       /* libtorch raised an error (model, shape, dtype mismatch, ...) */
    DS_ERR_OOM = 3,         /* a device or host allocation failed */
    DS_ERR_DEVICE = 4,      /* the requested device is not available in this build or machine */
    DS_ERR_NOT_FOUND = 5,   /* no such method */
    DS_ERR_UNSUPPORTED = 6, /* the operation does not exist for this device or libtorch */
    DS_ERR_IO = 7           /* the model file cannot be read or is not a TorchScript archive */
} ds_status;

/* Device types. Values are part of the ABI. */
typedef enum ds_device_type {
    DS_CPU = 0,
    DS_CUDA = 1,
    DS_MPS = 2
} ds_device_type;

/* Element types a module can be converted to. Values are part of the ABI. */
typedef enum ds_dtype {
    DS_FLOAT32 = 0,
    DS_FLOAT16 = 1,
    DS_BFLOAT16 = 2
} ds_dtype;

/* Graph optimisations of ds_module_optimize. Values are part of the ABI. */
typedef enum ds_graph_opt {
    DS_OPT_NONE = 0,     /* the graph as saved */
    DS_OPT_FREEZE = 1,   /* torch::jit::freeze: weights become constants, folded where possible */
    DS_OPT_INFERENCE = 2 /* freeze, then torch::jit::optimize_for_inference (oneDNN layouts) */
} ds_graph_opt;

/* Maximum rank of a tensor crossing the boundary. */
#define DS_MAX_DIMS 8

typedef struct ds_module ds_module; /* a loaded TorchScript module */
typedef struct ds_result ds_result; /* the outputs of one ds_module_run */

/* ---- library ---------------------------------------------------------- */

/* ds_abi_version returns DS_ABI_VERSION as compiled into the library. */
DS_API int ds_abi_version(void);
/* ds_version returns the library version, e.g. "0.1.0". Static storage. */
DS_API const char *ds_version(void);
/* ds_torch_version returns the libtorch version the library was built
 * against, e.g. "1.13.0", or "2.4.1+cuda12.4" for a CUDA build. Static
 * storage. */
DS_API const char *ds_torch_version(void);

/* ds_get_num_threads returns libtorch's intra-op thread count. */
DS_API int ds_get_num_threads(void);
/* ds_set_num_threads sets libtorch's intra-op thread count (n >= 1). */
DS_API ds_status ds_set_num_threads(int n, char *err, size_t errlen);

/* ds_set_profiling_executor chooses TorchScript's graph executor for the
 * methods first run after the call: on != 0 the profiling executor
 * (libtorch's default, which runs each method twice in a slow, profiled
 * way before it settles), 0 the simple executor (no profiling runs; the
 * library's default, set on every ds_module_load unless this was called).
 * The choice is process-wide. */
DS_API void ds_set_profiling_executor(int on);
/* ds_profiling_executor returns 1 if the profiling executor is in use. */
DS_API int ds_profiling_executor(void);

/* ds_quantized_engine selects libtorch's quantised CPU engine for int8
 * models, if none was selected by this call before, and writes its name
 * (NUL-terminated, truncated to namelen) to name: the first of "x86",
 * "fbgemm", "onednn", "qnnpack" that at::globalContext().supportedQEngines()
 * lists, or "none" when the libtorch has no quantised engine (then int8
 * models cannot run). ds_module_load calls it. */
DS_API ds_status ds_quantized_engine(char *name, size_t namelen, char *err, size_t errlen);

/* ---- devices ---------------------------------------------------------- */

/* ds_cuda_device_count returns the number of usable CUDA devices (0 when
 * libtorch has no CUDA or no GPU is visible). */
DS_API int ds_cuda_device_count(void);
/* ds_cuda_device_info fills name (NUL-terminated, truncated to namelen),
 * total and free memory in bytes for CUDA device index. Needs a CUDA
 * build (DS_ERR_UNSUPPORTED otherwise). */
DS_API ds_status ds_cuda_device_info(int index, char *name, size_t namelen, int64_t *total_bytes,
                                     int64_t *free_bytes, char *err, size_t errlen);
/* ds_mps_available reports whether Apple's Metal (MPS) device can be used. */
DS_API int ds_mps_available(void);

/* ds_synchronize waits until all queued work on the device has finished. */
DS_API ds_status ds_synchronize(int device_type, int index, char *err, size_t errlen);
/* ds_empty_cache returns cached, unused device memory to the driver. */
DS_API ds_status ds_empty_cache(int device_type, int index, char *err, size_t errlen);
/* ds_peak_memory stores the peak number of bytes allocated by libtorch on the
 * device since the last ds_reset_peak_memory (CUDA only; DS_ERR_UNSUPPORTED
 * elsewhere). */
DS_API ds_status ds_peak_memory(int device_type, int index, int64_t *bytes, char *err, size_t errlen);
/* ds_reset_peak_memory restarts peak tracking (CUDA only). */
DS_API ds_status ds_reset_peak_memory(int device_type, int index, char *err, size_t errlen);

/* ---- modules ---------------------------------------------------------- */

/* ds_module_load reads the TorchScript archive at path onto the CPU (the
 * file is opened once), puts the module in eval mode and moves it to the
 * device. *out is set on success only. A file that is no TorchScript archive
 * gives DS_ERR_IO. The quantised engine (ds_quantized_engine) is selected
 * before the archive is read, since quantised weights are packed for it as
 * they load; a quantised (int8) module asked for on a device other than the
 * CPU gives DS_ERR_UNSUPPORTED (libtorch's quantised kernels are CPU-only). */
DS_API ds_status ds_module_load(const char *path, int device_type, int index, ds_module **out, char *err,
                                size_t errlen);
/* ds_module_free releases a module; NULL is a no-op. */
DS_API void ds_module_free(ds_module *m);

/* ds_module_has_method returns 1 if the module has the method, else 0. */
DS_API int ds_module_has_method(const ds_module *m, const char *method);
/* ds_module_to_dtype converts the module's parameters and buffers, as they
 * were loaded, to dtype (a ds_dtype) on its device. The first call keeps
 * the loaded values (on the host) so that every later call converts from
 * them: fp32 -> fp16 -> fp32 gives back the fp32 weights bit for bit. */
DS_API ds_status ds_module_to_dtype(ds_module *m, int dtype, char *err, size_t errlen);

/* ds_module_optimize rewrites the module's graph for inference with opt (a
 * ds_graph_opt), keeping every method. It needs a module still in the
 * dtype it was loaded in (never passed to ds_module_to_dtype); afterwards
 * its weights are constants of the graph and ds_module_to_dtype fails with
 * DS_ERR_UNSUPPORTED. DS_OPT_NONE does nothing. */
DS_API ds_status ds_module_optimize(ds_module *m, int opt, char *err, size_t errlen);

/* ds_module_run calls method on n_inputs float32 tensors; input i has
 * ndims[i] dimensions (1..DS_MAX_DIMS) given by shapes[i][0..ndims[i]) and its
 * data at data[i]. Inputs are copied to the module's device as float32 (a
 * module converted to another dtype casts inside). The method must return a
 * tensor, or a tuple or list of tensors. On success *out holds the outputs,
 * still on the device; read them with ds_result_* and free with
 * ds_result_free. Out-of-memory is reported as DS_ERR_OOM. */
DS_API ds_status ds_module_run(ds_module *m, const char *method, size_t n_inputs, const int64_t *const *shapes,
                               const size_t *ndims, const float *const *data, ds_result **out, char *err,
                               size_t errlen);

/* ds_set_memory_planning turns the memory planning of CPU runs on (on != 0,
 * the default) or off, for runs that begin afterwards; process-wide. A
 * planning module records the allocations of a method's first run on
 * inputs of given shapes and serves later such runs from one block laid
 * out for them: resident memory close to what is live at once, and no
 * page faults after the first run. It never changes results. */
DS_API void ds_set_memory_planning(int on);
/* ds_memory_planning returns 1 if memory planning is on. */
DS_API int ds_memory_planning(void);
/* ds_module_plan_stats describes the module's plan for the inputs it ran
 * on last: the size of its block in bytes (0 while none is laid out), the
 * allocations of its runs served from the block and those planned for but
 * served elsewhere (since that key's first run), and how many runs were
 * recorded for it. Any pointer may be NULL. */
DS_API ds_status ds_module_plan_stats(const ds_module *m, int64_t *block_bytes, int64_t *planned,
                                      int64_t *fallback, int64_t *recorded, char *err, size_t errlen);

/* ds_result_count returns the number of output tensors. */
DS_API size_t ds_result_count(const ds_result *r);
/* ds_result_shape returns the rank of output i and writes up to maxdims of its
 * dimensions into dims; it returns 0 if i is out of range. */
DS_API size_t ds_result_shape(const ds_result *r, size_t i, int64_t *dims, size_t maxdims);
/* ds_result_copy converts output i to float32 and copies it, C-contiguous,
 * into dst, which must hold exactly n elements (the product of its shape). */
DS_API ds_status ds_result_copy(const ds_result *r, size_t i, float *dst, size_t n, char *err, size_t errlen);
/* ds_result_free releases the outputs; NULL is a no-op. */
DS_API void ds_result_free(ds_result *r);

#ifdef __cplusplus
}
#endif

#endif /* DRUMSPLIT_TORCH_H */
