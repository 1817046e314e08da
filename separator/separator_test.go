package separator

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/internal/host"
	"github.com/drumsplit/drumsplit/model"
	"github.com/drumsplit/drumsplit/torch"
)

// TestMain points DRUMSPLIT_LIB at <repo>/bin when it is not set, so that
// `go test ./separator/` after `make lib` finds the library.
func TestMain(m *testing.M) {
	if os.Getenv("DRUMSPLIT_LIB") == "" {
		if p, err := filepath.Abs(filepath.Join("..", "bin", torch.LibraryName)); err == nil {
			if _, err := os.Stat(p); err == nil {
				os.Setenv("DRUMSPLIT_LIB", p)
			}
		}
	}
	if torch.Loaded() != nil && os.Getenv("DRUMSPLIT_REQUIRE_TORCH") != "1" {
		// ExampleSeparateFile runs a model, and an example cannot skip
		// itself: without the library it is left out as tests skip.
		flag.Parse()
		skip := "^ExampleSeparateFile$"
		if f := flag.Lookup("test.skip"); f != nil && f.Value.String() != "" {
			skip = f.Value.String() + "|" + skip
		}
		flag.Set("test.skip", skip)
	}
	os.Exit(m.Run())
}

// needLib skips the test when the native library is missing, or fails it
// when DRUMSPLIT_REQUIRE_TORCH=1 (as `make test` sets).
func needLib(t testing.TB) {
	t.Helper()
	err := torch.Loaded()
	if err == nil {
		return
	}
	if os.Getenv("DRUMSPLIT_REQUIRE_TORCH") == "1" {
		t.Fatalf("native library required: %v", err)
	}
	t.Skipf("native library not available (make lib): %v", err)
}

// modelPath returns a model of testdata/models ($DRUMSPLIT_TEST_MODELS
// overrides the directory).
func modelPath(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("DRUMSPLIT_TEST_MODELS")
	if dir == "" {
		dir = filepath.Join("..", "testdata", "models")
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("model fixture missing (make fixtures-models): %v", err)
	}
	return p
}

