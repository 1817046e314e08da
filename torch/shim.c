// shim.c: opening the library and resolving its functions. See shim.h.
#include "shim.h"

#include <stdio.h>
#include <stdlib.h>

int dsg_open(const char *path, char *err, size_t errlen) {
	void *lib = dsg_dlopen(path, err, errlen);
	if (lib == NULL) return 1;
	// Resolve everything first and publish the table only when complete.
	void **found = malloc(dsg_nsyms * sizeof *found);
	if (found == NULL) {
		snprintf(err, errlen, "out of memory");
		return 1;
	}
	for (size_t i = 0; i < dsg_nsyms; i++) {
		found[i] = dsg_dlsym(lib, dsg_syms[i].name);
		if (found[i] == NULL) {
			snprintf(err, errlen, "missing function %s", dsg_syms[i].name);
			free(found);
			return 2;
		}
	}
	for (size_t i = 0; i < dsg_nsyms; i++) *dsg_syms[i].slot = found[i];
	free(found);
	return 0;
}
