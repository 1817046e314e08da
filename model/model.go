// Package model reads the metadata of exported drumsplit models.
//
// An exported model (scripts/export_model.py, `drumsplit export`) is a
// TorchScript archive — a zip file — that carries its description as the
// extra file extra/drumsplit.json: sample rate, STFT geometry, chunk size,
// stem names, the runner defaults of its MSST config, and where it came
// from. ReadInfo reads that file straight from the zip, so describing a
// model needs neither libtorch nor loading the weights.
//
// The format is specified in docs/ARCHITECTURE.md ("The exported model format").
package model

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// The metadata format this package reads.
const (
	// Format is the value of the metadata's "format" field.
	Format = "drumsplit-model"
	// FormatVersion is the metadata version this package understands.
	FormatVersion = 1
	// MetadataFile is the metadata's path inside the archive's top folder.
	MetadataFile = "extra/drumsplit.json"
)

// maxMetadataSize bounds how much of the metadata entry is read, so that a
// hostile archive cannot make ReadInfo allocate without limit.
const maxMetadataSize = 4 << 20

// Errors that say why a file is not a usable drumsplit model. ReadInfo
// returns them wrapped in a *FormatError; test with errors.Is.
var (
	ErrNotZip         = errors.New("not a zip archive")
	ErrNotTorchScript = errors.New("not a TorchScript archive")
	ErrNotDrumsplit   = errors.New("not a drumsplit model")
	ErrVersion        = errors.New("unsupported model format version")
	ErrMetadata       = errors.New("invalid model metadata")
)

// FormatError reports a file that is not a usable drumsplit model.
type FormatError struct {
	Path   string // the file, or "" when parsing metadata from memory
	Err    error  // ErrNotZip, ErrNotTorchScript, ErrNotDrumsplit, ErrVersion or ErrMetadata
	Detail string // what exactly is wrong, or a hint; may be empty
}

// Error returns a one-line message: path, problem and detail.
func (e *FormatError) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	if e.Detail != "" {
		b.WriteString(" (")
		b.WriteString(e.Detail)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the sentinel error (ErrNotZip, …).
func (e *FormatError) Unwrap() error { return e.Err }

// Info is the metadata of an exported model (extra/drumsplit.json).
type Info struct {
	Format        string `json:"format"`         // always Format
	FormatVersion int    `json:"format_version"` // always FormatVersion
	Architecture  string `json:"architecture"`   // "tfc_tdf_v3"; "identity" for test models

	SampleRate int `json:"sample_rate"` // Hz
	Channels   int `json:"channels"`    // always 2
	NFFT       int `json:"n_fft"`       // STFT size
	HopLength  int `json:"hop_length"`  // STFT hop
	DimF       int `json:"dim_f"`       // frequency bins the net sees (bins ≥ DimF are dropped)
	ChunkSize  int `json:"chunk_size"`  // samples per channel of one chunk

	// FramesMultiple is what the STFT frame count of a chunk must be a
	// multiple of (scale[0]^num_scales: the U-Net halves time that often).
	FramesMultiple int `json:"frames_multiple"`

	Stems      []string `json:"stems"`       // output stem names, in output order, lowercase
	NumOverlap int      `json:"num_overlap"` // default overlap (MSST inference.num_overlap)
	BatchSize  int      `json:"batch_size"`  // default batch (MSST inference.batch_size)
	Precision  string   `json:"precision"`   // "fp32" or "fp16": the stored weights

	CheckpointSHA256 string `json:"checkpoint_sha256"` // hex SHA-256 of the source checkpoint; "" for test models
	TorchVersion     string `json:"torch_version"`     // torch that exported the model
	Name             string `json:"name"`              // model name

	// Config is the model's MSST yaml config, as JSON.
	Config json.RawMessage `json:"config"`

	// Raw is the metadata file exactly as stored in the archive.
	Raw []byte `json:"-"`
}

// ReadInfo reads the metadata of the exported model at path. Errors about the
// file's content are *FormatError; I/O errors are returned as they come.
func ReadInfo(path string) (*Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, &FormatError{Path: path, Err: ErrNotZip, Detail: "a directory"}
	}
	info, err := ReadInfoFrom(f, st.Size())
	var fe *FormatError
	if errors.As(err, &fe) {
		fe.Path = path
	}
	return info, err
}

// ReadInfoFrom reads the metadata of an exported model held by r (size bytes).
func ReadInfoFrom(r io.ReaderAt, size int64) (*Info, error) {
	z, err := zip.NewReader(r, size)
	if err != nil {
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrAlgorithm) || errors.Is(err, zip.ErrChecksum) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &FormatError{Err: ErrNotZip}
		}
		return nil, fmt.Errorf("reading zip directory: %w", err)
	}
	var meta *zip.File
	var torchscript, pickle bool
	for _, f := range z.File {
		// Entries are "<top>/…"; the top folder's name varies with how the
		// archive was written.
		top, rest, ok := strings.Cut(f.Name, "/")
		if !ok || top == "" {
			continue
		}
		switch {
		case rest == MetadataFile:
			meta = f
		case rest == "constants.pkl" || strings.HasPrefix(rest, "code/"):
			torchscript = true
		case rest == "data.pkl":
			pickle = true
		}
	}
	if !torchscript {
		if pickle {
			return nil, &FormatError{Err: ErrNotTorchScript, Detail: "a PyTorch checkpoint; convert it with drumsplit export"}
		}
		return nil, &FormatError{Err: ErrNotTorchScript}
	}
	if meta == nil {
		return nil, &FormatError{Err: ErrNotDrumsplit, Detail: "a TorchScript archive without " + MetadataFile + "; export models with drumsplit export"}
	}
	if meta.UncompressedSize64 > maxMetadataSize {
		return nil, &FormatError{Err: ErrMetadata, Detail: fmt.Sprintf("%s is %d bytes", path.Base(meta.Name), meta.UncompressedSize64)}
	}
	rc, err := meta.Open()
	if err != nil {
		return nil, &FormatError{Err: ErrMetadata, Detail: err.Error()}
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxMetadataSize+1))
	if err != nil {
		return nil, &FormatError{Err: ErrMetadata, Detail: err.Error()}
	}
	return Parse(data)
}

