package host

import (
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseCPUInfo(t *testing.T) {
	info := []byte(`processor	: 0
model name	: Intel(R) Xeon(R)   Processor
physical id	: 0
core id		: 0
cpu MHz		: 2000.000

processor	: 1
model name	: Intel(R) Xeon(R)   Processor
physical id	: 0
core id		: 0
cpu MHz		: 3000.000

processor	: 2
model name	: Intel(R) Xeon(R)   Processor
physical id	: 0
core id		: 1
cpu MHz		: 2500.000
`)
	name, cores, mhz := parseCPUInfo(info, "fallback")
	if name != "Intel(R) Xeon(R) Processor" || cores != 2 || mhz != 2500 {
		t.Errorf("parseCPUInfo = %q, %d cores, %g MHz; want the name, 2 cores, 2500 MHz", name, cores, mhz)
	}
	if name, cores, _ := parseCPUInfo([]byte("processor : 0\n"), "amd64 CPU"); name != "amd64 CPU" || cores != 0 {
		t.Errorf("no model name: %q, %d cores; want the fallback and 0", name, cores)
	}
}

func TestMemInfoAndOSRelease(t *testing.T) {
	mem := []byte("MemTotal:       24576000 kB\nMemFree:  100 kB\nMemAvailable:   20480000 kB\n")
	if got := memInfoField(mem, "MemTotal:"); got != 24576000<<10 {
		t.Errorf("MemTotal = %d", got)
	}
	if got := memInfoField(mem, "SwapTotal:"); got != 0 {
		t.Errorf("absent field = %d, want 0", got)
	}
	rel := []byte("NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n")
	if got := osRelease(rel); got != "Debian GNU/Linux 12 (bookworm)" {
		t.Errorf("osRelease = %q", got)
	}
}

func TestParseCgroupFiles(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"max 100000\n", 0, false},
		{"150000 100000\n", 1.5, true},
		{"200000 100000", 2, true},
		{"50000 100000", 0.5, true},
		{"", 0, false},
		{"garbage", 0, false},
		{"-1 100000", 0, false},
		{"100000 0", 0, false},
	} {
		if got, ok := parseCPUMax([]byte(c.in)); got != c.want || ok != c.ok {
			t.Errorf("parseCPUMax(%q) = %g, %v; want %g, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	if got, ok := parseCFS([]byte("-1\n"), []byte("100000\n")); ok {
		t.Errorf("parseCFS(-1) = %g, want no limit", got)
	}
	if got, ok := parseCFS([]byte("250000\n"), []byte("100000\n")); !ok || got != 2.5 {
		t.Errorf("parseCFS(250000/100000) = %g, %v; want 2.5", got, ok)
	}
	v2, v1 := parseProcCgroup([]byte("12:pids:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/system.slice/x.service\n"))
	if v2 != "/system.slice/x.service" || v1 != "/docker/abc" {
		t.Errorf("parseProcCgroup = %q, %q", v2, v1)
	}
}

func TestCgroupCPULimit(t *testing.T) {
	for _, c := range []struct {
		name string
		fs   fstest.MapFS
		want float64
	}{
		{"no cgroup files", fstest.MapFS{}, 0},
		{"v2 unlimited", fstest.MapFS{
			"proc/self/cgroup":                                 {Data: []byte("0::/user.slice/session-1.scope\n")},
			"sys/fs/cgroup/user.slice/cpu.max":                 {Data: []byte("max 100000\n")},
			"sys/fs/cgroup/user.slice/session-1.scope/cpu.max": {Data: []byte("max 100000\n")},
		}, 0},
		{"v2 container, own cgroup mounted as root", fstest.MapFS{
			"proc/self/cgroup":      {Data: []byte("0::/\n")},
			"sys/fs/cgroup/cpu.max": {Data: []byte("150000 100000\n")},
		}, 1.5},
		{"v2 host path not under the mount", fstest.MapFS{
			"proc/self/cgroup":      {Data: []byte("0::/system.slice/docker-abc.scope\n")},
			"sys/fs/cgroup/cpu.max": {Data: []byte("300000 100000\n")},
		}, 3},
		{"v2 parent tighter than child", fstest.MapFS{
			"proc/self/cgroup":          {Data: []byte("0::/a/b\n")},
			"sys/fs/cgroup/a/cpu.max":   {Data: []byte("100000 100000\n")},
			"sys/fs/cgroup/a/b/cpu.max": {Data: []byte("400000 100000\n")},
		}, 1},
		{"v1 cpu,cpuacct", fstest.MapFS{
			"proc/self/cgroup": {Data: []byte("4:cpu,cpuacct:/docker/abc\n3:memory:/docker/abc\n")},
			"sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us":  {Data: []byte("50000\n")},
			"sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": {Data: []byte("100000\n")},
			"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us":             {Data: []byte("-1\n")},
			"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us":            {Data: []byte("100000\n")},
		}, 0.5},
	} {
		if got := cgroupCPULimit(c.fs); got != c.want {
			t.Errorf("%s: cgroupCPULimit = %g, want %g", c.name, got, c.want)
		}
	}
}

func TestUsableCPUs(t *testing.T) {
	for _, c := range []struct {
		affinity int
		quota    float64
		want     int
	}{
		{8, 0, 8},    // no quota: the affinity mask
		{8, 1.5, 2},  // --cpus=1.5 may use two CPUs part of the time
		{8, 0.25, 1}, // never below one
		{2, 16, 2},   // a quota above the mask does not add CPUs
		{4, 4, 4},
	} {
		if got := usableCPUs(c.affinity, c.quota); got != c.want {
			t.Errorf("usableCPUs(%d, %g) = %d, want %d", c.affinity, c.quota, got, c.want)
		}
	}
	if n := UsableCPUs(); n < 1 || n > runtime.NumCPU() {
		t.Errorf("UsableCPUs() = %d with %d CPUs in the affinity mask", n, runtime.NumCPU())
	}
}

func TestEnvironment(t *testing.T) {
	for _, c := range []struct {
		name string
		fs   fstest.MapFS
		want string
	}{
		{"native", fstest.MapFS{"proc/version": {Data: []byte("Linux version 6.1.0-18-amd64")}, "proc/1/cgroup": {Data: []byte("0::/init.scope\n")}}, "native"},
		{"wsl2", fstest.MapFS{"proc/version": {Data: []byte("Linux version 5.15.133.1-microsoft-standard-WSL2")}}, "wsl2"},
		{"docker", fstest.MapFS{".dockerenv": {}}, "docker"},
		{"podman", fstest.MapFS{"run/.containerenv": {}}, "podman"},
		{"kubernetes", fstest.MapFS{"proc/1/cgroup": {Data: []byte("11:cpu:/kubepods/burstable/pod1\n")}}, "container"},
	} {
		if got := environment(c.fs); got != c.want {
			t.Errorf("%s: environment = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestContainerGPUHint: the advice to start the container with a GPU is
// given only for a CUDA libtorch; a CPU-only one cannot use a GPU anyway.
func TestContainerGPUHint(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("containers are Linux's")
	}
	saved := root
	defer func() { root = saved }()

	root = fstest.MapFS{".dockerenv": {}}
	if h := ContainerGPUHint(false); h != "" {
		t.Errorf("CPU-only libtorch in a container: hint %q, want none", h)
	}
	if h := ContainerGPUHint(true); !strings.Contains(h, "--gpus all") {
		t.Errorf("CUDA libtorch in a container without GPU: hint %q, want --gpus all", h)
	}
	root = fstest.MapFS{".dockerenv": {}, "dev/nvidia0": {}}
	if h := ContainerGPUHint(true); h == "" || strings.Contains(h, "--gpus") {
		t.Errorf("GPU visible to the container: hint %q, want one about the driver", h)
	}
	root = fstest.MapFS{}
	if h := ContainerGPUHint(true); h != "" {
		t.Errorf("not in a container: hint %q, want none", h)
	}
}
