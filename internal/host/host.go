// Package host describes the machine drumsplit runs on: its CPU and how many
// cores this process may use, its memory, whether it runs in a container or
// WSL, and the NVIDIA driver. Everything is read from the system (/proc,
// /sys/fs/cgroup, sysctl, nvidia-smi) and falls back to zero values where a
// fact is unknown; nothing here needs libtorch.
//
// The parsers take file contents, so that tests feed them what a container,
// a cgroup v1 host or WSL would show instead of reading the real /sys.
package host

import (
	"bufio"
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Info describes the machine.
type Info struct {
	OS            string  // runtime.GOOS: linux, darwin, windows
	OSName        string  // e.g. "Debian GNU/Linux 12 (bookworm)", "macOS 14.4"; OS where unknown
	Kernel        string  // kernel release, "" where unknown
	Arch          string  // runtime.GOARCH
	CPU           string  // CPU model name, or "<arch> CPU"
	LogicalCPUs   int     // CPUs this process may use: affinity mask and cgroup quota (UsableCPUs)
	PhysicalCores int     // distinct physical cores, 0 where unknown
	CPUMHz        float64 // average current clock, 0 where unknown
	MemoryBytes   int64   // total memory, 0 where unknown
	Environment   string  // Environment()
}

// Describe returns what is known about this machine.
func Describe() Info {
	in := Info{
		OS: runtime.GOOS, OSName: runtime.GOOS, Arch: runtime.GOARCH,
		CPU: fallbackCPU, LogicalCPUs: UsableCPUs(), Environment: Environment(),
	}
	switch runtime.GOOS {
	case "linux":
		if name := osRelease(readFile(root, "etc/os-release")); name != "" {
			in.OSName = name
		}
		in.Kernel = strings.TrimSpace(string(readFile(root, "proc/sys/kernel/osrelease")))
		in.CPU, in.PhysicalCores, in.CPUMHz = parseCPUInfo(readFile(root, "proc/cpuinfo"), in.CPU)
		in.MemoryBytes, _ = Memory()
	case "darwin":
		if v := sysctl("machdep.cpu.brand_string"); v != "" {
			in.CPU = v
		}
		in.PhysicalCores, _ = strconv.Atoi(sysctl("hw.physicalcpu"))
		in.MemoryBytes, _ = strconv.ParseInt(sysctl("hw.memsize"), 10, 64)
		if v := command("sw_vers", "-productVersion"); v != "" {
			in.OSName = "macOS " + v
		}
		in.Kernel = sysctl("kern.osrelease")
	case "windows":
		if v := os.Getenv("PROCESSOR_IDENTIFIER"); v != "" {
			in.CPU = v
		}
	}
	return in
}

// fallbackCPU names the CPU where its model is unknown.
var fallbackCPU = runtime.GOARCH + " CPU"

// root is the file system the Linux facts are read from.
var root = os.DirFS("/")

// readFile returns the file's contents, or nil if it cannot be read.
func readFile(fsys fs.FS, name string) []byte {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil
	}
	return b
}

// CPUModel returns the CPU's model name, or "<arch> CPU" where unknown.
func CPUModel() string {
	switch runtime.GOOS {
	case "linux":
		name, _, _ := parseCPUInfo(readFile(root, "proc/cpuinfo"), fallbackCPU)
		return name
	case "darwin":
		if v := sysctl("machdep.cpu.brand_string"); v != "" {
			return v
		}
	case "windows":
		if v := os.Getenv("PROCESSOR_IDENTIFIER"); v != "" {
			return v
		}
	}
	return fallbackCPU
}

// Memory returns the machine's total and available memory in bytes (Linux
// only; 0, 0 elsewhere).
func Memory() (total, available int64) {
	b := readFile(root, "proc/meminfo")
	return memInfoField(b, "MemTotal:"), memInfoField(b, "MemAvailable:")
}

// osRelease returns PRETTY_NAME from the contents of /etc/os-release.
func osRelease(b []byte) string {
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"'`)
		}
	}
	return ""
}

// parseCPUInfo reads /proc/cpuinfo: the model name (or, on ARM, the
// hardware or implementer line), the number of distinct physical cores
// (0 when the file does not say) and the average clock in MHz.
func parseCPUInfo(b []byte, fallback string) (name string, cores int, mhz float64) {
	name = fallback
	type core struct{ pkg, id string }
	seen := map[core]bool{}
	var pkg, id string
	var sum float64
	var n int
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			if id != "" {
				seen[core{pkg, id}] = true
			}
			pkg, id = "", ""
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "model name", "Hardware":
			if name == fallback && v != "" {
				name = v
			}
		case "physical id":
			pkg = v
		case "core id":
			id = v
		case "cpu MHz":
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				sum += f
				n++
			}
		}
	}
	if id != "" {
		seen[core{pkg, id}] = true
	}
	if n > 0 {
		mhz = sum / float64(n)
	}
	return strings.Join(strings.Fields(name), " "), len(seen), mhz
}

// memInfoField returns a /proc/meminfo field ("MemTotal:", in kB there) in
// bytes, 0 if absent.
func memInfoField(b []byte, field string) int64 {
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == field {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// Load is the 1, 5 and 15 minute load average.
type Load [3]float64

// LoadAverage returns the system's load average (zeros where unknown).
func LoadAverage() Load {
	var l Load
	b := readFile(root, "proc/loadavg")
	if b == nil {
		if runtime.GOOS != "darwin" {
			return l
		}
		// "{ 1.23 1.10 0.98 }"
		b = []byte(strings.Trim(sysctl("vm.loadavg"), "{} "))
	}
	f := strings.Fields(string(b))
	for i := 0; i < 3 && i < len(f); i++ {
		l[i], _ = strconv.ParseFloat(f[i], 64)
	}
	return l
}

// NVIDIADriver returns the driver version nvidia-smi reports, or "".
func NVIDIADriver() string {
	out := command("nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader")
	v, _, _ := strings.Cut(out, "\n")
	return strings.TrimSpace(v)
}

func sysctl(name string) string { return command("sysctl", "-n", name) }

// command runs a short-lived informational command and returns its trimmed
// output, or "" if it is missing or fails.
func command(name string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
