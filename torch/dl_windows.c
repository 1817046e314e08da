// dl_windows.c: opening the library with LoadLibrary (Windows).
#include "shim.h"

#include <stdio.h>
#include <string.h>
#include <windows.h>

void *dsg_dlopen(const char *path, char *err, size_t errlen) {
	// For a full path, LOAD_WITH_ALTERED_SEARCH_PATH makes Windows look for
	// the library's own dependencies (torch_cpu.dll, c10.dll, ...) in its
	// directory first, as $ORIGIN does on Linux.
	DWORD flags = (strchr(path, '\\') != NULL || strchr(path, '/') != NULL) ? LOAD_WITH_ALTERED_SEARCH_PATH : 0;
	HMODULE lib = LoadLibraryExA(path, NULL, flags);
	if (lib == NULL) {
		DWORD code = GetLastError();
		char msg[512];
		DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code, 0, msg,
					 (DWORD)sizeof msg, NULL);
		while (n > 0 && (msg[n - 1] == '\r' || msg[n - 1] == '\n' || msg[n - 1] == ' ')) msg[--n] = '\0';
		snprintf(err, errlen, "%s: %s (error %lu)", path, n > 0 ? msg : "LoadLibrary failed", (unsigned long)code);
	}
	return (void *)lib;
}

void *dsg_dlsym(void *lib, const char *name) { return (void *)GetProcAddress((HMODULE)lib, name); }
