package host

import (
	"bytes"
	"io/fs"
	"runtime"
)

// Environment says how this process runs: "wsl2" (Windows' Linux VM,
// which Docker Desktop's containers share), "docker", "podman",
// "container" (another engine, Kubernetes, LXC), or "native".
func Environment() string {
	if runtime.GOOS != "linux" {
		return "native"
	}
	return environment(root)
}

func environment(fsys fs.FS) string {
	if bytes.Contains(bytes.ToLower(readFile(fsys, "proc/version")), []byte("microsoft")) {
		return "wsl2"
	}
	if c := container(fsys); c != "" {
		return c
	}
	return "native"
}

// InContainer reports whether this process seems to run inside a Docker,
// Podman, Kubernetes or LXC container (on WSL2 too).
func InContainer() bool {
	return runtime.GOOS == "linux" && container(root) != ""
}

// container returns the kind of container fsys belongs to, or "".
func container(fsys fs.FS) string {
	if exists(fsys, ".dockerenv") {
		return "docker"
	}
	if exists(fsys, "run/.containerenv") {
		return "podman"
	}
	b := readFile(fsys, "proc/1/cgroup")
	for _, s := range []string{"docker", "kubepods", "containerd", "libpod", "lxc"} {
		if bytes.Contains(b, []byte(s)) {
			return "container"
		}
	}
	return ""
}

func exists(fsys fs.FS, name string) bool {
	_, err := fs.Stat(fsys, name)
	return err == nil
}

// ContainerGPUHint returns one line of advice for a process that found no
// usable GPU, or "" when there is none to give. Users of Docker (on Linux,
// or Windows through WSL2) most often lose the GPU by starting the
// container without one, which looks just like a machine without a GPU.
// cudaBuild says whether libtorch was built with CUDA: a CPU-only libtorch
// cannot use a GPU however the container is started, so then there is no
// advice.
func ContainerGPUHint(cudaBuild bool) string {
	if !cudaBuild || !InContainer() {
		return ""
	}
	return containerGPUHint(root)
}

// containerGPUHint is the advice for a container whose CUDA libtorch sees
// no GPU.
func containerGPUHint(fsys fs.FS) string {
	if exists(fsys, "dev/nvidia0") {
		return "the container can see an NVIDIA GPU (/dev/nvidia0) but libtorch cannot use it: " +
			"the host's NVIDIA driver may be too old for libtorch's CUDA version"
	}
	return "running in a container and no GPU is visible: start it with `docker run --gpus all …`, " +
		"or give the compose service a device reservation (deploy.resources.reservations.devices: " +
		"[{driver: nvidia, count: all, capabilities: [gpu]}]), with the NVIDIA Container Toolkit on the host"
}
