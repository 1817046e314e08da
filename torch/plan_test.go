package torch

import (
	"math"
	"runtime"
	"syscall"
	"testing"
)

// withPlanning sets memory planning for the test and restores it after.
func withPlanning(t *testing.T, on bool) {
	t.Helper()
	was, err := MemoryPlanning()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { SetMemoryPlanning(was) })
	if err := SetMemoryPlanning(on); err != nil {
		t.Fatal(err)
	}
}

// bigConvInput is an input for conv.pt whose tensors are planned: the
// input's copy is 16 MiB, the convolution's output and tanh's 32 MiB each,
// sizes glibc maps and unmaps on every run.
func bigConvInput() Tensor {
	const B, L = 8, 1 << 18
	in := Tensor{Shape: []int64{B, 2, L}, Data: make([]float32, B*2*L)}
	for i := range in.Data {
		in.Data[i] = float32(math.Sin(float64(i) * 0.001))
	}
	return in
}

// runCopy runs method on in and returns a copy of the first output.
func runCopy(t *testing.T, m *Module, method string, in Tensor) []float32 {
	t.Helper()
	out, err := m.Run(method, in)
	if err != nil {
		t.Fatal(err)
	}
	return out[0].Data
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// minorFaults returns the page faults this process has taken so far.
func minorFaults(t *testing.T) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Skip("no getrusage:", err)
	}
	return int64(ru.Minflt)
}

// TestMemoryPlanning runs conv.pt on a large input: the first run is
// recorded, later ones are served from the block, with the unplanned
// results bit for bit. Served from one resident block, planned runs fault
// no pages in; with malloc, every tensor of 32 MiB or more is mapped afresh
// and faulted in on every run.
func TestMemoryPlanning(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("memory planning and page-fault counts: Linux")
	}
	m := loadT(t, "conv.pt")
	in := bigConvInput()
	withPlanning(t, false)
	want := runCopy(t, m, "forward", in)
	if s, err := m.PlanStats(); err != nil || s != (PlanStats{}) {
		t.Fatalf("planning off: PlanStats() = %+v, %v; want zero", s, err)
	}

	if err := SetMemoryPlanning(true); err != nil {
		t.Fatal(err)
	}
	for run := range 2 { // recorded, then the block is laid out
		if got := runCopy(t, m, "forward", in); !sameBits(got, want) {
			t.Fatalf("run %d with planning differs from the run without", run)
		}
	}
	const runs = 4
	dst, err := m.RunInto("forward", nil, in)
	if err != nil {
		t.Fatal(err)
	}
	faults := minorFaults(t)
	for range runs {
		if dst, err = m.RunInto("forward", dst, in); err != nil {
			t.Fatal(err)
		}
	}
	faults = minorFaults(t) - faults
	if !sameBits(dst[0].Data, want) {
		t.Fatal("the last planned run differs from the run without planning")
	}
	s, err := m.PlanStats()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("plan: %+v; %d page faults in %d planned runs", s, faults, runs)
	if s.Recorded != 1 || s.Fallback != 0 || s.Planned < runs+1 || s.BlockBytes <= 0 {
		t.Errorf("PlanStats() = %+v; want 1 recorded run, a block, no fallback, at least one planned allocation per run", s)
	}
	// The output is planned too: the run lasts until the caller has copied
	// it and freed it. Unplanned, every tensor of 32 MiB or more is mapped
	// afresh and faulted in, 32,771 pages per run here.
	if limit := int64(runs * 256); faults > limit {
		t.Errorf("%d planned runs faulted %d pages in, want at most %d", runs, faults, limit)
	}
}

