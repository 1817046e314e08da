package model

import (
	"archive/zip"
	"bytes"
	"encoding/json"
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

// TestReadInfoWeightsDigest: a tensor record changed together with its CRC
// (so that only weights_sha256 can tell) is ErrCorrupt, and so are two
// records whose contents swapped places.
func TestReadInfoWeightsDigest(t *testing.T) {
	_, z := readFixture(t, "tiny6.pt")
	info, err := ReadInfo(filepath.Join(fixtures, "tiny6.pt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(info.WeightsSHA256) != 64 {
		t.Fatalf("tiny6.pt has no weights_sha256 (regenerate with make fixtures-models): %q", info.WeightsSHA256)
	}
	dir := t.TempDir()
	target := weightRecord(t, z).Name

	same := filepath.Join(dir, "same.pt")
	rewrite(t, z, same, func(name string, data []byte) []byte { return data })
	if _, err := ReadInfo(same); err != nil {
		t.Fatalf("unchanged records in a rewritten archive: %v", err)
	}

	changed := filepath.Join(dir, "changed.pt")
	rewrite(t, z, changed, func(name string, data []byte) []byte {
		if name == target {
			data = bytes.Clone(data)
			data[len(data)/2] ^= 0x10
		}
		return data
	})
	wantCorrupt(t, changed, "weights checksum mismatch")

	// tiny6/data/1 and data/2 are two 16-byte tensors (norm weight and bias).
	swapped := filepath.Join(dir, "swapped.pt")
	a, b := readRecordNamed(t, z, "tiny6/data/1"), readRecordNamed(t, z, "tiny6/data/2")
	if len(a) != len(b) || bytes.Equal(a, b) {
		t.Fatalf("records 1 and 2 are %d and %d bytes", len(a), len(b))
	}
	rewrite(t, z, swapped, func(name string, data []byte) []byte {
		switch name {
		case "tiny6/data/1":
			return b
		case "tiny6/data/2":
			return a
		}
		return data
	})
	wantCorrupt(t, swapped, "weights checksum mismatch")
}

// TestReadInfoWithoutDigest: files exported before weights_sha256 existed
// still load, and the CRC check still guards them.
func TestReadInfoWithoutDigest(t *testing.T) {
	_, z := readFixture(t, "tiny6.pt")
	old := filepath.Join(t.TempDir(), "old.pt")
	rewrite(t, z, old, func(name string, data []byte) []byte {
		if !strings.HasSuffix(name, "/"+MetadataFile) {
			return data
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "weights_sha256")
		out, _ := json.Marshal(m)
		return out
	})
	info, err := ReadInfo(old)
	if err != nil || info.WeightsSHA256 != "" {
		t.Fatalf("old file: %v (weights_sha256 %q)", err, info.WeightsSHA256)
	}
	data, err := os.ReadFile(old)
	if err != nil {
		t.Fatal(err)
	}
	z2, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	f := weightRecord(t, z2)
	off, _ := f.DataOffset()
	data[off+1] ^= 0x04
	os.WriteFile(old, data, 0o644)
	wantCorrupt(t, old, "record "+strconv.Quote(f.Name)+" fails its CRC-32 check")
}

func readRecordNamed(t *testing.T, z *zip.Reader, name string) []byte {
	t.Helper()
	rc, err := z.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
