package bench

import (
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/drumsplit/drumsplit/internal/host"
)

// DescribeHost fills the parts of a Machine that need no torch (package
// internal/host): OS, kernel, CPU, memory, environment and load average.
// The caller adds Libtorch and the GPUs torch sees, then calls Finish.
func DescribeHost() Machine {
	h := host.Describe()
	m := Machine{
		OS:            h.OS,
		OSName:        h.OSName,
		Kernel:        h.Kernel,
		Arch:          h.Arch,
		CPU:           h.CPU,
		LogicalCPUs:   h.LogicalCPUs,
		PhysicalCores: h.PhysicalCores,
		CPUFreqMHz:    h.CPUMHz,
		MemoryBytes:   h.MemoryBytes,
		GoVersion:     runtime.Version(),
		Environment:   h.Environment,
		LoadStart:     Load(host.LoadAverage()),
	}
	m.Host, _ = os.Hostname()
	return m
}

// Finish records the end of a run on m: the load average now, whether the
// machine was shared (a load average above its CPU count at either end), and
// the slug.
func (m *Machine) Finish() {
	m.LoadEnd = Load(host.LoadAverage())
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
