package bench

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ParseInts reads a comma-separated list of positive integers such as
// "2,4,8" (spaces allowed), keeping the order given and dropping repeats.
func ParseInts(s string) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty list %q", s)
	}
	return out, nil
}

// ParseDevices flattens the values of a repeatable, comma-separated device
// flag ("cpu,cuda:0"), trimming blanks and dropping "auto" (nil: every
// available device).
func ParseDevices(vals []string) []string {
	var devices []string
	for _, d := range vals {
		for _, x := range strings.Split(d, ",") {
			if x = strings.TrimSpace(x); x != "" && x != "auto" {
				devices = append(devices, x)
			}
		}
	}
	return devices
}

// Precisions a grid can hold.
var precisions = []string{"fp32", "fp16", "bf16"}

// ParsePrecisions reads a comma-separated list of fp32, fp16 and bf16, or
// "auto" (nil: what each device supports, see DefaultPrecisions).
func ParsePrecisions(s string) ([]string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "auto" {
		return nil, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		switch f {
		case "float32", "float":
			f = "fp32"
		case "float16", "half":
			f = "fp16"
		case "bfloat16":
			f = "bf16"
		case "":
			continue
		}
		ok := false
		for _, p := range precisions {
			ok = ok || p == f
		}
		if !ok {
			return nil, fmt.Errorf("unknown precision %q (want fp32, fp16, bf16 or auto)", f)
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty precision list %q", s)
	}
	return out, nil
}

// DefaultPrecisions returns the precisions worth measuring on a device type
// ("cpu", "cuda", "mps"): fp32 on the CPU (libtorch's CPU convolutions have
// no fp16, and bf16 is slow without AVX-512 BF16 or AMX), fp32 and fp16 on
// GPUs.
func DefaultPrecisions(deviceType string) []string {
	if deviceType == "cpu" {
		return []string{"fp32"}
	}
	return []string{"fp32", "fp16"}
}

// Supported reports whether precision p can run on a device type: the CPU
// has no fp16 convolutions.
func Supported(deviceType, p string) bool {
	return !(deviceType == "cpu" && p == "fp16")
}

// Median returns the median of xs (the mean of the middle two for an even
// count), or 0 for none. xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
