package main

import (
	"path/filepath"
	"testing"

	"github.com/drumsplit/drumsplit/internal/opencount"
)

// TestSeparateOpensModelTwice: a separation opens the model file twice, once
// for its metadata (read by the command and handed to the separator) and once
// in libtorch. It used to be six times.
func TestSeparateOpensModelTwice(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	m := filepath.Join(dir, "private.pt") // no other test opens it
	copyFile(t, modelPath(t, "tiny6.pt"), m)
	writeInput(t, filepath.Join(dir, "in.wav"), 44100, 44100, 3)
	c, err := opencount.Watch(m)
	if err != nil {
		t.Skip(err)
	}
	defer c.Close()
	r := ds(t, dir, nil, "separate", "-q", "-m", m, "in.wav")
	wantCode(t, r, 0)
	if n, err := c.Opens(); err != nil || n != 2 {
		t.Errorf("the model was opened %d times (%v), want 2", n, err)
	}
}
