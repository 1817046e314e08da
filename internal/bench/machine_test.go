package bench

import "testing"

func TestSlug(t *testing.T) {
	for _, c := range []struct {
		m    Machine
		want string
	}{
		{Machine{OS: "linux", CPU: "Intel(R) Xeon(R) CPU @ 2.20GHz", LogicalCPUs: 2}, "linux-xeon-2-20ghz-2c"},
		{Machine{OS: "linux", CPU: "AMD Ryzen 9 7950X 16-Core Processor", LogicalCPUs: 32}, "linux-ryzen-9-7950x-16-core-32c"},
		{Machine{OS: "darwin", CPU: "Apple M2 Pro", LogicalCPUs: 12, GPUs: []GPU{{Device: "mps", Name: "Apple Metal (MPS)"}}}, "darwin-apple-metal-mps"},
		{Machine{OS: "linux", CPU: "x", LogicalCPUs: 16, GPUs: []GPU{{Device: "cuda:0", Name: "NVIDIA H200"}}}, "linux-nvidia-h200"},
		{Machine{OS: "windows", CPU: "Intel64 Family 6 Model 85 Stepping 4, GenuineIntel ++ a very long name indeed that goes on", LogicalCPUs: 8},
			"windows-intel64-family-6-model-85-stepping-4"},
		{Machine{}, "unknown"},
	} {
		if got := Slug(c.m); got != c.want {
			t.Errorf("Slug(%q, %q) = %q, want %q", c.m.OS, c.m.CPU, got, c.want)
		}
		if got := Slug(c.m); len(got) > 48 {
			t.Errorf("Slug %q longer than 48", got)
		}
	}
}

func TestFinishShared(t *testing.T) {
	m := Machine{OS: "linux", CPU: "c", LogicalCPUs: 2, LoadStart: Load{1.5, 1, 1}}
	m.Finish()
	if m.Slug == "" {
		t.Error("Finish left the slug empty")
	}
	m.LoadStart = Load{2.5, 1, 1}
	m.Finish()
	if !m.Shared {
		t.Error("a load of 2.5 on 2 CPUs is not marked shared")
	}
}
