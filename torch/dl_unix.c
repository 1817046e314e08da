//go:build unix

// dl_unix.c: opening the library with dlopen (Linux, macOS, BSDs).
#include "shim.h"

#include <dlfcn.h>
#include <stdio.h>

void *dsg_dlopen(const char *path, char *err, size_t errlen) {
	// RTLD_NOW: a missing libtorch symbol fails here, with a message, and
	// not later in the middle of a run. RTLD_LOCAL: libtorch's symbols stay
	// out of the global namespace of the Go process.
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		const char *msg = dlerror();
		snprintf(err, errlen, "%s", msg ? msg : "dlopen failed");
	}
	return lib;
}

void *dsg_dlsym(void *lib, const char *name) { return dlsym(lib, name); }
