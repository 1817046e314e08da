// shim.h: the cgo side of the run-time binding to libdrumsplit_torch.
//
// The Go binary does not link the library. dsg_open opens it (dlopen or
// LoadLibrary) and resolves every ds_* function into a table; the dsg_*
// wrappers call through that table, because Go cannot call C function
// pointers itself. Calling a wrapper before dsg_open succeeded is a bug of
// the Go package, which checks first.
//
// The table, the symbol list and the wrappers are generated from the
// library's header (shim_gen.h, shim_gen.c: `go generate ./torch`).
#ifndef DRUMSPLIT_SHIM_H
#define DRUMSPLIT_SHIM_H

#include "shim_gen.h"

// dsg_open opens the library at path (a file path, or a bare name for the
// system loader) and resolves its functions. It returns 0 on success; on
// failure, 1 if the library could not be opened (the loader's message in err)
// and 2 if a function is missing ("missing function NAME" in err).
int dsg_open(const char *path, char *err, size_t errlen);

// Platform part (dl_unix.c, dl_windows.c).
void *dsg_dlopen(const char *path, char *err, size_t errlen);
void *dsg_dlsym(void *lib, const char *name);

#endif
