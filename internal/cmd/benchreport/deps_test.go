package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDrumsplitHasNoPlot: the drumsplit binary does not link the plotting
// library, which only this command needs (issue 18.7: it nearly doubled the
// binary's size, with fonts, PDF and LaTeX support for one SVG chart).
func TestDrumsplitHasNoPlot(t *testing.T) {
	// go test puts its own go command first on the PATH.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list dependencies with")
	}
	out, err := exec.Command(goTool, "list", "-deps", "../../../cmd/drumsplit").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps gave %d packages: %q", len(deps), out)
	}
	for _, p := range deps {
		for _, banned := range []string{"gonum.org/v1/plot", "codeberg.org/go-latex", "codeberg.org/go-pdf", "codeberg.org/go-fonts"} {
			if p == banned || strings.HasPrefix(p, banned+"/") {
				t.Errorf("drumsplit depends on %s", p)
			}
		}
	}
}