func openT(t testing.TB, name string, o Options) *Separator {
	t.Helper()
	needLib(t)
	if o.Device == "" {
		o.Device = "cpu"
	}
	if o.Logger == nil {
		o.Logger = quietLogger()
	}
	s, err := Open(modelPath(t, name), o)
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sepBuffer(t testing.TB, s *Separator, x [2][]float32) [][2][]float32 {
	t.Helper()
	stems, err := s.SeparateBuffer(context.Background(), [][]float32{x[0], x[1]})
	if err != nil {
		t.Fatalf("SeparateBuffer: %v", err)
	}
	out := make([][2][]float32, len(stems))
	for i := range stems {
		out[i] = [2][]float32{stems[i][0], stems[i][1]}
	}
	return out
}

// relDiff returns max|a−b| / max|b|.
func relDiff(t testing.TB, a, b [][2][]float32) float64 {
	t.Helper()
	var peak float64
	for s := range b {
		for ch := 0; ch < 2; ch++ {
			for _, v := range b[s][ch] {
				peak = max(peak, math.Abs(float64(v)))
			}
		}
	}
	d := maxDiff(t, a, b)
	if peak == 0 {
		return d
	}
	return d / peak
}

// TestIdentityModel runs testdata/models/identity.pt (DrumSep's geometry:
// 44.1 kHz, chunk 130560, six stems) through its forward method in both
// modes. The full overlap × batch × length grid runs on the pure-Go identity
// engine (TestIdentityGrid); here every overlap runs with the issue's
// lengths at batch 4 (0.3 s, C−1, C, C+1, 2·border±1, 10 s) and the short
// ones at batch 1, every other batch size at overlap 4 with C+1 and
// 2·border+1, and 61 s at overlap 4 / batch 4 and overlap 8 / batch 8.
func TestIdentityModel(t *testing.T) {
	s := openT(t, "identity.pt", Options{STFT: STFTModel})
	C, sr := s.ChunkSize(), s.SampleRate()
	lengths := func(n int) []int {
		b := C - C/n
		return []int{3 * sr / 10, C - 1, C, C + 1, 2*b - 1, 2*b + 1, 10 * sr}
	}
	type run struct{ n, b, L int }
	var runs []run
	for n := 1; n <= 8; n++ {
		for _, b := range []int{1, 4} {
			for i, L := range lengths(n) {
				// At batch 1 the short lengths; the long ones (several
				// batches each) at batch 4.
				if L >= 0 && (b == 4 || i < 4) {
					runs = append(runs, run{n, b, L})
				}
			}
		}
	}
	for _, b := range []int{2, 3, 5, 6, 7, 8} {
		for _, L := range []int{C + 1, 2*(C-C/4) + 1} {
			runs = append(runs, run{4, b, L})
		}
	}
	runs = append(runs, run{4, 4, 61 * sr}, run{8, 8, 61 * sr})
	for _, mode := range []Mode{ModeMSST, ModeUVR} {
		for _, r := range runs {
			sep := reconfigure(t, s, mode, r.n, r.b)
			x := noise(r.L, uint64(r.L+r.n))
			got := sepBuffer(t, sep, x)
			var ref [][2][]float32
			if mode == ModeMSST && r.n == 1 {
				ref = refMSST(x, C, r.n, 1, len(got), identityModel)
			} else if mode == ModeMSST {
				ref = make([][2][]float32, len(got))
				for i := range ref {
					ref[i] = x // overlap ≥ 2: no zero weights
				}
			}
			checkIdentity(t, fmt.Sprintf("identity.pt %s N=%d batch=%d L=%d", mode, r.n, r.b, r.L), mode, x, got, ref, C, r.n)
		}
	}
}

// reconfigure returns a Separator sharing s's module with another mode,
// overlap and batch size (re-opening the model for each combination would
// dominate the test's time). Pipelines, whose job buffers depend only on
// the batch size, are cached per engine and batch size.
func reconfigure(t testing.TB, s *Separator, mode Mode, overlap, batch int) *Separator {
	t.Helper()
	g, err := newGeometry(mode, s.geo.chunk, overlap)
	if err != nil {
		t.Fatal(err)
	}
	key := pipeKey{s.eng, batch}
	p := pipeCache[key]
	if p == nil {
		if p, err = newPipeline(g, s.eng, batch, quietLogger()); err != nil {
			t.Fatal(err)
		}
		pipeCache[key] = p
		t.Cleanup(func() { delete(pipeCache, key) })
	}
	p.g = g
	return &Separator{info: s.info, path: s.path, opts: s.opts, dev: s.dev, prec: s.prec, stft: s.stft,
		geo: g, mod: s.mod, eng: s.eng, pipe: p}
}

type pipeKey struct {
	eng   engine
	batch int
}

var pipeCache = map[pipeKey]*pipeline{}

// TestSpecRoundTrip: through forward_spec with the Go STFT, the identity
// model gives torch's STFT → iSTFT round trip of each chunk, overlap-added.
// identity_spec.pt's forward computes that round trip with torch inside the
// graph, so the two STFT placements must agree.
func TestSpecRoundTrip(t *testing.T) {
	goSep := openT(t, "identity.pt", Options{STFT: STFTGo})
	torchSep := openT(t, "identity_spec.pt", Options{STFT: STFTModel})
	if goSep.STFT() != STFTGo || torchSep.STFT() != STFTModel {
		t.Fatalf("placements %s and %s", goSep.STFT(), torchSep.STFT())
	}
	C, sr := goSep.ChunkSize(), goSep.SampleRate()
	for _, mode := range []Mode{ModeMSST, ModeUVR} {
		for _, tc := range []struct{ n, b, L int }{
			{4, 1, 3 * sr / 10}, {2, 2, C + 1}, {2, 3, 2 * sr}, {8, 4, C/2 + 1},
		} {
			x := noise(tc.L, uint64(tc.L))
			a := sepBuffer(t, reconfigure(t, goSep, mode, tc.n, tc.b), x)
			b := sepBuffer(t, reconfigure(t, torchSep, mode, tc.n, 1), x)
			rd := relDiff(t, a, b)
			t.Logf("%s N=%d L=%d: Go STFT vs torch round trip: %.2g relative", mode, tc.n, tc.L, rd)
			if rd > 1e-5 {
				t.Errorf("%s N=%d batch=%d L=%d: Go STFT path differs from torch's round trip by %.3g relative", mode, tc.n, tc.b, tc.L, rd)
			}
			// Not the input itself: the Nyquist bin is dropped.
			if d := relDiff(t, a[:1], [][2][]float32{x}); mode == ModeMSST && d < 1e-4 {
				t.Errorf("round trip equals the input (%.3g): the test lost its point", d)
			}
		}
	}
}

// TestGoSTFTMatchesGraph compares the two STFT placements on a tiny model of
// the real architecture.
func TestGoSTFTMatchesGraph(t *testing.T) {
	for _, name := range []string{"tiny6.pt", "tiny_target.pt"} {
		goSep := openT(t, name, Options{STFT: STFTGo, BatchSize: 3})
		grSep := openT(t, name, Options{STFT: STFTModel, BatchSize: 3})
		x := noise(7*goSep.ChunkSize()+123, 11)
		for ch := range x {
			for i := range x[ch] {
				x[ch][i] *= 0.5
			}
		}
		for _, mode := range []Mode{ModeMSST, ModeUVR} {
			a := sepBuffer(t, reconfigure(t, goSep, mode, 4, 3), x)
			b := sepBuffer(t, reconfigure(t, grSep, mode, 4, 3), x)
			rd := relDiff(t, a, b)
			t.Logf("%s %s: Go STFT vs in-graph STFT: %.2g relative", name, mode, rd)
			if rd > 1e-5 {
				t.Errorf("%s %s: Go STFT path differs from the in-graph path by %.3g relative", name, mode, rd)
			}
		}
	}
}

// parityCase is one entry of testdata/manifest.json
// (scripts/make_separator_fixtures.py).
type parityCase struct {
	Name    string  `json:"name"`
	Model   string  `json:"model"`
	Mode    Mode    `json:"mode"`
	Overlap int     `json:"overlap"`
	Chunk   int     `json:"chunk"`
	Length  int     `json:"length"`
	Stems   int     `json:"stems"`
	MaxAbs  float64 `json:"max_abs"`
	TTA     bool    `json:"tta"` // with MSST's test-time augmentation
}

func loadParityCases(t testing.TB) []parityCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "manifest.json"))
	if err != nil {
		t.Fatalf("parity fixtures missing (make fixtures-separator): %v", err)
	}
	var m struct {
		Cases []parityCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m.Cases
}

