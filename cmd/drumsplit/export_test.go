package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hostileCheckpoints is run by a real Python with torch: it writes, from a
// random tiny checkpoint, a polyglot (a pickle payload followed by the torch
// zip) and a legacy-format checkpoint that holds a float (which torch 1.13's
// weights_only refuses). The payload would create the directory argv[4].
const hostileCheckpoints = `
import io, os, pickle, sys, torch
ck, polyglot, legacy, marker = sys.argv[1:5]
class Payload:
    def __reduce__(self):
        return (os.mkdir, (marker,))
sd = torch.load(ck)
buf = io.BytesIO()
torch.save(sd, buf)
with open(polyglot, "wb") as f:
    f.write(pickle.dumps(Payload()) + buf.getvalue())
torch.save({"state_dict": sd, "best_metric": 1.5}, legacy, _use_new_zipfile_serialization=False)
`

// runExport runs drumsplit with args in-process and returns its stderr and error.
func runExport(t *testing.T, args ...string) (string, error) {
	t.Helper()
	app := newApp()
	var stderr bytes.Buffer
	app.Writer = &bytes.Buffer{}
	app.ErrWriter = &stderr
	err := app.Run(append([]string{"drumsplit"}, args...))
	return stderr.String(), err
}

// TestExportRefusesHostileCheckpoint is the regression test of issue 22.1: a
// pickle payload with a harmless torch zip appended ran its code during
// `drumsplit export`. It must be refused in one line, without running, and
// --trust-checkpoint must say (on stderr) when it unpickles without restriction.
func TestExportRefusesHostileCheckpoint(t *testing.T) {
	py := realPython(t)
	dir := t.TempDir()
	cfg := "../../configs/tiny_6stem.yaml"
	ck := filepath.Join(dir, "drums.ckpt")
	polyglot, legacy := filepath.Join(dir, "polyglot.ckpt"), filepath.Join(dir, "legacy.ckpt")
	marker := filepath.Join(dir, "payload-ran")
	for _, cmd := range []*exec.Cmd{
		exec.Command(py, "../../scripts/make_random_checkpoint.py", "--config", cfg, "-o", ck, "--seed", "3"),
		exec.Command(py, "-c", hostileCheckpoints, ck, polyglot, legacy, marker),
	} {
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", cmd.Args[:2], err, out)
		}
	}
	out := filepath.Join(dir, "x.pt")

	_, err := runExport(t, "export", "--checkpoint", polyglot, "--config", cfg, "-o", out)
	if _, serr := os.Stat(marker); !errors.Is(serr, os.ErrNotExist) {
		t.Fatal("the checkpoint ran code")
	}
	want := "refusing to unpickle checkpoint " + polyglot + ": not a torch zip archive at offset 0; " +
		"pass --trust-checkpoint only if you trust its source"
	if err == nil || err.Error() != want {
		t.Errorf("polyglot: got %v\nwant %s", err, want)
	}
	if _, serr := os.Stat(out); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("polyglot: %s was written", out)
	}

	_, err = runExport(t, "export", "--checkpoint", legacy, "--config", cfg, "-o", out)
	if err == nil || !strings.Contains(err.Error(), "not a torch zip archive at offset 0") {
		t.Errorf("legacy without trust: %v", err)
	}
	stderr, err := runExport(t, "export", "--checkpoint", legacy, "--config", cfg, "-o", out, "--trust-checkpoint")
	if err != nil {
		t.Fatalf("legacy with --trust-checkpoint: %v", err)
	}
	want = "drumsplit: warning: unpickling checkpoint " + legacy + " without restriction (--trust-checkpoint; " +
		"not a torch zip archive at offset 0): it can run any code\n"
	if stderr != want {
		t.Errorf("legacy with --trust-checkpoint: stderr %q, want %q", stderr, want)
	}
}
