package torch

import (
	"bytes"
	"os"
	"runtime"
)

// ContainerGPUHint returns one line of advice when this process runs in a
// Linux container and libtorch sees no GPU, or "" otherwise. Users of
// Docker on Windows/WSL2 and Linux most often lose the GPU by starting the
// container without one, which looks just like a CPU-only machine.
func ContainerGPUHint() string {
	if runtime.GOOS != "linux" || !InContainer() {
		return ""
	}
	if _, err := os.Stat("/dev/nvidia0"); err == nil {
		return "running in a container that can see an NVIDIA GPU, but this libtorch cannot use it " +
			"(a CPU-only libtorch build?)"
	}
	return "running in a container and no GPU is visible: start it with `docker run --gpus all …`, " +
		"or give the compose service a device reservation (deploy.resources.reservations.devices: " +
		"[{driver: nvidia, count: all, capabilities: [gpu]}]), with the NVIDIA Container Toolkit on the host"
}

// InContainer reports whether this process seems to run inside a Docker,
// Podman or Kubernetes container.
func InContainer() bool {
	for _, f := range []string{"/.dockerenv", "/run/.containerenv"} {
		if _, err := os.Stat(f); err == nil {
			return true
		}
	}
	b, err := os.ReadFile("/proc/1/cgroup")
	if err != nil {
		return false
	}
	for _, s := range []string{"docker", "kubepods", "containerd", "libpod", "lxc"} {
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}