// Parse decodes and validates metadata (the content of extra/drumsplit.json).
func Parse(data []byte) (*Info, error) {
	var head struct {
		Format        *string `json:"format"`
		FormatVersion *int    `json:"format_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, &FormatError{Err: ErrMetadata, Detail: "not JSON: " + err.Error()}
	}
	if head.Format == nil || *head.Format != Format {
		got := "missing"
		if head.Format != nil {
			got = fmt.Sprintf("%q", *head.Format)
		}
		return nil, &FormatError{Err: ErrNotDrumsplit, Detail: "metadata format is " + got + ", want " + Format}
	}
	if head.FormatVersion == nil {
		return nil, &FormatError{Err: ErrMetadata, Detail: "no format_version"}
	}
	if *head.FormatVersion != FormatVersion {
		return nil, &FormatError{Err: ErrVersion, Detail: fmt.Sprintf("version %d; this drumsplit reads version %d", *head.FormatVersion, FormatVersion)}
	}
	info := new(Info)
	if err := json.Unmarshal(data, info); err != nil {
		return nil, &FormatError{Err: ErrMetadata, Detail: err.Error()}
	}
	info.Raw = bytes.Clone(data)
	if err := info.Validate(); err != nil {
		return nil, err
	}
	return info, nil
}

// Validate checks that the metadata describes a model drumsplit can run.
// It returns a *FormatError with ErrMetadata naming the first bad field.
func (m *Info) Validate() error {
	bad := func(format string, args ...any) error {
		return &FormatError{Err: ErrMetadata, Detail: fmt.Sprintf(format, args...)}
	}
	switch {
	case m.Architecture == "":
		return bad("no architecture")
	case m.SampleRate <= 0:
		return bad("sample_rate %d", m.SampleRate)
	case m.Channels != 2:
		return bad("channels %d, drumsplit models are stereo", m.Channels)
	case m.NFFT <= 0 || m.HopLength <= 0:
		return bad("n_fft %d, hop_length %d", m.NFFT, m.HopLength)
	case m.DimF <= 0 || m.DimF > m.Bins():
		return bad("dim_f %d outside 1…%d", m.DimF, m.Bins())
	case m.FramesMultiple <= 0:
		return bad("frames_multiple %d", m.FramesMultiple)
	case len(m.Stems) == 0:
		return bad("no stems")
	case m.NumOverlap <= 0:
		return bad("num_overlap %d", m.NumOverlap)
	case m.BatchSize <= 0:
		return bad("batch_size %d", m.BatchSize)
	case m.Precision != "fp32" && m.Precision != "fp16":
		return bad("precision %q", m.Precision)
	}
	seen := make(map[string]bool, len(m.Stems))
	for _, s := range m.Stems {
		if s == "" || seen[s] {
			return bad("stems %q: empty or repeated name", m.Stems)
		}
		seen[s] = true
	}
	if err := m.CheckChunk(m.ChunkSize); err != nil {
		return bad("chunk_size: %v", err)
	}
	return nil
}

// Bins is the number of frequency bins of the model's STFT (n_fft/2 + 1).
func (m *Info) Bins() int { return m.NFFT/2 + 1 }

// NumStems is the number of stems the model outputs.
func (m *Info) NumStems() int { return len(m.Stems) }

// Frames is the number of STFT frames T of one chunk (center=True).
func (m *Info) Frames() int { return m.FramesFor(m.ChunkSize) }

// FramesFor is the number of STFT frames of a chunk of n samples: n/hop + 1.
func (m *Info) FramesFor(n int) int { return n/m.HopLength + 1 }

// CheckChunk reports whether the model can run chunks of n samples: n must be
// a positive multiple of the hop whose frame count is a multiple of
// FramesMultiple.
func (m *Info) CheckChunk(n int) error {
	switch {
	case n <= 0:
		return fmt.Errorf("chunk of %d samples", n)
	case n%m.HopLength != 0:
		return fmt.Errorf("chunk of %d samples is not a multiple of the hop %d", n, m.HopLength)
	case m.FramesFor(n)%m.FramesMultiple != 0:
		return fmt.Errorf("chunk of %d samples gives %d STFT frames, not a multiple of %d", n, m.FramesFor(n), m.FramesMultiple)
	}
	return nil
}

// Step is the hop between chunk starts for an overlap of n (MSST's
// chunk_size // num_overlap); n ≤ 0 means the model's NumOverlap.
func (m *Info) Step(n int) int {
	if n <= 0 {
		n = m.NumOverlap
	}
	return m.ChunkSize / n
}
