// shim.c: the function table behind shim.h. See shim.h.
#include "shim.h"

#include <stdio.h>
#include <string.h>

static struct {
	int (*abi_version)(void);
	const char *(*version)(void);
	const char *(*torch_version)(void);
	int (*get_num_threads)(void);
	ds_status (*set_num_threads)(int, char *, size_t);
	int (*cuda_device_count)(void);
	ds_status (*cuda_device_info)(int, char *, size_t, int64_t *, int64_t *, char *, size_t);
	int (*mps_available)(void);
	ds_status (*synchronize)(int, int, char *, size_t);
	ds_status (*empty_cache)(int, int, char *, size_t);
	ds_status (*peak_memory)(int, int, int64_t *, char *, size_t);
	ds_status (*reset_peak_memory)(int, int, char *, size_t);
	ds_status (*module_load)(const char *, int, int, ds_module **, char *, size_t);
	void (*module_free)(ds_module *);
	int (*module_has_method)(const ds_module *, const char *);
	ds_status (*module_to_dtype)(ds_module *, int, char *, size_t);
	ds_status (*module_run)(ds_module *, const char *, size_t, const int64_t *const *, const size_t *,
				const float *const *, ds_result **, char *, size_t);
	size_t (*result_count)(const ds_result *);
	size_t (*result_shape)(const ds_result *, size_t, int64_t *, size_t);
	ds_status (*result_copy)(const ds_result *, size_t, float *, size_t, char *, size_t);
	void (*result_free)(ds_result *);
} ds;

int dsg_open(const char *path, char *err, size_t errlen) {
	void *lib = dsg_dlopen(path, err, errlen);
	if (lib == NULL) return 1;
	// Resolve into a local table and publish it only when complete.
	struct {
		const char *name;
		void **slot;
	} syms[] = {
		{"ds_abi_version", (void **)&ds.abi_version},
		{"ds_version", (void **)&ds.version},
		{"ds_torch_version", (void **)&ds.torch_version},
		{"ds_get_num_threads", (void **)&ds.get_num_threads},
		{"ds_set_num_threads", (void **)&ds.set_num_threads},
		{"ds_cuda_device_count", (void **)&ds.cuda_device_count},
		{"ds_cuda_device_info", (void **)&ds.cuda_device_info},
		{"ds_mps_available", (void **)&ds.mps_available},
		{"ds_synchronize", (void **)&ds.synchronize},
		{"ds_empty_cache", (void **)&ds.empty_cache},
		{"ds_peak_memory", (void **)&ds.peak_memory},
		{"ds_reset_peak_memory", (void **)&ds.reset_peak_memory},
		{"ds_module_load", (void **)&ds.module_load},
		{"ds_module_free", (void **)&ds.module_free},
		{"ds_module_has_method", (void **)&ds.module_has_method},
		{"ds_module_to_dtype", (void **)&ds.module_to_dtype},
		{"ds_module_run", (void **)&ds.module_run},
		{"ds_result_count", (void **)&ds.result_count},
		{"ds_result_shape", (void **)&ds.result_shape},
		{"ds_result_copy", (void **)&ds.result_copy},
		{"ds_result_free", (void **)&ds.result_free},
	};
	void *found[sizeof syms / sizeof syms[0]];
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		found[i] = dsg_dlsym(lib, syms[i].name);
		if (found[i] == NULL) {
			snprintf(err, errlen, "missing function %s", syms[i].name);
			return 2;
		}
	}
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) *syms[i].slot = found[i];
	return 0;
}

int dsg_abi_version(void) { return ds.abi_version(); }
const char *dsg_version(void) { return ds.version(); }
const char *dsg_torch_version(void) { return ds.torch_version(); }
int dsg_get_num_threads(void) { return ds.get_num_threads(); }
ds_status dsg_set_num_threads(int n, char *err, size_t errlen) { return ds.set_num_threads(n, err, errlen); }
int dsg_cuda_device_count(void) { return ds.cuda_device_count(); }
ds_status dsg_cuda_device_info(int index, char *name, size_t namelen, int64_t *total_bytes, int64_t *free_bytes,
			       char *err, size_t errlen) {
	return ds.cuda_device_info(index, name, namelen, total_bytes, free_bytes, err, errlen);
}
int dsg_mps_available(void) { return ds.mps_available(); }
ds_status dsg_synchronize(int t, int i, char *err, size_t errlen) { return ds.synchronize(t, i, err, errlen); }
ds_status dsg_empty_cache(int t, int i, char *err, size_t errlen) { return ds.empty_cache(t, i, err, errlen); }
ds_status dsg_peak_memory(int t, int i, int64_t *bytes, char *err, size_t errlen) {
	return ds.peak_memory(t, i, bytes, err, errlen);
}
ds_status dsg_reset_peak_memory(int t, int i, char *err, size_t errlen) {
	return ds.reset_peak_memory(t, i, err, errlen);
}
ds_status dsg_module_load(const char *path, int t, int i, ds_module **out, char *err, size_t errlen) {
	return ds.module_load(path, t, i, out, err, errlen);
}
void dsg_module_free(ds_module *m) { ds.module_free(m); }
int dsg_module_has_method(const ds_module *m, const char *method) { return ds.module_has_method(m, method); }
ds_status dsg_module_to_dtype(ds_module *m, int dtype, char *err, size_t errlen) {
	return ds.module_to_dtype(m, dtype, err, errlen);
}
ds_status dsg_module_run(ds_module *m, const char *method, size_t n_inputs, const int64_t *const *shapes,
			 const size_t *ndims, const float *const *data, ds_result **out, char *err, size_t errlen) {
	return ds.module_run(m, method, n_inputs, shapes, ndims, data, out, err, errlen);
}
size_t dsg_result_count(const ds_result *r) { return ds.result_count(r); }
size_t dsg_result_shape(const ds_result *r, size_t i, int64_t *dims, size_t maxdims) {
	return ds.result_shape(r, i, dims, maxdims);
}
ds_status dsg_result_copy(const ds_result *r, size_t i, float *dst, size_t n, char *err, size_t errlen) {
	return ds.result_copy(r, i, dst, n, err, errlen);
}
void dsg_result_free(ds_result *r) { ds.result_free(r); }
