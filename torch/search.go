package torch

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// LibraryName is the file name of the native library on this system.
var LibraryName = func() string {
	switch runtime.GOOS {
	case "windows":
		return "drumsplit_torch.dll"
	case "darwin", "ios":
		return "libdrumsplit_torch.dylib"
	}
	return "libdrumsplit_torch.so"
}()

// candidates returns the places to try, in order, and whether they came from
// $DRUMSPLIT_LIB.
func candidates() ([]string, bool) {
	if p := os.Getenv("DRUMSPLIT_LIB"); p != "" {
		return []string{p}, true
	}
	var c []string
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		dir := filepath.Dir(exe)
		c = append(c, filepath.Join(dir, LibraryName), filepath.Join(dir, "..", "lib", LibraryName))
	}
	return append(c, LibraryName), false
}

// dependencyMissing tells from the loader's message whether the library at
// p itself is unloadable (wrong format or architecture) or one of its
// dependencies, libtorch in practice, is missing. glibc names the file at
// fault first; macOS says "Library not loaded" for a dependency; Windows
// reports error 126 (module not found) for an existing file whose
// dependency is missing.
func dependencyMissing(p, msg string) bool {
	if strings.Contains(msg, "Library not loaded") || strings.Contains(msg, "(error 126)") {
		return true
	}
	return !strings.HasPrefix(msg, p+":") && !strings.Contains(msg, "("+p+",")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Loaded opens the native library if that has not been tried yet and
// reports whether it is usable. The error, if any, matches ErrNoLibtorch.
func Loaded() error { return load() }

// VersionInfo describes the native library in use.
type VersionInfo struct {
	Library  string // libdrumsplit_torch's version
	Libtorch string // the libtorch it was built against, e.g. "2.4.1+cuda12.4"
	ABI      int    // its C ABI version
	Path     string // where it was loaded from (a bare name: the system loader found it)
}

// HasCUDA reports whether libtorch was built with CUDA.
func (v VersionInfo) HasCUDA() bool { return strings.Contains(v.Libtorch, "+cuda") }

// DeviceInfo describes one usable device. Memory sizes are in bytes; 0 means
// unknown (MPS shares the machine's memory and reports none).
type DeviceInfo struct {
	Device      Device
	Name        string
	TotalMemory int64
	FreeMemory  int64
}

// closedErr is returned by calls on a closed module.
func closedErr(op string) error {
	return fmt.Errorf("%s: %w", op, ErrClosed)
}
