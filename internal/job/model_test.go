package job

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadModel: the model's metadata is read without libtorch; a missing
// file matches fs.ErrNotExist, a FIFO is refused without being opened
// (which would wait for a writer), and every other error names the model.
func TestReadModel(t *testing.T) {
	info, err := ReadModel(filepath.Join("..", "..", "testdata", "models", "tiny6.pt"))
	if err != nil || len(info.Stems) != 6 {
		t.Fatalf("tiny6.pt: %+v, %v", info, err)
	}
	dir := t.TempDir()
	if _, err := ReadModel(filepath.Join(dir, "missing.pt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing model: %v", err)
	}
	notZip := filepath.Join(dir, "notes.pt")
	if err := os.WriteFile(notZip, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadModel(notZip); err == nil || !strings.HasPrefix(err.Error(), "model "+notZip+": ") {
		t.Errorf("not a zip file: %v", err)
	}
	fifo := filepath.Join(dir, "fifo.pt")
	if err := mkfifo(fifo); err != nil {
		t.Skip(err)
	}
	if _, err := ReadModel(fifo); !errors.Is(err, ErrNotRegular) || !strings.HasPrefix(err.Error(), `model "`) {
		t.Errorf("a FIFO: %v", err)
	}
	if err := CheckRegular(dir); err != nil {
		t.Errorf("a folder is left to the reader: %v", err)
	}
}
