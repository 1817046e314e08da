package model

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

const fixtures = "../testdata/models"

// manifest is the part of testdata/models/manifest.json these tests use.
type manifest struct {
	Models []struct {
		File      string   `json:"file"`
		Name      string   `json:"name"`
		Stems     []string `json:"stems"`
		Precision string   `json:"precision"`
		Cases     []struct {
			Method      string `json:"method"`
			InputShape  []int  `json:"input_shape"`
			OutputShape []int  `json:"output_shape"`
		} `json:"cases"`
	} `json:"models"`
}

func readManifest(t *testing.T) manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Models) < 5 {
		t.Fatalf("manifest lists %d models", len(m.Models))
	}
	return m
}

// TestReadInfoFixtures checks every committed model against the manifest:
// stems, precision, and shapes consistent with the metadata.
func TestReadInfoFixtures(t *testing.T) {
	for _, mm := range readManifest(t).Models {
		t.Run(mm.Name, func(t *testing.T) {
			info, err := ReadInfo(filepath.Join(fixtures, mm.File))
			if err != nil {
				t.Fatal(err)
			}
			if info.Name != mm.Name || info.Precision != mm.Precision || !reflect.DeepEqual(info.Stems, mm.Stems) {
				t.Errorf("name %q precision %q stems %q; manifest says %q %q %q",
					info.Name, info.Precision, info.Stems, mm.Name, mm.Precision, mm.Stems)
			}
			if info.Format != Format || info.FormatVersion != FormatVersion || info.Channels != 2 || info.SampleRate != 44100 {
				t.Errorf("header fields %+v", info)
			}
			for _, c := range mm.Cases {
				n := c.InputShape[0]
				switch c.Method {
				case "forward":
					chunk := c.InputShape[2]
					if err := info.CheckChunk(chunk); err != nil {
						t.Errorf("fixture chunk: %v", err)
					}
					if want := []int{n, info.NumStems(), 2, chunk}; !reflect.DeepEqual(c.OutputShape, want) {
						t.Errorf("forward output shape %v, metadata gives %v", c.OutputShape, want)
					}
				case "forward_spec":
					if c.InputShape[2] != info.DimF || c.InputShape[3] != info.Frames() {
						t.Errorf("spec input %v, metadata dim_f %d frames %d", c.InputShape, info.DimF, info.Frames())
					}
					if want := []int{n, info.NumStems(), 4, info.DimF, info.Frames()}; !reflect.DeepEqual(c.OutputShape, want) {
						t.Errorf("forward_spec output shape %v, metadata gives %v", c.OutputShape, want)
					}
				default:
					t.Errorf("unknown method %q", c.Method)
				}
			}
			var cfg map[string]any
			if err := json.Unmarshal(info.Config, &cfg); err != nil || cfg["model"] == nil {
				t.Errorf("config %s: %v", info.Config, err)
			}
			if !json.Valid(info.Raw) {
				t.Error("Raw is not the JSON file")
			}
		})
	}
}

func TestReadInfoDrumSepGeometry(t *testing.T) {
	info, err := ReadInfo(filepath.Join(fixtures, "identity.pt"))
	if err != nil {
		t.Fatal(err)
	}
	// identity.pt carries the DrumSep 6-stem metadata (configs/drumsep_6stem_mdx23c.yaml).
	want := Info{Format: Format, FormatVersion: 1, Architecture: "identity", SampleRate: 44100, Channels: 2,
		NFFT: 2048, HopLength: 512, DimF: 1024, ChunkSize: 130560, FramesMultiple: 32,
		Stems:      []string{"kick", "snare", "toms", "hh", "ride", "crash"},
		NumOverlap: 4, BatchSize: 1, Precision: "fp32", Name: "identity",
		WeightsSHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"} // no tensors: SHA-256 of nothing
	got := *info
	got.Config, got.Raw, got.TorchVersion = nil, nil, ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"Frames", info.Frames(), 256},
		{"Bins", info.Bins(), 1025},
		{"Step(0)", info.Step(0), 32640},
		{"Step(8)", info.Step(8), 16320},
		{"FramesFor(523776)", info.FramesFor(523776), 1024},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	for _, c := range []struct {
		n  int
		ok bool
	}{{130560, true}, {512 * 63, true}, {523776, true}, {512 * 64, false}, {130561, false}, {0, false}, {-512, false}} {
		if err := info.CheckChunk(c.n); (err == nil) != c.ok {
			t.Errorf("CheckChunk(%d) = %v", c.n, err)
		}
	}
}

