package scripts

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestExporterOutput: the exporter's last line is the error without its
// program prefix, and its warnings are picked out by their prefix.
func TestExporterOutput(t *testing.T) {
	stderr := "some torch noise\nexport_model: warning: unpickling x without restriction\n" +
		"export_model: refusing to unpickle checkpoint x: not a torch zip archive at offset 0\n\n"
	if got, want := exporterError(stderr), "refusing to unpickle checkpoint x: not a torch zip archive at offset 0"; got != want {
		t.Errorf("exporterError = %q, want %q", got, want)
	}
	if got, want := exporterWarnings(stderr), []string{"unpickling x without restriction"}; !reflect.DeepEqual(got, want) {
		t.Errorf("exporterWarnings = %q, want %q", got, want)
	}
	if exporterError("  \n") != "" || exporterWarnings("") != nil {
		t.Error("empty stderr gives an error or warnings")
	}
}

// TestFindPythonExplicit: an explicit interpreter that cannot import torch
// is an error naming it and what to install, not a reason to look further.
func TestFindPythonExplicit(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "python3")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"ModuleNotFoundError: No module named 'torch'\" >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := FindPython(context.Background(), fake, nil)
	if err == nil || !strings.Contains(err.Error(), fake) || !strings.Contains(err.Error(), "No module named 'torch'") ||
		!strings.Contains(err.Error(), "apt install python3-torch") {
		t.Errorf("FindPython(%q) = %v", fake, err)
	}
	t.Setenv("PATH", dir)
	t.Setenv("DRUMSPLIT_PYTHON", "")
	if _, err := FindPython(context.Background(), "", nil); err == nil || !strings.Contains(err.Error(), "tried "+fake) {
		t.Errorf("FindPython on a PATH without torch = %v", err)
	}
}

// TestWriteFS unpacks the embedded exporter as the export command does.
func TestWriteFS(t *testing.T) {
	dir := t.TempDir()
	if err := writeFS(dir, Exporter); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{ExporterMain, "drumsplit_model/checkpoint.py"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Error(err)
		}
	}
}
