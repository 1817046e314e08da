package model

import (
	"strconv"
	"strings"
)

// TorchNewer reports whether exported, the torch version that wrote a model
// file (Info.TorchVersion, e.g. "2.8.0+cu128"), is a newer release than
// runtime, the libtorch that is to run it (e.g. "1.13.0" or
// "2.4.1+cuda12.4"). TorchScript files load in a libtorch at least as new as
// the torch that saved them; a newer one's file may fail to load, or load
// and use operators whose meaning changed.
//
// Only major and minor versions count: patch releases do not change the
// TorchScript format. Local and pre-release suffixes ("+cu128", "a0") are
// ignored. ok is false when either version cannot be read (older exports
// have none), and newer is then false.
func TorchNewer(exported, runtime string) (newer, ok bool) {
	e, ok1 := majorMinor(exported)
	r, ok2 := majorMinor(runtime)
	if !ok1 || !ok2 {
		return false, false
	}
	if e[0] != r[0] {
		return e[0] > r[0], true
	}
	return e[1] > r[1], true
}

// majorMinor reads the leading "MAJOR.MINOR" of a torch version string.
func majorMinor(v string) ([2]int, bool) {
	v = strings.TrimSpace(v)
	if i := strings.IndexAny(v, "+ "); i >= 0 {
		v = v[:i]
	}
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return [2]int{}, false
	}
	var out [2]int
	for i := 0; i < 2; i++ {
		p := parts[i]
		// "13a0": the release's pre-release tag follows its digits.
		n := 0
		for n < len(p) && p[n] >= '0' && p[n] <= '9' {
			n++
		}
		if n == 0 || (i == 0 && n != len(p)) {
			return [2]int{}, false
		}
		x, err := strconv.Atoi(p[:n])
		if err != nil {
			return [2]int{}, false
		}
		out[i] = x
	}
	return out, true
}
