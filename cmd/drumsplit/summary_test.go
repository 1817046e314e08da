package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSummaryArgs: summary's mistakes are one line each: no LOG and a
// missing one are usage errors (exit 2), a folder without logs and a log
// without a run fail (exit 1).
func TestSummaryArgs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "text.log"), []byte("drumsplit: something\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{nil, 2, "name the logs"},
		{[]string{"gone.log"}, 2, `"gone.log": no such file`},
		{[]string{"empty"}, 1, `"empty": no .json`},
		{[]string{"text.log"}, 1, "no separate --json run"},
	} {
		r := ds(t, dir, nil, append([]string{"summary"}, c.args...)...)
		wantCode(t, r, c.code)
		wantOneLine(t, r, c.says)
	}
}
