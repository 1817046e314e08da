package modelcache

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/drumsplit/drumsplit/model"
	"github.com/drumsplit/drumsplit/scripts"
)

const tinyConfig = "../../configs/tiny_6stem.yaml"

// realPython returns a Python with torch and yaml, skipping the test when
// there is none (failing when DRUMSPLIT_REQUIRE_TORCH=1, as in make test).
func realPython(t *testing.T) string {
	t.Helper()
	py, err := scripts.FindPython(context.Background(), "", nil)
	if err != nil {
		if os.Getenv("DRUMSPLIT_REQUIRE_TORCH") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return py
}

// randomCheckpoint writes a random-weight checkpoint of the tiny config.
func randomCheckpoint(t *testing.T, py, path string, seed string) {
	t.Helper()
	cmd := exec.Command(py, "../../scripts/make_random_checkpoint.py", "--config", tinyConfig, "-o", path, "--seed", seed)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make_random_checkpoint: %v\n%s", err, out)
	}
}

// noPython makes every Python unfindable: an empty PATH, no
// DRUMSPLIT_PYTHON.
func noPython(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("DRUMSPLIT_PYTHON", "")
}

// TestResolve converts a checkpoint once and reuses it: the second
// Resolve finds no Python and needs none. A new libtorch version, a
// changed config or another checkpoint are misses, which then need Python.
func TestResolve(t *testing.T) {
	py := realPython(t)
	dir := t.TempDir()
	ck := filepath.Join(dir, "drums.ckpt")
	randomCheckpoint(t, py, ck, "5")
	o := Options{Dir: filepath.Join(dir, "cache"), TorchVersion: "1.13.1", Python: py}
	ctx := context.Background()

	first, err := Resolve(ctx, ck, tinyConfig, o)
	if err != nil {
		t.Fatal(err)
	}
	if first.Cached || filepath.Dir(first.Path) != filepath.Join(o.Dir, "models") {
		t.Errorf("first: %+v", first)
	}
	info, err := model.ReadInfo(first.Path)
	if err != nil || len(info.Stems) != 6 || info.Precision != "fp32" {
		t.Fatalf("converted model: %+v, %v", info, err)
	}

	noPython(t)
	o.Python = ""
	second, err := Resolve(ctx, ck, tinyConfig, o)
	if err != nil || !second.Cached || second.Path != first.Path {
		t.Fatalf("second: %+v, %v; want the cached %s without Python", second, err, first.Path)
	}

	// Misses: each needs the (now missing) Python, which says so.
	cfg2 := filepath.Join(dir, "tiny.yaml")
	data, _ := os.ReadFile(tinyConfig)
	os.WriteFile(cfg2, append(data, []byte("\n# edited\n")...), 0o644)
	ck2 := filepath.Join(dir, "other.ckpt")
	cdata, _ := os.ReadFile(ck)
	os.WriteFile(ck2, append(cdata[:len(cdata):len(cdata)], 0), 0o644)
	for name, c := range map[string]struct {
		ck, cfg string
		o       Options
	}{
		"libtorch": {ck, tinyConfig, Options{Dir: o.Dir, TorchVersion: "2.5.1"}},
		"config":   {ck, cfg2, o},
		"ckpt":     {ck2, tinyConfig, o},
	} {
		_, err := Resolve(ctx, c.ck, c.cfg, c.o)
		var np *NoPythonError
		if !errors.As(err, &np) {
			t.Errorf("%s changed: %v, want a *NoPythonError", name, err)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || !strings.Contains(msg, "apt install python3-torch python3-yaml") ||
			!strings.Contains(msg, "must be converted once") {
			t.Errorf("%s changed: message %q", name, msg)
		}
	}

	// A damaged cached file is converted again, not loaded.
	if err := os.WriteFile(first.Path, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Resolve(ctx, ck, tinyConfig, o); !errors.As(err, new(*NoPythonError)) {
		t.Errorf("damaged cache entry: %v, want a conversion (and so *NoPythonError)", err)
	}
}

// TestResolveConcurrent: two runs converting one checkpoint at once both
// get a complete model, the same file, and leave no temporary files.
func TestResolveConcurrent(t *testing.T) {
	py := realPython(t)
	dir := t.TempDir()
	ck := filepath.Join(dir, "drums.ckpt")
	randomCheckpoint(t, py, ck, "6")
	o := Options{Dir: filepath.Join(dir, "cache"), TorchVersion: "1.13.1", Python: py}
	var wg sync.WaitGroup
	res := make([]Result, 2)
	errs := make([]error, 2)
	for i := range res {
		wg.Go(func() { res[i], errs[i] = Resolve(context.Background(), ck, tinyConfig, o) })
	}
	wg.Wait()
	for i := range res {
		if errs[i] != nil {
			t.Fatalf("run %d: %v", i, errs[i])
		}
	}
	if res[0].Path != res[1].Path {
		t.Errorf("paths %q and %q", res[0].Path, res[1].Path)
	}
	if _, err := model.ReadInfo(res[0].Path); err != nil {
		t.Error(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(res[0].Path))
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("cache folder holds %q, want the model only", names)
	}
}

// TestResolveErrors: a missing checkpoint or config is named, before any
// Python is looked for; a key needs the runtime's version.
func TestResolveErrors(t *testing.T) {
	noPython(t)
	dir := t.TempDir()
	o := Options{Dir: dir, TorchVersion: "1.13.1"}
	_, err := Resolve(context.Background(), filepath.Join(dir, "nope.ckpt"), tinyConfig, o)
	if err == nil || err.Error() != `checkpoint "`+filepath.Join(dir, "nope.ckpt")+`": no such file or directory` {
		t.Errorf("missing checkpoint: %v", err)
	}
	ck := filepath.Join(dir, "x.ckpt")
	os.WriteFile(ck, []byte("x"), 0o644)
	if _, err := Resolve(context.Background(), ck, filepath.Join(dir, "nope.yaml"), o); err == nil || !strings.HasPrefix(err.Error(), `config "`) {
		t.Errorf("missing config: %v", err)
	}
	if _, err := Resolve(context.Background(), ck, tinyConfig, Options{Dir: dir}); err == nil {
		t.Error("no TorchVersion accepted")
	}
	if Key("a", "b", "1.13.1") == Key("a", "b", "2.0.0") || Key("a", "b", "1") == Key("a", "c", "1") || Key("a", "b", "1") == Key("x", "b", "1") {
		t.Error("Key ignores a part")
	}
}
