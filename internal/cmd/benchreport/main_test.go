package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/internal/bench"
)

// TestRun regenerates a markdown file and chart from the fixtures: the
// markdown is exactly what `drumsplit bench report` writes (bench.WriteReport
// without a chart), and the chart is drawn next to it.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "B.md")
	chart := filepath.Join(dir, "bench", "rtf.svg")
	prose := "# B\n\nprose\n"
	if err := os.WriteFile(md, []byte(prose), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-results", fixtures, "-markdown", md, "-chart", chart}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "wrote ") || stderr.Len() != 0 {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	svg, err := os.ReadFile(chart)
	if err != nil || !bytes.Contains(svg, []byte("<svg")) {
		t.Fatalf("chart: %v\n%.200s", err, svg)
	}
	got, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}

	// The same report through the binary's path.
	md2 := filepath.Join(dir, "B2.md")
	if err := os.WriteFile(md2, []byte(prose), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := bench.WriteReport(fixtures, md2, chart, nil); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(md2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) || !bytes.Contains(got, []byte("](bench/rtf.svg)")) {
		t.Errorf("benchreport wrote\n%s\ndrumsplit bench report writes\n%s", got, want)
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"extra"}, 2, "takes no arguments"},
		{[]string{"-nosuchflag"}, 2, "nosuchflag"},
		// The markdown file is a folder: nothing can be written.
		{[]string{"-results", fixtures, "-markdown", dir, "-chart", ""}, 1, "benchreport: "},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}
