package bench

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// DescribeHost fills the parts of a Machine that need no torch: OS, kernel,
// CPU, memory, environment, load average, and the NVIDIA driver version when
// nvidia-smi is installed. The caller adds Libtorch and the GPUs torch sees,
// then calls Finish.
func DescribeHost() Machine {
	m := Machine{
		OS:          runtime.GOOS,
		OSName:      runtime.GOOS,
		Arch:        runtime.GOARCH,
		CPU:         runtime.GOARCH + " CPU",
		LogicalCPUs: runtime.NumCPU(),
		GoVersion:   runtime.Version(),
		Environment: "native",
	}
	m.Host, _ = os.Hostname()
	switch runtime.GOOS {
	case "linux":
		describeLinux(&m)
	case "darwin":
		describeDarwin(&m)
	case "windows":
		if v := os.Getenv("PROCESSOR_IDENTIFIER"); v != "" {
			m.CPU = v
		}
	}
	m.LoadStart = LoadAverage()
	return m
}

func describeLinux(m *Machine) {
	if name := osRelease(); name != "" {
		m.OSName = name
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPU, m.PhysicalCores, m.CPUFreqMHz = parseCPUInfo(b, m.CPU)
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemoryBytes = memInfoField(b, "MemTotal:")
	}
	m.Environment = linuxEnvironment()
}

// osRelease returns PRETTY_NAME from /etc/os-release.
func osRelease() string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return ""
	}
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

// memInfoField returns a /proc/meminfo field in bytes.
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

// linuxEnvironment tells a container or WSL from a native system.
func linuxEnvironment() string {
	if b, err := os.ReadFile("/proc/version"); err == nil && bytes.Contains(bytes.ToLower(b), []byte("microsoft")) {
		return "wsl2"
	}
	if _, err := os.Stat("/.dockerenv"); err == nil {
		return "docker"
	}
	if _, err := os.Stat("/run/.containerenv"); err == nil {
		return "podman"
	}
	if b, err := os.ReadFile("/proc/1/cgroup"); err == nil {
		for _, s := range []string{"docker", "kubepods", "containerd", "libpod", "lxc"} {
			if bytes.Contains(b, []byte(s)) {
				return "container"
			}
		}
	}
	return "native"
}

func describeDarwin(m *Machine) {
	if v := sysctl("machdep.cpu.brand_string"); v != "" {
		m.CPU = v
	}
	if v := sysctl("hw.physicalcpu"); v != "" {
		m.PhysicalCores, _ = strconv.Atoi(v)
	}
	if v := sysctl("hw.memsize"); v != "" {
		m.MemoryBytes, _ = strconv.ParseInt(v, 10, 64)
	}
	if v := command("sw_vers", "-productVersion"); v != "" {
		m.OSName = "macOS " + v
	}
	m.Kernel = sysctl("kern.osrelease")
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

// NVIDIADriver returns the driver version nvidia-smi reports, or "".
func NVIDIADriver() string {
	out := command("nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader")
	v, _, _ := strings.Cut(out, "\n")
	return strings.TrimSpace(v)
}

// LoadAverage returns the system's load average (zeros where unknown).
func LoadAverage() Load {
	var l Load
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		if runtime.GOOS == "darwin" {
			// "{ 1.23 1.10 0.98 }"
			b = []byte(strings.Trim(sysctl("vm.loadavg"), "{} "))
		} else {
			return l
		}
	}
	f := strings.Fields(string(b))
	for i := 0; i < 3 && i < len(f); i++ {
		l[i], _ = strconv.ParseFloat(f[i], 64)
	}
	return l
}

// Finish records the end of a run on m: the load average now, whether the
// machine was shared (a load average above its CPU count at either end), and
// the slug.
func (m *Machine) Finish() {
	m.LoadEnd = LoadAverage()
	lim := float64(m.LogicalCPUs)
	m.Shared = lim > 0 && (m.LoadStart[0] > lim || m.LoadEnd[0] > lim || m.LoadEnd[1] > lim)
	m.Slug = Slug(*m)
}

// Slug returns a short, file-name-safe name for a machine: its OS, then its
// first GPU's name if it has one, else its CPU's, then the CPU count, e.g.
// "linux-nvidia-h200", "darwin-apple-m2-pro", "linux-xeon-2-20ghz-2c".
func Slug(m Machine) string {
	var parts []string
	parts = append(parts, m.OS)
	if len(m.GPUs) > 0 && m.GPUs[0].Name != "" {
		parts = append(parts, m.GPUs[0].Name)
	} else {
		parts = append(parts, m.CPU)
		if m.LogicalCPUs > 0 {
			parts = append(parts, strconv.Itoa(m.LogicalCPUs)+"c")
		}
	}
	return sanitize(strings.Join(parts, " "), 48)
}

// noise are words that make CPU names long without telling them apart.
var noise = map[string]bool{
	"(r)": true, "(tm)": true, "cpu": true, "processor": true, "@": true, "intel": true,
	"core": true, "amd": true, "with": true, "radeon": true, "graphics": true, "geforce": true,
	"corporation": true,
}

// sanitize lowercases s, drops noise words and keeps [a-z0-9] runs joined
// by single dashes, cut at max bytes on a dash boundary.
func sanitize(s string, max int) string {
	s = strings.ToLower(s)
	s = strings.NewReplacer("(r)", " ", "(tm)", " ", "®", " ", "™", " ").Replace(s)
	var words []string
	for _, w := range strings.Fields(s) {
		if noise[w] {
			continue
		}
		var b strings.Builder
		for _, r := range w {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				b.WriteRune(r)
			} else if b.Len() > 0 {
				b.WriteByte('-')
			}
		}
		if t := strings.Trim(b.String(), "-"); t != "" {
			words = append(words, t)
		}
	}
	out := strings.Join(words, "-")
	for strings.Contains(out, "--") {
		out = strings.ReplaceAll(out, "--", "-")
	}
	for len(out) > max {
		i := strings.LastIndexByte(out[:max], '-')
		if i <= 0 {
			out = out[:max]
			break
		}
		out = out[:i]
	}
	if out == "" {
		return "unknown"
	}
	return out
}
