//go:build !linux

package torch

import "runtime"

// hostInfo returns a generic CPU name; memory sizes are unknown (0) off Linux.
func hostInfo() (name string, total, free int64) {
	return runtime.GOARCH + " CPU", 0, 0
}
