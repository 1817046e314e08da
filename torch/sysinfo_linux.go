package torch

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// hostInfo returns the CPU's model name and the machine's total and
// available memory in bytes, from /proc (0 where unknown).
func hostInfo() (name string, total, free int64) {
	name = runtime.GOARCH + " CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if ok && strings.TrimSpace(k) == "model name" {
				name = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 2 {
				continue
			}
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				continue
			}
			switch fields[0] {
			case "MemTotal:":
				total = kb << 10
			case "MemAvailable:":
				free = kb << 10
			}
		}
		f.Close()
	}
	return name, total, free
}
