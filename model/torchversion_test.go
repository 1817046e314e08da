package model

import "testing"

func TestTorchNewer(t *testing.T) {
	for _, c := range []struct {
		exported, runtime string
		newer, ok         bool
	}{
		{"2.8.0+cu128", "1.13.0", true, true},
		{"1.13.0a0", "1.13.0", false, true},
		{"1.13.1", "1.13.0", false, true}, // patch releases share the format
		{"1.14.0", "1.13.1", true, true},
		{"2.0.0", "2.4.1+cuda12.4", false, true},
		{"2.5.0", "2.4.1+cuda12.4", true, true},
		{"1.13.0", "2.8.0", false, true},
		{"10.0", "9.9", true, true},      // numbers, not strings
		{"1.9.0", "1.13.0", false, true}, // likewise
		{"", "1.13.0", false, false},     // older exports have no version
		{"2.8.0", "", false, false},
		{"garbage", "1.13.0", false, false},
		{"2", "1.13.0", false, false},
		{"2a.1", "1.13.0", false, false},
		{" 2.1.0 ", "1.13.0", true, true},
	} {
		newer, ok := TorchNewer(c.exported, c.runtime)
		if newer != c.newer || ok != c.ok {
			t.Errorf("TorchNewer(%q, %q) = %v, %v; want %v, %v", c.exported, c.runtime, newer, ok, c.newer, c.ok)
		}
	}
}