// zipFile builds a zip archive of name → content in dir and returns its path.
func zipFile(t *testing.T, dir, name string, entries map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for n, c := range entries {
		f, err := w.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(c))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func validMeta(t *testing.T, change func(m map[string]any)) string {
	t.Helper()
	info, err := ReadInfo(filepath.Join(fixtures, "tiny6.pt"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(info.Raw, &m); err != nil {
		t.Fatal(err)
	}
	// The archives built from it hold no tensors.
	delete(m, "weights_sha256")
	if change != nil {
		change(m)
	}
	data, _ := json.Marshal(m)
	return string(data)
}

func TestReadInfoErrors(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("hello"), 0o644)
	ts := map[string]string{"m/constants.pkl": "x", "m/code/__torch__/m.py": "x", "m/data.pkl": "x"}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range ts {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	cases := []struct {
		name   string
		path   string
		want   error
		detail string
	}{
		{"text file", text, ErrNotZip, ""},
		{"directory", dir, ErrNotZip, "directory"},
		{"plain zip", zipFile(t, dir, "a.zip", map[string]string{"readme.txt": "x"}), ErrNotTorchScript, ""},
		{"checkpoint", zipFile(t, dir, "c.ckpt", map[string]string{"c/data.pkl": "x", "c/data/0": "x", "c/version": "3"}),
			ErrNotTorchScript, "PyTorch checkpoint"},
		{"plain torchscript", zipFile(t, dir, "ts.pt", ts), ErrNotDrumsplit, "drumsplit export"},
		{"other format", zipFile(t, dir, "o.pt", with(map[string]string{"m/extra/drumsplit.json": `{"format":"other","format_version":1}`})),
			ErrNotDrumsplit, `"other"`},
		{"future version", zipFile(t, dir, "v2.pt", with(map[string]string{"m/extra/drumsplit.json": validMeta(t, func(m map[string]any) { m["format_version"] = 2 })})),
			ErrVersion, "version 2"},
		{"bad json", zipFile(t, dir, "j.pt", with(map[string]string{"m/extra/drumsplit.json": `{"format":`})), ErrMetadata, "not JSON"},
		{"bad chunk", zipFile(t, dir, "k.pt", with(map[string]string{"m/extra/drumsplit.json": validMeta(t, func(m map[string]any) { m["chunk_size"] = 64 * 14 })})),
			ErrMetadata, "not a multiple of 8"},
		{"no stems", zipFile(t, dir, "s.pt", with(map[string]string{"m/extra/drumsplit.json": validMeta(t, func(m map[string]any) { m["stems"] = []string{} })})),
			ErrMetadata, "no stems"},
		{"repeated stem", zipFile(t, dir, "r.pt", with(map[string]string{"m/extra/drumsplit.json": validMeta(t, func(m map[string]any) { m["stems"] = []string{"a", "a"} })})),
			ErrMetadata, "repeated"},
		{"mono", zipFile(t, dir, "mono.pt", with(map[string]string{"m/extra/drumsplit.json": validMeta(t, func(m map[string]any) { m["channels"] = 1 })})),
			ErrMetadata, "stereo"},
		{"precision", zipFile(t, dir, "p.pt", with(map[string]string{"m/extra/drumsplit.json": validMeta(t, func(m map[string]any) { m["precision"] = "int8" })})),
			ErrMetadata, "int8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadInfo(c.path)
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, c.want) {
				t.Fatalf("got %v, want a FormatError %v", err, c.want)
			}
			msg := err.Error()
			if fe.Path != c.path || !strings.HasPrefix(msg, "model "+strconv.Quote(c.path)+": ") || strings.Contains(msg, "\n") || !strings.Contains(msg, c.detail) {
				t.Errorf("message %q (want path prefix, one line, %q)", msg, c.detail)
			}
		})
	}
	missing := filepath.Join(dir, "missing.pt")
	if _, err := ReadInfo(missing); !errors.Is(err, os.ErrNotExist) || err.Error() != "model "+strconv.Quote(missing)+": no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
	// A metadata file that only differs in unknown fields is fine (forward compatible).
	p := zipFile(t, dir, "extra.pt", with(map[string]string{"m/extra/drumsplit.json": validMeta(t, func(m map[string]any) { m["future_field"] = true })}))
	if _, err := ReadInfo(p); err != nil {
		t.Errorf("unknown field: %v", err)
	}
}

func TestParseRoundTrip(t *testing.T) {
	info, err := Parse([]byte(validMeta(t, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if info.Frames() != 16 || info.Step(0) != 240 || info.Bins() != 129 {
		t.Errorf("tiny6: frames %d step %d bins %d", info.Frames(), info.Step(0), info.Bins())
	}
}

func ExampleReadInfo() {
	info, err := ReadInfo("../testdata/models/tiny6.pt")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.Stems)
	fmt.Printf("chunk %d samples = %d frames, step %d at overlap %d\n",
		info.ChunkSize, info.Frames(), info.Step(0), info.NumOverlap)
	// Output:
	// [kick snare toms hh ride crash]
	// chunk 960 samples = 16 frames, step 240 at overlap 4
}