func readF32(t testing.TB, name string, n int) []float32 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 4*n {
		t.Fatalf("%s: %d bytes, want %d", name, len(b), 4*n)
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

func (c parityCase) load(t testing.TB) (x [2][]float32, want [][2][]float32) {
	in := readF32(t, c.Name+".input.f32", 2*c.Length)
	x = [2][]float32{in[:c.Length], in[c.Length:]}
	out := readF32(t, c.Name+".output.f32", c.Stems*2*c.Length)
	want = make([][2][]float32, c.Stems)
	for s := range want {
		o := out[s*2*c.Length:]
		want[s] = [2][]float32{o[:c.Length], o[c.Length : 2*c.Length]}
	}
	return x, want
}

// TestParityMSST compares drumsplit with scripts/msst_reference.py (MSST's
// demix at batch 1, and UVR's demix, each also with MSST's test-time
// augmentation) on the tiny exported models, at batch 1 and 8 (drumsplit's
// result does not depend on the batch size), through both STFT placements:
// within 1e-4 of the peak (fp32, CPU).
func TestParityMSST(t *testing.T) {
	needLib(t)
	seps := map[string]*Separator{}
	tta := 0
	for _, c := range loadParityCases(t) {
		if !strings.HasSuffix(c.Model, ".pt") {
			continue
		}
		if c.TTA {
			tta++
		}
		x, want := c.load(t)
		for _, placement := range []STFTPlacement{STFTModel, STFTGo} {
			key := fmt.Sprint(c.Model, placement, c.TTA)
			s := seps[key]
			if s == nil {
				s = openT(t, c.Model, Options{STFT: placement, TTA: c.TTA})
				seps[key] = s
			}
			if s.ChunkSize() != c.Chunk {
				t.Fatalf("%s: chunk %d, fixture made with %d", c.Name, s.ChunkSize(), c.Chunk)
			}
			for _, batch := range []int{1, 8} {
				got := sepBuffer(t, reconfigure(t, s, c.Mode, c.Overlap, batch), x)
				rd := relDiff(t, got, want)
				t.Logf("%s %s batch %d: %.2g relative", c.Name, placement, batch, rd)
				if rd > 1e-4 {
					t.Errorf("%s (%s STFT, batch %d): differs from the reference by %.3g relative", c.Name, placement, batch, rd)
				}
			}
		}
	}
	if tta == 0 {
		t.Error("no test-time augmentation cases in testdata/manifest.json")
	}
}

// chunkNormModel is the Go twin of "chunknorm" in
// scripts/make_separator_fixtures.py.
func chunkNormModel(in [2][]float32, out [][2][]float32) {
	C := len(in[0])
	for ch := 0; ch < 2; ch++ {
		var sum float64
		for _, v := range in[ch] {
			sum += float64(v)
		}
		mean := sum / float64(C)
		var sq float64
		for _, v := range in[ch] {
			d := float64(v) - mean
			sq += d * d
		}
		sd := math.Sqrt(sq/float64(C)) + 1e-3
		for t, v := range in[ch] {
			y := (float64(v) - mean) / sd * (1 + 0.5*float64(t)/float64(C))
			out[0][ch][t] = float32(y)
			out[1][ch][t] = float32(0.5*y + float64(v))
		}
	}
}

// TestParityChunkNorm runs the weightless "chunknorm" cases of the parity
// fixtures on the pure-Go engine: the chunking and overlap-add agree with
// the Python reference without libtorch.
func TestParityChunkNorm(t *testing.T) {
	n := 0
	for _, c := range loadParityCases(t) {
		if c.Model != "chunknorm" {
			continue
		}
		n++
		x, want := c.load(t)
		for _, batch := range []int{1, 8} {
			got, _ := runFake(t, c.Mode, c.Chunk, c.Overlap, batch, c.Stems, chunkNormModel, bufSource(t, x))
			if rd := relDiff(t, got, want); rd > 1e-5 {
				t.Errorf("%s batch %d: differs from the reference by %.3g relative", c.Name, batch, rd)
			}
		}
	}
	if n == 0 {
		t.Fatal("no chunknorm cases in testdata/manifest.json")
	}
}

// TestOpenOptions checks the device and precision policies and the errors
// of Open.
func TestOpenOptions(t *testing.T) {
	needLib(t)
	path := modelPath(t, "tiny6.pt")
	hook := &recorder{}
	log := slog.New(hook)

	s, err := Open(path, Options{Device: "auto", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Stems()) != 6 || s.SampleRate() != 44100 || s.Overlap() != 4 || s.BatchSize() != 1 || s.Mode() != ModeMSST {
		t.Errorf("defaults: stems %v rate %d overlap %d batch %d mode %s", s.Stems(), s.SampleRate(), s.Overlap(), s.BatchSize(), s.Mode())
	}
	dev := s.Device()
	s.Close()
	if !hook.has(slog.LevelInfo, "compute device") {
		t.Error("the device choice was not logged")
	}
	if dev != "cpu" {
		t.Skipf("auto chose %s: the fallback checks below need a machine without GPU", dev)
	}
	if s.Precision() != FP32 {
		t.Errorf("auto precision on the CPU: %s", s.Precision())
	}

	hook.reset()
	s, err = Open(path, Options{Device: "cuda:0", Precision: FP16, Logger: log})
	if err != nil {
		t.Fatalf("fallback from cuda: %v", err)
	}
	if s.Device() != "cpu" || s.Precision() != FP32 {
		t.Errorf("fallback: device %s precision %s", s.Device(), s.Precision())
	}
	s.Close()
	if !hook.has(slog.LevelWarn, "not available") || !hook.has(slog.LevelWarn, "fp16") {
		t.Errorf("fallbacks not warned about: %v", hook)
	}

	_, err = Open(path, Options{Device: "cuda", StrictDevice: true, Logger: log})
	if !errors.Is(err, torch.ErrDeviceUnavailable) {
		t.Errorf("strict unavailable device: got %v", err)
	}
	_, err = Open(path, Options{Device: "mps", StrictDevice: true, Logger: log})
	if !errors.Is(err, torch.ErrDeviceUnavailable) || strings.Count(err.Error(), "\n") != 0 {
		t.Errorf("strict mps: got %v", err)
	}

	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Mode: "demucs"}, "unknown mode"},
		{Options{Precision: "fp8"}, "unknown precision"},
		{Options{STFT: "gpu"}, "unknown STFT"},
		{Options{ChunkSize: 1000}, "not a multiple of the hop"},
		{Options{ChunkSize: 64 * 10}, "multiple of 8"},
		{Options{Overlap: -1}, "overlap"},
		{Options{Device: "tpu"}, "unknown device"},
	} {
		tc.o.Logger = log
		if tc.o.Device == "" {
			tc.o.Device = "cpu"
		}
		_, err := Open(path, tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want an error containing %q", tc.o, err, tc.want)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.pt"), Options{Device: "cpu", Logger: log}); err == nil {
		t.Error("missing file accepted")
	}
	if _, err := Open(filepath.Join("..", "torch", "testdata", "conv.pt"), Options{Device: "cpu", Logger: log}); !errors.Is(err, model.ErrNotDrumsplit) {
		t.Errorf("plain TorchScript file: got %v", err)
	}

	// A chunk override is honoured.
	s, err = Open(path, Options{Device: "cpu", ChunkSize: 64 * 31, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if s.ChunkSize() != 64*31 {
		t.Errorf("chunk %d", s.ChunkSize())
	}
	s.Close()
	if err := s.Separate(context.Background(), &bufferSource{left: []float32{0}, right: []float32{0}}, newBufferSink(6, 1)); err == nil {
		t.Error("Separate after Close succeeded")
	}
}

// TestEmptyAndShort separates an empty input and a one-sample input.
func TestEmptyAndShort(t *testing.T) {
	s := openT(t, "tiny6.pt", Options{})
	for _, L := range []int{0, 1} {
		stems, err := s.SeparateBuffer(context.Background(), [][]float32{make([]float32, L), make([]float32, L)})
		if err != nil {
			t.Fatal(err)
		}
		if len(stems) != 6 || len(stems[5][1]) != L {
			t.Fatalf("L=%d: got %d stems of %d frames", L, len(stems), len(stems[0][0]))
		}
	}
	if _, err := s.SeparateBuffer(context.Background(), [][]float32{{1}, {1, 2}}); err == nil {
		t.Error("channels of different lengths accepted")
	}
}

// TestDefaultThreads: without Options.Threads, libtorch computes on every CPU
// the process may use (its own default, physical cores, left half of a
// 2-vCPU machine idle); an explicit count is kept.
func TestDefaultThreads(t *testing.T) {
	s := openT(t, "tiny6.pt", Options{})
	s.Close()
	if n, err := torch.Threads(); err != nil || n != host.UsableCPUs() {
		t.Errorf("libtorch threads %d (%v), want every usable CPU: %d", n, err, host.UsableCPUs())
	}
	s = openT(t, "tiny6.pt", Options{Threads: 1})
	s.Close()
	if n, err := torch.Threads(); err != nil || n != 1 {
		t.Errorf("libtorch threads %d (%v) with Threads 1", n, err)
	}
}

// TestWarnNewerTorch: a model exported by a newer torch than the libtorch
// that runs it gets one warning naming the file and both versions; one
// exported by the same or an older torch, or with no version, gets none.
func TestWarnNewerTorch(t *testing.T) {
	needLib(t)
	path := modelPath(t, "tiny6.pt")
	v, err := torch.Versions()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		exported string
		warn     bool
	}{
		{"99.0.0+cu999", true},
		{v.Libtorch, false},
		{"1.0.0", false},
		{"", false},
	} {
		info, err := model.ReadInfo(path)
		if err != nil {
			t.Fatal(err)
		}
		info.TorchVersion = c.exported
		rec := &recorder{}
		s := openT(t, "tiny6.pt", Options{Info: info, Logger: slog.New(rec)})
		s.Close()
		warned := rec.has(slog.LevelWarn, "exported by torch")
		if warned != c.warn {
			t.Errorf("exported by %q, libtorch %s: warned %v, want %v (log: %s)", c.exported, v.Libtorch, warned, c.warn, rec)
		}
		if c.warn && !rec.has(slog.LevelWarn, strconv.Quote(path)+" was exported by torch 99.0.0+cu999, newer than this libtorch "+v.Libtorch) {
			t.Errorf("warning does not name the file and both versions: %s", rec)
		}
	}
}
