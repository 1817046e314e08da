package model

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// readFixture returns the bytes of a committed model and its zip directory.
func readFixture(t *testing.T, name string) ([]byte, *zip.Reader) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return data, z
}

// weightRecord returns the first tensor record of z big enough to flip a byte
// in the middle of.
func weightRecord(t *testing.T, z *zip.Reader) *zip.File {
	t.Helper()
	for _, f := range z.File {
		if strings.Contains(f.Name, "/data/") && f.Method == zip.Store && f.UncompressedSize64 >= 64 {
			return f
		}
	}
	t.Fatal("no tensor record")
	return nil
}

// rewrite copies the zip z into a new archive at path, passing each record
// through edit; the copy has correct CRCs for the edited bytes.
func rewrite(t *testing.T, z *zip.Reader, path string, edit func(name string, data []byte) []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out, err := w.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		out.Write(edit(f.Name, data))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func wantCorrupt(t *testing.T, path, detail string) {
	t.Helper()
	_, err := ReadInfo(path)
	var fe *FormatError
	if !errors.As(err, &fe) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v, want an ErrCorrupt FormatError", err)
	}
	want := "model " + strconv.Quote(path) + " is damaged: " + detail + " (re-export or re-download it)"
	if err.Error() != want {
		t.Errorf("message %q\nwant    %q", err.Error(), want)
	}
}

// TestReadInfoCorruptWeights is the regression test of issue 22.12: a model
// with a damaged weights record loaded and separated with exit status 0.
func TestReadInfoCorruptWeights(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"tiny6.pt", "tiny_target.pt"} {
		data, z := readFixture(t, name)
		f := weightRecord(t, z)
		off, err := f.DataOffset()
		if err != nil {
			t.Fatal(err)
		}
		bad := bytes.Clone(data)
		bad[off+int64(f.UncompressedSize64)/2] ^= 0x10
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		wantCorrupt(t, p, "record "+strconv.Quote(f.Name)+" fails its CRC-32 check")
	}
}

// TestReadInfoCorruptCode: the CRC check covers every record, not only the
// weights (a damaged TorchScript source or pickle is as fatal).
func TestReadInfoCorruptCode(t *testing.T) {
	data, z := readFixture(t, "tiny6.pt")
	var rec *zip.File
	for _, f := range z.File {
		if strings.HasSuffix(f.Name, "/data.pkl") {
			rec = f
		}
	}
	off, err := rec.DataOffset()
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(data)
	bad[off+int64(rec.CompressedSize64)/2] ^= 0x01
	p := filepath.Join(t.TempDir(), "tiny6.pt")
	os.WriteFile(p, bad, 0o644)
	_, err = ReadInfo(p)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), strconv.Quote(rec.Name)) {
		t.Errorf("got %v, want ErrCorrupt naming %s", err, rec.Name)
	}
}

// TestReadInfoTruncated: a model cut short (an interrupted download) is not
// a zip any more: its directory is at the end.
func TestReadInfoTruncated(t *testing.T) {
	data, _ := readFixture(t, "tiny6.pt")
	p := filepath.Join(t.TempDir(), "tiny6.pt")
	os.WriteFile(p, data[:len(data)*2/3], 0o644)
	if _, err := ReadInfo(p); !errors.Is(err, ErrNotZip) {
		t.Errorf("got %v, want ErrNotZip", err)
	}
}

// TestReadInfoFromMemory: ReadInfoFrom checks the same from an open reader,
// and its errors have no file name.
func TestReadInfoFromMemory(t *testing.T) {
	data, z := readFixture(t, "tiny6.pt")
	if _, err := ReadInfoFrom(bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	f := weightRecord(t, z)
	off, _ := f.DataOffset()
	data[off] ^= 0x80
	_, err := ReadInfoFrom(bytes.NewReader(data), int64(len(data)))
	if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(err.Error(), "model is damaged: record ") {
		t.Errorf("got %v", err)
	}
}
