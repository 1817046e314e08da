package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// cacheEnv points os.UserCacheDir at dir on every system, and PATH at
// path (with DRUMSPLIT_PYTHON unset) when path is not "".
func cacheEnv(dir, path string) []string {
	env := []string{"XDG_CACHE_HOME=" + dir, "HOME=" + dir, "LocalAppData=" + dir}
	if path != "" {
		env = append(env, "PATH="+path, "DRUMSPLIT_PYTHON=")
	}
	return env
}

// tinyCheckpoint writes dir/drums.ckpt, a random-weight training
// checkpoint of configs/tiny_6stem.yaml, with python py, and returns the
// config's absolute path and the checkpoint's.
func tinyCheckpoint(t *testing.T, py, dir string, seed int) (cfg, ck string) {
	t.Helper()
	cfg, err := filepath.Abs("../../configs/tiny_6stem.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ck = filepath.Join(dir, "drums.ckpt")
	gen := exec.Command(py, "../../scripts/make_random_checkpoint.py", "--config", cfg, "-o", ck, "--seed", strconv.Itoa(seed))
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("make_random_checkpoint: %v\n%s", err, out)
	}
	return cfg, ck
}

// TestSeparateCheckpoint: -m CHECKPOINT --config YAML converts the
// checkpoint once into the user cache and separates with it; the second
// run loads it from the cache and runs no Python (none can be found); a
// run that must convert without Python says in one line how to get one.
func TestSeparateCheckpoint(t *testing.T) {
	needLib(t)
	py := realPython(t)
	dir := t.TempDir()
	cfg, _ := tinyCheckpoint(t, py, dir, 9)
	writeInput(t, filepath.Join(dir, "in.wav"), 4000, 44100, 12)
	cache := filepath.Join(dir, "cache")

	r := ds(t, dir, cacheEnv(cache, ""), "separate", "-m", "drums.ckpt", "--config", cfg, "--stems", "kick,hh", "--bit-depth", "32f", "-o", "first", "in.wav")
	wantCode(t, r, 0)
	if !strings.Contains(r.stderr, `drumsplit: converting checkpoint "drums.ckpt" with`) {
		t.Errorf("first run does not say it converts: %s", r.stderr)
	}
	models, _ := filepath.Glob(filepath.Join(cache, "*", "models", "*.pt"))
	if len(models) != 1 {
		t.Fatalf("cache holds %v, want one model", models)
	}
	first, _ := decode(t, filepath.Join(dir, "first", "in", "hh.wav"))

	noPy := t.TempDir()
	r = ds(t, dir, cacheEnv(cache, noPy), "separate", "-m", "drums.ckpt", "--config", cfg, "--stems", "kick,hh", "--bit-depth", "32f", "-o", "second", "in.wav")
	wantCode(t, r, 0)
	if strings.Contains(r.stderr, "converting") {
		t.Errorf("second run converts again: %s", r.stderr)
	}
	second, _ := decode(t, filepath.Join(dir, "second", "in", "hh.wav"))
	if d := maxDiff(t, first.Data, second.Data); d != 0 {
		t.Errorf("second run's stem differs by %g", d)
	}

	// With --json the conversion is an event, before the model loads
	// (no text line: the events say it).
	r = ds(t, dir, cacheEnv(filepath.Join(dir, "cache3"), ""), "separate", "--json", "-m", "drums.ckpt", "--config", cfg, "--stems", "kick", "-o", "json", "in.wav")
	wantCode(t, r, 0)
	var events []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("--json line %q: %v", line, err)
		}
		events = append(events, ev)
	}
	if len(events) < 2 || events[0]["event"] != "converting" || events[1]["event"] != "loading" {
		t.Fatalf("--json events %v, want converting then loading first", events)
	}
	conv := events[0]
	if conv["checkpoint"] != "drums.ckpt" || conv["config"] != cfg || conv["python"] == "" || !strings.HasPrefix(conv["cache"].(string), filepath.Join(dir, "cache3")) {
		t.Errorf("converting event %v", conv)
	}
	if strings.Contains(r.stderr, "converting") {
		t.Errorf("--json run prints a converting line: %s", r.stderr)
	}

	// An empty cache and no Python: one line naming the checkpoint and
	// what to install; nothing written.
	r = ds(t, dir, cacheEnv(filepath.Join(dir, "cache2"), noPy), "separate", "-m", "drums.ckpt", "--config", cfg, "-o", "third", "in.wav")
	wantCode(t, r, 1)
	wantOneLine(t, r, `checkpoint "drums.ckpt" must be converted once`, "apt install python3-torch python3-yaml", "conda env create")
	if _, err := os.Stat(filepath.Join(dir, "third")); !os.IsNotExist(err) {
		t.Errorf("output folder made: %v", err)
	}
}

// TestSeparateCheckpointUsage: a checkpoint without --config, --config
// without -m, or missing files are usage errors (exit 2), found before
// libtorch or Python is looked for.
func TestSeparateCheckpointUsage(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "m.ckpt"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "c.yaml"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "in.wav"), []byte("x"), 0o644)
	env := append(cacheEnv(dir, t.TempDir()), "DRUMSPLIT_LIB="+filepath.Join(dir, "nolib.so"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-m", "m.ckpt"}, `model "m.ckpt" looks like a training checkpoint: give its MSST yaml with --config`},
		{[]string{"--config", "c.yaml"}, "give the checkpoint with -m"},
		{[]string{"-m", "nope.ckpt", "--config", "c.yaml"}, `checkpoint "nope.ckpt": no such file`},
		{[]string{"-m", "m.ckpt", "--config", "nope.yaml"}, `--config "nope.yaml": no such file`},
	} {
		r := ds(t, dir, env, append([]string{"separate", "in.wav"}, tc.args...)...)
		wantCode(t, r, 2)
		wantOneLine(t, r, tc.want)
	}
}
