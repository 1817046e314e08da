package host

import (
	"io/fs"
	"math"
	"path"
	"runtime"
	"strconv"
	"strings"
)

// UsableCPUs returns the number of CPUs this process may use: the CPUs of
// its affinity mask (runtime.NumCPU, taken at start-up), capped by the CPU
// quota of its cgroup rounded up (a container started with --cpus=1.5 may
// use 2). It is at least 1.
func UsableCPUs() int {
	return usableCPUs(runtime.NumCPU(), cgroupCPULimit(root))
}

// usableCPUs caps the affinity count by a quota in CPUs (0: no quota).
func usableCPUs(affinity int, quota float64) int {
	n := max(affinity, 1)
	if quota > 0 {
		n = min(n, max(int(math.Ceil(quota)), 1))
	}
	return n
}

// cgroupCPULimit returns the CPU quota, in CPUs, of this process's cgroup
// and its ancestors (the tightest one applies), or 0 when there is none. It
// reads cgroup v2's cpu.max, or v1's cpu.cfs_quota_us and cpu.cfs_period_us,
// under sys/fs/cgroup of fsys, for the cgroup /proc/self/cgroup names.
func cgroupCPULimit(fsys fs.FS) float64 {
	v2, v1 := parseProcCgroup(readFile(fsys, "proc/self/cgroup"))
	limit := 0.0
	tighten := func(q float64, ok bool) {
		if ok && (limit == 0 || q < limit) {
			limit = q
		}
	}
	if v2 != "" {
		for _, dir := range ancestors("sys/fs/cgroup", v2) {
			tighten(parseCPUMax(readFile(fsys, dir+"/cpu.max")))
		}
	}
	if v1 != "" {
		// The cpu controller is mounted on its own or together with cpuacct.
		for _, mount := range []string{"sys/fs/cgroup/cpu,cpuacct", "sys/fs/cgroup/cpu"} {
			for _, dir := range ancestors(mount, v1) {
				tighten(parseCFS(readFile(fsys, dir+"/cpu.cfs_quota_us"), readFile(fsys, dir+"/cpu.cfs_period_us")))
			}
		}
	}
	return limit
}

// parseProcCgroup returns the cgroup v2 path ("0::/path") and the v1 path of
// the cpu controller ("4:cpu,cpuacct:/path") from /proc/self/cgroup; ""
// for either that is absent.
func parseProcCgroup(b []byte) (v2, v1 string) {
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "/") {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			v2 = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == "cpu" {
				v1 = parts[2]
			}
		}
	}
	return v2, v1
}

// ancestors returns mount/p and the directories above it up to mount. A
// process in a container often sees its cgroup path as on the host while
// the container's own cgroup is mounted as the root, so the mount itself
// is always among them.
func ancestors(mount, p string) []string {
	var dirs []string
	for p = path.Clean(p); ; p = path.Dir(p) {
		dirs = append(dirs, strings.TrimSuffix(mount+p, "/"))
		if p == "/" {
			return dirs
		}
	}
}

// parseCPUMax reads cgroup v2's cpu.max, "QUOTA PERIOD" in microseconds or
// "max PERIOD", as a number of CPUs; ok is false for no limit or a file
// that cannot be read.
func parseCPUMax(b []byte) (cpus float64, ok bool) {
	f := strings.Fields(string(b))
	if len(f) != 2 || f[0] == "max" {
		return 0, false
	}
	return quota(f[0], f[1])
}

// parseCFS reads cgroup v1's cpu.cfs_quota_us (-1: no limit) and
// cpu.cfs_period_us as a number of CPUs.
func parseCFS(quotaUS, periodUS []byte) (cpus float64, ok bool) {
	return quota(strings.TrimSpace(string(quotaUS)), strings.TrimSpace(string(periodUS)))
}

func quota(q, p string) (float64, bool) {
	qv, err1 := strconv.ParseInt(q, 10, 64)
	pv, err2 := strconv.ParseInt(p, 10, 64)
	if err1 != nil || err2 != nil || qv <= 0 || pv <= 0 {
		return 0, false
	}
	return float64(qv) / float64(pv), true
}
