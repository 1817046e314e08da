//go:build cgo

package torch

import (
	"archive/zip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestMain points DRUMSPLIT_LIB at <repo>/bin when it is not set, so that
// `go test ./torch/` after `make lib` finds the library.
func TestMain(m *testing.M) {
	if os.Getenv("DRUMSPLIT_LIB") == "" && os.Getenv(helperEnv) == "" {
		if p, err := filepath.Abs(filepath.Join("..", "bin", LibraryName)); err == nil && fileExists(p) {
			os.Setenv("DRUMSPLIT_LIB", p)
		}
	}
	os.Exit(m.Run())
}

// needLib skips the test when the native library is missing, or fails it
// when DRUMSPLIT_REQUIRE_TORCH=1 (as `make test` sets).
func needLib(t testing.TB) {
	t.Helper()
	err := Loaded()
	if err == nil {
		return
	}
	var le *LibraryError
	detail := ""
	if errors.As(err, &le) {
		detail = le.Detail
	}
	if os.Getenv("DRUMSPLIT_REQUIRE_TORCH") == "1" {
		t.Fatalf("native library required: %v [%s]", err, detail)
	}
	t.Skipf("native library not available (make lib): %v", err)
}

func loadT(t testing.TB, name string) *Module {
	t.Helper()
	needLib(t)
	m, err := Load(filepath.Join("testdata", name), Device{Type: CPU})
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// fixtureCase is one entry of testdata/cases.json (scripts/make_torch_fixtures.py).
type fixtureCase struct {
	Module  string    `json:"module"`
	Method  string    `json:"method"`
	Inputs  [][]int64 `json:"inputs"`
	Outputs [][]int64 `json:"outputs"`
	Data    string    `json:"data"`

	in, want []Tensor
}

func readCases(t testing.TB) []fixtureCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []fixtureCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	for i := range cases {
		c := &cases[i]
		raw, err := os.ReadFile(filepath.Join("testdata", c.Data))
		if err != nil {
			t.Fatal(err)
		}
		vals := make([]float32, len(raw)/4)
		for k := range vals {
			vals[k] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*k:]))
		}
		take := func(shapes [][]int64) []Tensor {
			var ts []Tensor
			for _, s := range shapes {
				t := Tensor{Shape: s}
				n := t.Numel()
				t.Data, vals = vals[:n:n], vals[n:]
				ts = append(ts, t)
			}
			return ts
		}
		c.in, c.want = take(c.Inputs), take(c.Outputs)
		if len(vals) != 0 {
			t.Fatalf("%s: %d values left over", c.Data, len(vals))
		}
	}
	return cases
}

// absDiff returns the largest absolute difference between two output lists,
// or an error if their shapes differ.
func absDiff(got, want []Tensor) (float64, error) {
	if len(got) != len(want) {
		return 0, fmt.Errorf("got %d outputs, want %d", len(got), len(want))
	}
	worst := 0.0
	for i := range want {
		if fmt.Sprint(got[i].Shape) != fmt.Sprint(want[i].Shape) || len(got[i].Data) != len(want[i].Data) {
			return 0, fmt.Errorf("output %d: shape %v (%d values), want %v", i, got[i].Shape, len(got[i].Data), want[i].Shape)
		}
		for k, w := range want[i].Data {
			worst = max(worst, math.Abs(float64(got[i].Data[k])-float64(w)))
		}
	}
	return worst, nil
}

