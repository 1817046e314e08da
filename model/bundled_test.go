package model

import (
	"path/filepath"
	"testing"
)

// TestFindBundled: $DRUMSPLIT_MODEL wins; without it the two places next
// to the executable are looked for, and named when the model is in
// neither.
func TestFindBundled(t *testing.T) {
	t.Setenv("DRUMSPLIT_MODEL", "my.pt")
	if p, _ := FindBundled(); p != "my.pt" {
		t.Errorf("with $DRUMSPLIT_MODEL: %q", p)
	}
	t.Setenv("DRUMSPLIT_MODEL", "")
	p, looked := FindBundled()
	if p != "" || len(looked) != 2 {
		t.Fatalf("next to the test binary: %q, looked for %q", p, looked)
	}
	for i, want := range []string{filepath.Join("..", "models"), "models"} {
		if filepath.Base(looked[i]) != BundledName || !filepath.IsAbs(looked[i]) {
			t.Errorf("looked for %q (%s)", looked[i], want)
		}
	}
	if filepath.Dir(filepath.Dir(looked[0])) != filepath.Dir(filepath.Dir(filepath.Dir(looked[1]))) {
		t.Errorf("%q is not in the folder above %q", looked[0], looked[1])
	}
}
