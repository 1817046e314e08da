// shim.h: the cgo side of the run-time binding to libdrumsplit_torch.
//
// The Go binary does not link the library. dsg_open opens it (dlopen or
// LoadLibrary) and resolves every ds_* function into a table; the dsg_*
// wrappers call through that table, because Go cannot call C function
// pointers itself. Calling a wrapper before dsg_open succeeded is a bug of
// the Go package, which checks first.
#ifndef DRUMSPLIT_SHIM_H
#define DRUMSPLIT_SHIM_H

#include "capi/drumsplit_torch.h"

// dsg_open opens the library at path (a file path, or a bare name for the
// system loader) and resolves its functions. It returns 0 on success; on
// failure, 1 if the library could not be opened (the loader's message in err)
// and 2 if a function is missing ("missing function NAME" in err).
int dsg_open(const char *path, char *err, size_t errlen);

// Platform part (dl_unix.c, dl_windows.c).
void *dsg_dlopen(const char *path, char *err, size_t errlen);
void *dsg_dlsym(void *lib, const char *name);

int dsg_abi_version(void);
const char *dsg_version(void);
const char *dsg_torch_version(void);
int dsg_get_num_threads(void);
ds_status dsg_set_num_threads(int n, char *err, size_t errlen);
int dsg_cuda_device_count(void);
ds_status dsg_cuda_device_info(int index, char *name, size_t namelen, int64_t *total_bytes, int64_t *free_bytes,
                               char *err, size_t errlen);
int dsg_mps_available(void);
ds_status dsg_synchronize(int device_type, int index, char *err, size_t errlen);
ds_status dsg_empty_cache(int device_type, int index, char *err, size_t errlen);
ds_status dsg_peak_memory(int device_type, int index, int64_t *bytes, char *err, size_t errlen);
ds_status dsg_reset_peak_memory(int device_type, int index, char *err, size_t errlen);
ds_status dsg_module_load(const char *path, int device_type, int index, ds_module **out, char *err, size_t errlen);
void dsg_module_free(ds_module *m);
int dsg_module_has_method(const ds_module *m, const char *method);
ds_status dsg_module_to_dtype(ds_module *m, int dtype, char *err, size_t errlen);
ds_status dsg_module_run(ds_module *m, const char *method, size_t n_inputs, const int64_t *const *shapes,
                         const size_t *ndims, const float *const *data, ds_result **out, char *err,
                         size_t errlen);
size_t dsg_result_count(const ds_result *r);
size_t dsg_result_shape(const ds_result *r, size_t i, int64_t *dims, size_t maxdims);
ds_status dsg_result_copy(const ds_result *r, size_t i, float *dst, size_t n, char *err, size_t errlen);
void dsg_result_free(ds_result *r);

#endif