// TestPlanStrays runs branch.pt, whose allocations depend on the sign of the
// input's sum, alternating inputs of one shape: every run must give what it
// gives unplanned, whether it follows the plan, strays from it, or runs
// after planning gave up on the inputs.
func TestPlanStrays(t *testing.T) {
	m := loadT(t, "branch.pt")
	const n = 1 << 18 // 1 MiB: planned
	pos := Tensor{Shape: []int64{4, n / 4}, Data: make([]float32, n)}
	neg := Tensor{Shape: []int64{4, n / 4}, Data: make([]float32, n)}
	for i := range pos.Data {
		v := float32(math.Sin(float64(i)*0.01)) + 0.5
		pos.Data[i], neg.Data[i] = v, -v
	}
	withPlanning(t, false)
	wantPos := runCopy(t, m, "forward", pos)
	wantNeg := runCopy(t, m, "forward", neg)
	if err := SetMemoryPlanning(true); err != nil {
		t.Fatal(err)
	}
	seq := "ppp" + "n" + "pp" + "nnn" + "pnpnpnpn" + "ppp"
	for i, c := range seq {
		in, want := pos, wantPos
		if c == 'n' {
			in, want = neg, wantNeg
		}
		if got := runCopy(t, m, "forward", in); !sameBits(got, want) {
			t.Fatalf("run %d (%c) differs from the run without planning", i, c)
		}
	}
	s, err := m.PlanStats()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("plan after %q: %+v", seq, s)
	if s.Recorded < 2 || s.Fallback == 0 {
		t.Errorf("PlanStats() = %+v; want runs that strayed (fallbacks) and recorded again", s)
	}
	if s.Recorded > 3 {
		t.Errorf("PlanStats() = %+v; recorded more than 3 times for one shape", s)
	}

}

// TestPlanShapes alternates two input shapes, as a track's last, shorter
// batch does: each shape keeps its plan, recorded once.
func TestPlanShapes(t *testing.T) {
	m := loadT(t, "conv.pt")
	big := bigConvInput()
	small := Tensor{Shape: []int64{3, 2, big.Shape[2]}, Data: big.Data[:3*2*big.Shape[2]]}
	withPlanning(t, false)
	wantBig := runCopy(t, m, "forward", big)
	wantSmall := runCopy(t, m, "forward", small)
	if err := SetMemoryPlanning(true); err != nil {
		t.Fatal(err)
	}
	planned := map[rune]int64{} // PlanStats.Planned after the last run of each shape
	seen := map[rune]int{}
	for i, c := range "bbsbsbsssbbs" {
		in, want := big, wantBig
		if c == 's' {
			in, want = small, wantSmall
		}
		if got := runCopy(t, m, "forward", in); !sameBits(got, want) {
			t.Fatalf("run %d (%c) differs from the run without planning", i, c)
		}
		s, err := m.PlanStats()
		if err != nil {
			t.Fatal(err)
		}
		if s.Recorded != 1 || s.Fallback != 0 {
			t.Fatalf("after run %d (%c): PlanStats() = %+v; want each shape recorded once, no fallback", i, c, s)
		}
		// Every run of a shape but its first is served from its plan.
		if seen[c] > 0 && s.Planned <= planned[c] {
			t.Fatalf("run %d (%c) was not served from its plan (PlanStats() = %+v, %d planned before)", i, c, s, planned[c])
		}
		planned[c] = s.Planned
		seen[c]++
	}
}

// TestPlanForgetsOnDType checks that a conversion of the weights starts the
// plan anew: the sizes a run allocates change with the dtype.
func TestPlanForgetsOnDType(t *testing.T) {
	m := loadT(t, "conv.pt")
	withPlanning(t, true)
	in := bigConvInput()
	for range 2 {
		runCopy(t, m, "forward", in)
	}
	if s, _ := m.PlanStats(); s.BlockBytes == 0 {
		t.Fatalf("PlanStats() = %+v after 2 runs; want a block", s)
	}
	if err := m.SetDType(BFloat16); err != nil {
		t.Fatal(err)
	}
	if s, _ := m.PlanStats(); s != (PlanStats{}) {
		t.Errorf("PlanStats() = %+v after SetDType; want zero", s)
	}
}
