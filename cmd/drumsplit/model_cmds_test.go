package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/model"
	"github.com/drumsplit/drumsplit/scripts"
)

// runModelCommand runs drumsplit in-process with args and returns what it
// wrote to its standard output and its error.
func runModelCommand(t *testing.T, args ...string) (string, error) {
	t.Helper()
	app := newApp()
	var out bytes.Buffer
	app.Writer = &out
	app.ErrWriter = io.Discard
	err := app.Run(append([]string{"drumsplit"}, args...))
	return out.String(), err
}

func isUsage(err error) bool {
	var ue usageError
	return errors.As(err, &ue)
}

const tinyModel = "../../testdata/models/tiny6.pt"

func TestInfoCommand(t *testing.T) {
	out, err := runModelCommand(t, "info", tinyModel)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"model:        tiny6 (tfc_tdf_v3, format 1,",
		"stems:        6: kick, snare, toms, hh, ride, crash\n",
		"stft:         n_fft 256, hop 64, 128 of 129 bins\n",
		"chunk:        960 samples (0.02 s), 16 frames\n",
		"defaults:     overlap 4 (step 240), batch 1\n",
		"precision:    fp32\n",
		"checkpoint:   sha256 ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	info, err := model.ReadInfo(tinyModel)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"info", "--json", tinyModel}, {"info", tinyModel, "--json"}} {
		out, err := runModelCommand(t, args...)
		if err != nil {
			t.Fatal(args, err)
		}
		var got, want any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		json.Unmarshal(info.Raw, &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%v printed %s", args, out)
		}
	}
}

func TestInfoCommandErrors(t *testing.T) {
	for _, args := range [][]string{{"info"}, {"info", tinyModel, tinyModel}, {"info", tinyModel, "--nope"}} {
		if _, err := runModelCommand(t, args...); !isUsage(err) {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
	}
	_, err := runModelCommand(t, "info", "../../configs/tiny_6stem.yaml")
	if !errors.Is(err, model.ErrNotZip) || strings.Contains(err.Error(), "\n") {
		t.Errorf("yaml file: %v", err)
	}
}

// fakePython writes a shell script standing in for a Python interpreter: it
// passes or fails the import check and prints stderr when run on a script.
func fakePython(t *testing.T, importOK bool, stderr string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("shell script stand-in")
	}
	check := "exit 0"
	if !importOK {
		check = `echo "ModuleNotFoundError: No module named 'torch'" >&2; exit 1`
	}
	script := "#!/bin/sh\nif [ \"$1\" = -c ]; then " + check + "; fi\necho '" + stderr + "' >&2\nexit 1\n"
	p := filepath.Join(t.TempDir(), "python3")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func exportArgs(t *testing.T, extra ...string) []string {
	dir := t.TempDir()
	ck := filepath.Join(dir, "m.ckpt")
	os.WriteFile(ck, []byte("stand-in"), 0o644)
	return append([]string{"export", "--checkpoint", ck, "--config", "../../configs/tiny_6stem.yaml",
		"-o", filepath.Join(dir, "m.pt")}, extra...)
}

func TestExportWithoutPython(t *testing.T) {
	t.Setenv("DRUMSPLIT_PYTHON", "")
	t.Setenv("PATH", t.TempDir())
	_, err := runModelCommand(t, exportArgs(t)...)
	if err == nil || isUsage(err) {
		t.Fatalf("got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"apt install python3-torch python3-yaml", "conda env create -f environment.yml", "--python"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}

	// A PATH Python without torch is tried and named.
	noTorch := fakePython(t, false, "")
	t.Setenv("PATH", filepath.Dir(noTorch))
	_, err = runModelCommand(t, exportArgs(t)...)
	if err == nil || !strings.Contains(err.Error(), "tried "+noTorch) || !strings.Contains(err.Error(), "apt install") {
		t.Errorf("PATH without torch: %v", err)
	}

	// An explicit choice that does not work is reported as such.
	_, err = runModelCommand(t, exportArgs(t, "--python", noTorch)...)
	if err == nil || !strings.HasPrefix(err.Error(), "--python "+noTorch+": ModuleNotFoundError: No module named 'torch'") {
		t.Errorf("--python: %v", err)
	}
	t.Setenv("DRUMSPLIT_PYTHON", filepath.Join(t.TempDir(), "missing-python"))
	_, err = runModelCommand(t, exportArgs(t)...)
	if err == nil || !strings.HasPrefix(err.Error(), "DRUMSPLIT_PYTHON=") {
		t.Errorf("DRUMSPLIT_PYTHON: %v", err)
	}
}

func TestExportReportsExporterError(t *testing.T) {
	py := fakePython(t, true, "export_model: checkpoint m.ckpt does not fit config c.yaml: 3 of 319 keys missing")
	_, err := runModelCommand(t, exportArgs(t, "--python", py)...)
	if err == nil || err.Error() != "checkpoint m.ckpt does not fit config c.yaml: 3 of 319 keys missing" {
		t.Errorf("got %v", err)
	}
}

func TestExportUsage(t *testing.T) {
	for _, args := range [][]string{
		{"export", "--config", "c.yaml", "-o", "m.pt"},
		{"export", "--checkpoint", "c.ckpt", "-o", "m.pt"},
		{"export", "--checkpoint", "c.ckpt", "--config", "c.yaml"},
		append(exportArgs(t), "--precision", "int8"),
		append(exportArgs(t), "extra"),
	} {
		if _, err := runModelCommand(t, args...); !isUsage(err) {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
	}
	_, err := runModelCommand(t, "export", "--checkpoint", "nope.ckpt", "--config", "c.yaml", "-o", "m.pt")
	if err == nil || err.Error() != "checkpoint nope.ckpt: no such file or directory" {
		t.Errorf("missing checkpoint: %v", err)
	}
}

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

// TestExportEndToEnd exports a random-weight checkpoint with the embedded
// exporter and reads the result back.
func TestExportEndToEnd(t *testing.T) {
	py := realPython(t)
	dir := t.TempDir()
	cfg, ck := tinyCheckpoint(t, py, dir, 3)
	out := filepath.Join(dir, "drums.pt")
	stdout, err := runModelCommand(t, "export", "--checkpoint", ck, "--config", cfg, "-o", out,
		"--precision", "fp16", "--name", "random drums")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout, "wrote "+out) {
		t.Errorf("stdout %q", stdout)
	}
	info, err := model.ReadInfo(out)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(ck)
	sum := sha256.Sum256(data)
	if info.Name != "random drums" || info.Precision != "fp16" || info.CheckpointSHA256 != hex.EncodeToString(sum[:]) ||
		!reflect.DeepEqual(info.Stems, []string{"kick", "snare", "toms", "hh", "ride", "crash"}) {
		t.Errorf("metadata %+v", info)
	}

}
