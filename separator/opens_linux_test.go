package separator

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/drumsplit/drumsplit/internal/opencount"
	"github.com/drumsplit/drumsplit/model"
)

// privateModel copies the fixture model name into a temporary folder, so
// that the opens counted are this test's: other packages' tests, run at the
// same time by go test, read the fixtures too.
func privateModel(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(modelPath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// countOpens returns a function that reports how many times path has been
// opened since (path should be private to the test: see privateModel).
func countOpens(t *testing.T, path string) func() int {
	t.Helper()
	c, err := opencount.Watch(path)
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { c.Close() })
	return func() int {
		n, err := c.Opens()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
}

// TestOpenReadsModelOnce counts the opens of the model file: one in
// libtorch when the caller passes the metadata it read, two (model.ReadInfo
// and libtorch) otherwise. It used to be five: the metadata twice, and in
// the C ABI library a probe, a listing of the archive's records and
// torch::jit::load.
func TestOpenReadsModelOnce(t *testing.T) {
	needLib(t)
	path := privateModel(t, "tiny6.pt")
	opens := countOpens(t, path)

	s, err := Open(path, Options{Device: "cpu", Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if n := opens(); n != 2 {
		t.Errorf("Open without Info opened the model %d times, want 2", n)
	}

	info, err := model.ReadInfo(path)
	if err != nil {
		t.Fatal(err)
	}
	before := opens()
	s, err = Open(path, Options{Device: "cpu", Info: info, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := opens() - before; n != 1 {
		t.Errorf("Open with Info opened the model %d times, want 1", n)
	}
	if s.Info() != info {
		t.Error("Info() is not the metadata passed in Options")
	}
}

// TestPrecisionFallbackKeepsFile runs bf16 on the CPU, where libtorch 1.13
// lacks a bf16 transposed convolution: the warm-up fails and the separator
// falls back to fp32 by converting the loaded module back, not by reading
// the file again, and the result is exactly that of an fp32 separator.
func TestPrecisionFallbackKeepsFile(t *testing.T) {
	needLib(t)
	// Play a CPU with native bf16, so that the separator tries bf16 rather
	// than refusing it up front.
	defer func(f func() bool) { nativeBF16 = f }(nativeBF16)
	nativeBF16 = func() bool { return true }
	path := privateModel(t, "tiny6.pt")
	info, err := model.ReadInfo(path)
	if err != nil {
		t.Fatal(err)
	}
	opens := countOpens(t, path)
	s, err := Open(path, Options{Device: "cpu", Precision: BF16, Info: info, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Precision() != FP32 {
		t.Skipf("bf16 works on this CPU (precision %s): no fallback to test", s.Precision())
	}
	if n := opens(); n != 1 {
		t.Errorf("Open with a precision fallback opened the model %d times, want 1", n)
	}
	ref := openT(t, "tiny6.pt", Options{Precision: FP32, Info: info})
	x := noise(3*info.ChunkSize/2, 7)
	got, want := sepBuffer(t, s, x), sepBuffer(t, ref, x)
	for st := range want {
		for ch := range 2 {
			for i, w := range want[st][ch] {
				if g := got[st][ch][i]; math.Float32bits(g) != math.Float32bits(w) {
					t.Fatalf("stem %d ch %d sample %d: %g after the fallback, %g in fp32", st, ch, i, g, w)
				}
			}
		}
	}
}