// maxAbsDiff is absDiff failing the test on a shape mismatch.
func maxAbsDiff(t testing.TB, got, want []Tensor) float64 {
	t.Helper()
	d, err := absDiff(got, want)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParity(t *testing.T) {
	needLib(t)
	worst := 0.0
	for _, c := range readCases(t) {
		t.Run(c.Module+"/"+c.Method, func(t *testing.T) {
			m := loadT(t, c.Module)
			got, err := m.Run(c.Method, c.in...)
			if err != nil {
				t.Fatal(err)
			}
			d := maxAbsDiff(t, got, c.want)
			worst = max(worst, d)
			if d > 1e-6 {
				t.Errorf("max |go - python| = %g, want <= 1e-6", d)
			}
		})
	}
	t.Logf("parity with Python over %d cases: max abs error %g", len(readCases(t)), worst)
}

func TestRunIntoReuses(t *testing.T) {
	cases := readCases(t)
	c := cases[2] // multi.pt forward: three outputs
	m := loadT(t, c.Module)
	dst, err := m.RunInto(c.Method, nil, c.in...)
	if err != nil {
		t.Fatal(err)
	}
	first := &dst[0].Data[0]
	dst, err = m.RunInto(c.Method, dst, c.in...)
	if err != nil {
		t.Fatal(err)
	}
	if &dst[0].Data[0] != first {
		t.Error("RunInto did not reuse the output buffer")
	}
	if d := maxAbsDiff(t, dst, c.want); d > 1e-6 {
		t.Errorf("max error %g", d)
	}
	allocs := testing.AllocsPerRun(50, func() {
		if dst, err = m.RunInto(c.Method, dst, c.in...); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Errorf("RunInto with a settled dst made %v Go allocations per call, want 0", allocs)
	}
	// A dst with too little room grows.
	small := []Tensor{{Data: make([]float32, 1)}}
	if small, err = m.RunInto(c.Method, small, c.in...); err != nil || len(small) != 3 {
		t.Fatalf("RunInto(small dst) = %d tensors, %v", len(small), err)
	}
}

func TestHasMethod(t *testing.T) {
	m := loadT(t, "conv.pt")
	if !m.HasMethod("forward") || !m.HasMethod("forward_spec") || m.HasMethod("backward") {
		t.Error("HasMethod is wrong")
	}
}

// TestErrors checks that bad files and bad inputs give one-line Go errors
// that say what is wrong, and that the process survives them.
func TestErrors(t *testing.T) {
	needLib(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pt")
	os.WriteFile(garbage, []byte("this is not a zip archive, let alone TorchScript"), 0o644)
	plainZip := filepath.Join(dir, "plain.zip")
	if f, err := os.Create(plainZip); err == nil {
		zw := zip.NewWriter(f)
		w, _ := zw.Create("hello/readme.txt")
		w.Write([]byte("hello"))
		zw.Close()
		f.Close()
	}
	loads := []struct {
		name, path string
		is         error
		contains   string
	}{
		{"missing", filepath.Join(dir, "missing.pt"), fs.ErrNotExist, "missing.pt"},
		{"directory", dir, nil, "is a folder"},
		{"garbage", garbage, nil, "not a TorchScript archive"},
		{"plain zip", plainZip, nil, strconv.Quote(plainZip)},
		{"torch.save checkpoint", filepath.Join("testdata", "checkpoint.pt"), nil, `load "testdata/checkpoint.pt": `},
	}
	for _, c := range loads {
		t.Run("load "+c.name, func(t *testing.T) {
			m, err := Load(c.path, Device{Type: CPU})
			if err == nil {
				m.Close()
				t.Fatal("Load succeeded")
			}
			checkErr(t, err, c.is, c.contains)
		})
	}

	conv := loadT(t, "conv.pt")
	multi := loadT(t, "multi.pt")
	x := func(shape ...int64) Tensor {
		t := Tensor{Shape: shape}
		t.Data = make([]float32, t.Numel())
		return t
	}
	runs := []struct {
		name     string
		m        *Module
		method   string
		in       []Tensor
		is       error
		contains string
	}{
		{"wrong rank", conv, "forward", []Tensor{x(1, 1, 2, 64)}, nil, "conv1d"},
		{"wrong channels", conv, "forward", []Tensor{x(2, 3, 64)}, nil, "channels"},
		{"mismatched sizes", multi, "forward", []Tensor{x(3, 5), x(4, 5)}, nil, "size"},
		{"data shorter than shape", conv, "forward", []Tensor{{Shape: []int64{2, 2, 64}, Data: make([]float32, 10)}}, nil, "input 0"},
		{"rank 0", conv, "forward", []Tensor{{Data: []float32{1}}}, nil, "rank 0"},
		{"too few inputs", multi, "forward", []Tensor{x(3, 5)}, nil, "b"},
		{"too many inputs", conv, "forward", []Tensor{x(1, 2, 8), x(1, 2, 8)}, nil, "forward"},
		{"unknown method", conv, "backward", []Tensor{x(1, 2, 8)}, ErrNotFound, "backward"},
	}
	for _, c := range runs {
		t.Run("run "+c.name, func(t *testing.T) {
			_, err := c.m.Run(c.method, c.in...)
			if err == nil {
				t.Fatal("Run succeeded")
			}
			checkErr(t, err, c.is, c.contains)
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("error %T is not a *torch.Error", err)
			}
			if te.Detail != "" && !strings.Contains(te.Detail, te.Msg) {
				t.Errorf("Detail %q does not hold the message %q", te.Detail, te.Msg)
			}
			if strings.Contains(te.Msg, "TorchScript interpreter") {
				t.Errorf("message %q keeps libtorch's framing", te.Msg)
			}
		})
	}
	// The module still works after all that.
	if _, err := conv.Run("forward", x(1, 2, 8)); err != nil {
		t.Errorf("Run after errors: %v", err)
	}
}

func checkErr(t *testing.T, err, is error, contains string) {
	t.Helper()
	msg := err.Error()
	t.Logf("error: %s", msg)
	if is != nil && !errors.Is(err, is) {
		t.Errorf("error %q does not match %v", msg, is)
	}
	if !strings.Contains(msg, contains) {
		t.Errorf("error %q does not mention %q", msg, contains)
	}
	if strings.ContainsAny(msg, "\n\r") {
		t.Errorf("error is not one line: %q", msg)
	}
	if len(msg) > 600 {
		t.Errorf("error is %d bytes long", len(msg))
	}
}

// rss returns the resident set size of this process in bytes.
func rss(t testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm:", err)
	}
	var size, resident int64
	fmt.Sscan(string(b), &size, &resident)
	return resident * int64(os.Getpagesize())
}

// TestMemoryFlat loads and closes a module 200 times and runs one 2,000
// times; resident memory must not keep growing.
func TestMemoryFlat(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	needLib(t)
	if testing.Short() {
		t.Skip("short")
	}
	path := filepath.Join("testdata", "conv.pt")
	in := readCases(t)[0].in
	cycle := func() {
		m, err := Load(path, Device{Type: CPU})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Run("forward", in...); err != nil {
			t.Fatal(err)
		}
		m.Close()
	}
	for range 10 { // warm up allocator pools and the JIT's caches
		cycle()
	}
	const limit = 64 << 20
	before := rss(t)
	for range 200 {
		cycle()
	}
	runtime.GC()
	after := rss(t)
	t.Logf("load/run/close x200: RSS %.1f MiB -> %.1f MiB (%+.1f MiB)", mib(before), mib(after), mib(after-before))
	if after-before > limit {
		t.Errorf("RSS grew by %.1f MiB over 200 loads", mib(after-before))
	}

	m, err := Load(path, Device{Type: CPU})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var dst []Tensor
	var fresh []Tensor
	for range 10 {
		dst, _ = m.RunInto("forward", dst, in...)
	}
	before = rss(t)
	for i := range 2000 {
		if i%2 == 0 {
			dst, err = m.RunInto("forward", dst, in...)
		} else {
			fresh, err = m.Run("forward", in...) // fresh buffers each time: the GC must reclaim them
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	_ = fresh
	runtime.GC()
	after = rss(t)
	t.Logf("run x2000: RSS %.1f MiB -> %.1f MiB (%+.1f MiB)", mib(before), mib(after), mib(after-before))
	if after-before > limit {
		t.Errorf("RSS grew by %.1f MiB over 2,000 runs", mib(after-before))
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// TestConcurrentRun shares one module between 8 goroutines; run it with
// -race. It then closes the module while goroutines are still calling it.
func TestConcurrentRun(t *testing.T) {
	c := readCases(t)[0]
	m := loadT(t, c.Module)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var dst []Tensor
			for i := range 25 {
				var err error
				if dst, err = m.RunInto(c.Method, dst, c.in...); err != nil {
					errs <- err
					return
				}
				if d, err := absDiff(dst, c.want); err != nil || d > 1e-6 {
					errs <- fmt.Errorf("goroutine %d run %d: max error %g, %v", g, i, d, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// Close racing Run: every call either succeeds or reports ErrClosed.
	start := make(chan struct{})
	results := make(chan error, 4)
	for range 4 {
		go func() {
			<-start
			for {
				if _, err := m.Run(c.Method, c.in...); err != nil {
					results <- err
					return
				}
			}
		}()
	}
	close(start)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if err := <-results; !errors.Is(err, ErrClosed) {
			t.Errorf("Run after Close: %v, want ErrClosed", err)
		}
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := m.SetDType(Float16); !errors.Is(err, ErrClosed) {
		t.Errorf("SetDType after Close: %v", err)
	}
}

// TestSetDType converts a module with weights to bf16 and back: every
// conversion starts from the weights as loaded, so fp32 after bf16 gives the
// fp32 results bit for bit (a conversion of the bf16 weights would not).
func TestSetDType(t *testing.T) {
	c := readCases(t)[0] // conv.pt forward
	m := loadT(t, c.Module)
	want, err := m.Run(c.Method, c.in...)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetDType(BFloat16); err != nil {
		t.Fatal(err)
	}
	// conv.pt does not cast its input: float32 into a bf16 convolution
	// fails, which shows the weights were converted.
	if _, err := m.Run(c.Method, c.in...); err == nil || !strings.Contains(err.Error(), "BFloat16") {
		t.Errorf("float32 input into a bf16 conv: error %v, want a dtype mismatch", err)
	}
	if err := m.SetDType(Float16); err != nil {
		t.Fatal(err)
	}
	if err := m.SetDType(Float32); err != nil {
		t.Fatal(err)
	}
	got, err := m.Run(c.Method, c.in...)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		for k, w := range want[i].Data {
			if g := got[i].Data[k]; math.Float32bits(g) != math.Float32bits(w) {
				t.Fatalf("output %d[%d] after bf16, fp16 and back to fp32 = %g, want %g exactly", i, k, g, w)
			}
		}
	}
	if err := m.SetDType(DType(9)); err == nil {
		t.Error("SetDType(9) succeeded")
	}
}

func TestDevices(t *testing.T) {
	needLib(t)
	v, err := Versions()
	if err != nil || v.Library == "" || v.Libtorch == "" || v.ABI != abiVersion {
		t.Fatalf("Versions() = %+v, %v", v, err)
	}
	devs, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) == 0 || devs[0].Device != (Device{Type: CPU}) || devs[0].Name == "" {
		t.Fatalf("Devices() = %+v, want the CPU first", devs)
	}
	for _, d := range devs {
		if !Available(d.Device) {
			t.Errorf("listed device %v is not Available", d.Device)
		}
		t.Logf("%v: %s, %d/%d bytes free", d.Device, d.Name, d.FreeMemory, d.TotalMemory)
	}
	auto, why, err := AutoDevice()
	if err != nil || !Available(auto) || why == "" {
		t.Errorf("AutoDevice() = %v, %q, %v", auto, why, err)
	}
	t.Logf("libtorch %s; auto = %v: %s", v.Libtorch, auto, why)

	if err := Synchronize(Device{Type: CPU}); err != nil {
		t.Errorf("Synchronize(cpu): %v", err)
	}
	if err := EmptyCache(Device{Type: CPU}); err != nil {
		t.Errorf("EmptyCache(cpu): %v", err)
	}
	if _, err := PeakMemory(Device{Type: CPU}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("PeakMemory(cpu) error = %v, want ErrUnsupported", err)
	}
	bogus := Device{Type: CUDA, Index: 99}
	if Available(bogus) {
		t.Fatal("cuda:99 is available?")
	}
	if err := Synchronize(bogus); !errors.Is(err, ErrDeviceUnavailable) {
		t.Errorf("Synchronize(cuda:99) error = %v, want ErrDeviceUnavailable", err)
	}
	if _, err := Load(filepath.Join("testdata", "conv.pt"), bogus); !errors.Is(err, ErrDeviceUnavailable) {
		t.Errorf("Load on cuda:99 error = %v, want ErrDeviceUnavailable", err)
	}
}

// TestDeviceParity runs the fixtures on every GPU and compares with the CPU.
func TestDeviceParity(t *testing.T) {
	needLib(t)
	devs, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) == 1 {
		t.Skip("no GPU")
	}
	for _, d := range devs[1:] {
		for _, c := range readCases(t) {
			m, err := Load(filepath.Join("testdata", c.Module), d.Device)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.Run(c.Method, c.in...)
			m.Close()
			if err != nil {
				t.Fatal(err)
			}
			diff := maxAbsDiff(t, got, c.want)
			t.Logf("%v %s %s: max |gpu - python cpu| = %g", d.Device, c.Module, c.Method, diff)
			if diff > 1e-4 {
				t.Errorf("%v %s %s: max error %g > 1e-4", d.Device, c.Module, c.Method, diff)
			}
		}
	}
}

func TestThreads(t *testing.T) {
	needLib(t)
	n, err := Threads()
	if err != nil || n < 1 {
		t.Fatalf("Threads() = %d, %v", n, err)
	}
	defer SetThreads(n)
	if err := SetThreads(1); err != nil {
		t.Fatal(err)
	}
	if got, _ := Threads(); got != 1 {
		t.Errorf("Threads() = %d after SetThreads(1)", got)
	}
	if err := SetThreads(0); err == nil {
		t.Error("SetThreads(0) succeeded")
	}
}

func TestParseDevice(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Device
		str  string
	}{
		{"cpu", Device{Type: CPU}, "cpu"},
		{" CPU ", Device{Type: CPU}, "cpu"},
		{"cuda", Device{Type: CUDA}, "cuda:0"},
		{"cuda:1", Device{Type: CUDA, Index: 1}, "cuda:1"},
		{"mps", Device{Type: MPS}, "mps"},
		{"mps:0", Device{Type: MPS}, "mps"},
		{"auto", Device{Type: Auto}, "auto"},
		{"Auto", Device{Type: Auto}, "auto"},
	} {
		got, err := ParseDevice(c.in)
		if err != nil || got != c.want || got.String() != c.str {
			t.Errorf("ParseDevice(%q) = %v (%q), %v; want %v (%q)", c.in, got, got.String(), err, c.want, c.str)
		}
	}
	for _, bad := range []string{"", "tpu", "cuda:x", "cuda:-1", "mps:1", "cpu:2", "auto:1"} {
		d, err := ParseDevice(bad)
		var ne *DeviceNameError
		if !errors.As(err, &ne) || ne.Name != bad {
			t.Errorf("ParseDevice(%q) = %v, %v; want a *DeviceNameError", bad, d, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, strconv.Quote(bad)) || !strings.Contains(msg, "auto, cpu, cuda, cuda:N, mps") {
			t.Errorf("ParseDevice(%q) error %q does not quote the name and list the valid ones", bad, msg)
		}
	}
}

// helperEnv makes the test binary act as a child process for the tests
// below: the library is opened once per process, so a different
// DRUMSPLIT_LIB needs a process of its own.
const helperEnv = "DRUMSPLIT_TORCH_TEST_HELPER"

func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("helper process only")
	}
	_, err := Load(filepath.Join("testdata", "conv.pt"), Device{Type: CPU})
	var le *LibraryError
	if !errors.Is(err, ErrNoLibtorch) || !errors.As(err, &le) {
		fmt.Printf("UNEXPECTED %v\n", err)
		os.Exit(3)
	}
	fmt.Printf("ERROR %s\nDETAIL %s\n", err, le.Detail)
	os.Exit(0)
}

// TestNoLibrary opens libraries that cannot work, each in a child process,
// and checks the error matches ErrNoLibtorch and says what to do.
func TestNoLibrary(t *testing.T) {
	dir := t.TempDir()
	notLib := filepath.Join(dir, LibraryName)
	os.WriteFile(notLib, []byte("not a shared library"), 0o644)
	cases := []struct {
		name, lib string
		want      []string
	}{
		{"missing", filepath.Join(dir, "nope", LibraryName), []string{"not found", "make lib", "DRUMSPLIT_LIB"}},
		{"not a library", notLib, []string{"not a loadable library", "make lib"}},
	}
	if runtime.GOOS == "linux" {
		if lib, err := libWithMissingDependency(t, dir); err == nil {
			cases = append(cases, struct {
				name, lib string
				want      []string
			}{"dependency missing", lib, []string{"libtorch not found", "make lib", "LIBTORCH"}})
		} else {
			t.Logf("no C compiler for the missing-dependency case: %v", err)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
			cmd.Env = append(os.Environ(), helperEnv+"=1", "DRUMSPLIT_LIB="+c.lib)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("helper: %v\n%s", err, out)
			}
			msg, detail, _ := strings.Cut(strings.TrimPrefix(string(out), "ERROR "), "\nDETAIL ")
			t.Logf("error: %s\ndetail: %s", msg, strings.TrimSpace(detail))
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			if strings.Contains(msg, "cannot open shared object") || strings.Contains(msg, "ELF") {
				t.Errorf("error %q leaks the dynamic loader's message", msg)
			}
		})
	}
}

// libWithMissingDependency builds a shared library that needs a library
// which no longer exists: what libdrumsplit_torch looks like to the loader
// when libtorch has gone.
func libWithMissingDependency(t *testing.T, dir string) (string, error) {
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	dep := filepath.Join(dir, "libfaketorch.so")
	src := filepath.Join(dir, "x.c")
	os.WriteFile(src, []byte("int fake_torch(void) { return 1; }\n"), 0o644)
	if out, err := exec.Command(cc, "-shared", "-fPIC", "-o", dep, src).CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v: %s", err, out)
	}
	// Call into the dependency so that no --as-needed linker drops it.
	src = filepath.Join(dir, "y.c")
	os.WriteFile(src, []byte("int fake_torch(void);\nint ds_abi_version(void) { return fake_torch(); }\n"), 0o644)
	lib := filepath.Join(dir, "sub", LibraryName)
	os.MkdirAll(filepath.Dir(lib), 0o755)
	if out, err := exec.Command(cc, "-shared", "-fPIC", "-o", lib, src, "-L"+dir, "-lfaketorch").CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v: %s", err, out)
	}
	return lib, os.Remove(dep)
}

// TestQuantizedEngine: the library selects a quantised engine this
// libtorch has (Debian's 1.13: onednn; torch 2.x on x86: x86), and the
// choice is stable within a process.
func TestQuantizedEngine(t *testing.T) {
	needLib(t)
	e, err := QuantizedEngine()
	if err != nil {
		t.Fatal(err)
	}
	switch e {
	case "x86", "fbgemm", "onednn", "qnnpack":
	default:
		t.Fatalf("engine %q", e)
	}
	if again, _ := QuantizedEngine(); again != e {
		t.Errorf("second call %q, first %q", again, e)
	}
}
