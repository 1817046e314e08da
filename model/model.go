// Package model reads the metadata of exported drumsplit models.
//
// An exported model (scripts/export_model.py, `drumsplit export`) is a
// TorchScript archive — a zip file — that carries its description as the
// extra file extra/drumsplit.json: sample rate, STFT geometry, chunk size,
// stem names, the runner defaults of its MSST config, and where it came
// from. ReadInfo reads that file straight from the zip, so describing a
// model needs neither libtorch nor loading the weights, and in the same open
// checks that the file is intact (every record's CRC-32, and the tensor
// records' weights_sha256 when the file has one) and sane (sizes within the
// Max… limits, a regular file).
//
// The format is specified in docs/ARCHITECTURE.md ("The exported model format").
package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"
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
	Precision  string   `json:"precision"`   // "fp32", "fp16" or "int8": the stored weights

	// Int8 describes the quantisation of an int8 model; nil for the others.
	Int8 *Int8Info `json:"int8,omitempty"`

	CheckpointSHA256 string `json:"checkpoint_sha256"` // hex SHA-256 of the source checkpoint; "" for test models

	// WeightsSHA256 is the hex SHA-256 of the archive's tensor records
	// (docs/ARCHITECTURE.md defines the digest); "" in files exported before
	// it existed. ReadInfo checks it when present.
	WeightsSHA256 string `json:"weights_sha256"`

	TorchVersion string `json:"torch_version"` // torch that exported the model
	Name         string `json:"name"`          // model name

	// Config is the model's MSST yaml config, as JSON.
	Config json.RawMessage `json:"config"`

	// Raw is the metadata file exactly as stored in the archive.
	Raw []byte `json:"-"`
}

// Int8GoodSDR is the SDR in dB of an int8 model's stems against its fp32
// model's stems from which int8 counts as transparent: the error is 30 dB
// below the stem, under the separation error of any model.
const Int8GoodSDR = 30.0

// Int8Info is the "int8" section of an int8 model's metadata: how it was
// quantised (by `drumsplit export --precision int8`) and what that cost,
// measured at export.
type Int8Info struct {
	Engine            string   `json:"engine"`             // quantised engine of the exporting torch
	Layers            []string `json:"layers"`             // the layers that run in int8
	FP32Layers        []string `json:"fp32_layers"`        // the convolutions and linears left in fp32
	CalibrationChunks int      `json:"calibration_chunks"` // chunks of audio the ranges were observed on
	CheckChunks       int      `json:"check_chunks"`       // other chunks SDR was measured on
	// SDR is, per stem, the SDR in dB of the int8 network's stems against
	// the fp32 network's on the check chunks.
	SDR map[string]float64 `json:"sdr_vs_fp32_db"`
}

// Worst returns the stem (of stems, in order) with the lowest SDR against
// fp32 and that SDR; ok is false when no stem has one.
func (q *Int8Info) Worst(stems []string) (stem string, sdr float64, ok bool) {
	for _, s := range stems {
		if v, has := q.SDR[s]; has && (!ok || v < sdr) {
			stem, sdr, ok = s, v, true
		}
	}
	return stem, sdr, ok
}

// Limits on the metadata's sizes. The runtime allocates buffers from these
// fields (a batch of chunks in and out, STFT frames, one output per stem)
// before libtorch sees the model, so a hostile or broken file must not be able
// to ask for more than a real model could: Validate refuses values above them.
// Each leaves several times the headroom of the largest real MSST config.
const (
	// MaxSampleRate: 192 kHz is the highest rate in studio use; MSST models
	// run at 44.1 kHz.
	MaxSampleRate = 192000
	// MaxNFFT: MSST's TFC-TDF configs use 2048–8192; 16384 bins of 2^13
	// complex values per frame are already beyond any published model.
	MaxNFFT = 16384
	// MaxChunkSize: 2^21 samples (47.6 s at 44.1 kHz). DrumSep uses 130560,
	// MSST configs at most 523776 (DrumSep 5-stem; ~485100 for some others).
	MaxChunkSize = 1 << 21
	// MaxBatchSize: MSST configs use 1–8 chunks per batch; 64 is plenty for
	// the largest GPU at the smallest chunk.
	MaxBatchSize = 64
	// MaxBatchSamples bounds batch_size × chunk_size, the samples per channel
	// of one batch: 2^23 (8.4 M; DrumSep 5-stem's 2 × 523776 is 1 M). With
	// MaxStems it caps one batch's output buffer at 2 GiB of float32.
	MaxBatchSamples = 1 << 23
	// MaxNumOverlap: MSST uses 2–8 overlapping chunks per chunk length; each
	// one more is a full forward pass per step, so 64 is already absurd.
	MaxNumOverlap = 64
	// MaxStems: DrumSep has 6 stems, the largest MSST models about 20; every
	// stem is an output buffer and an output file.
	MaxStems = 32
	// MaxStemName bounds a stem name's bytes: names become file names.
	MaxStemName = 64
)

// Parse decodes and validates metadata (the content of extra/drumsplit.json).
// Errors are *FormatError; their text names the JSON field at fault, never a
// Go type.
func Parse(data []byte) (*Info, error) {
	var head struct {
		Format        *string `json:"format"`
		FormatVersion *int    `json:"format_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, jsonError(err)
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
		return nil, jsonError(err)
	}
	info.Raw = bytes.Clone(data)
	if err := info.Validate(); err != nil {
		return nil, err
	}
	return info, nil
}

// jsonError turns an encoding/json error into a FormatError whose text a
// user can act on: json.UnmarshalTypeError's own text names Go types
// ("cannot unmarshal string into Go struct field Info.chunk_size of type int").
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return &FormatError{Err: ErrMetadata, Detail: "metadata is a JSON " + te.Value + ", not an object"}
		}
		return &FormatError{Err: ErrMetadata, Detail: fmt.Sprintf("field %q must be %s, not %s", te.Field, jsonKind(te.Field), jsonValue(te.Value))}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &FormatError{Err: ErrMetadata, Detail: fmt.Sprintf("not JSON: %v at byte %d", se, se.Offset)}
	}
	return &FormatError{Err: ErrMetadata, Detail: "not JSON: " + err.Error()}
}

// jsonKind describes in JSON terms what the Info field tagged name holds.
func jsonKind(name string) string {
	t := reflect.TypeOf(Info{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != name {
			continue
		}
		switch k := f.Type.Kind(); {
		case k >= reflect.Int && k <= reflect.Uint64:
			return "a whole number"
		case k == reflect.String:
			return "a string"
		case k == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
			return "a list of strings"
		}
	}
	switch name {
	case "format":
		return "a string"
	case "format_version":
		return "a whole number"
	}
	return "another type"
}

// jsonValue names the JSON value encoding/json reports ("string", "number
// 1.5", "array", …) for a message: "a string", "1.5", "an array".
func jsonValue(v string) string {
	switch {
	case v == "array", v == "object":
		return "an " + v
	case v == "null":
		return v
	case strings.HasPrefix(v, "number "):
		return strings.TrimPrefix(v, "number ")
	}
	return "a " + v
}

// Validate checks that the metadata describes a model drumsplit can run,
// within the limits above. It returns a *FormatError with ErrMetadata naming
// the first bad field.
func (m *Info) Validate() error {
	bad := func(format string, args ...any) error {
		return &FormatError{Err: ErrMetadata, Detail: fmt.Sprintf(format, args...)}
	}
	above := func(field string, v, limit int) error {
		return bad("%s %d is above the limit of %d", field, v, limit)
	}
	switch {
	case m.Architecture == "":
		return bad("no architecture")
	case m.SampleRate <= 0:
		return bad("sample_rate %d", m.SampleRate)
	case m.SampleRate > MaxSampleRate:
		return above("sample_rate", m.SampleRate, MaxSampleRate)
	case m.Channels != 2:
		return bad("channels %d, drumsplit models are stereo", m.Channels)
	case m.NFFT <= 0 || m.HopLength <= 0:
		return bad("n_fft %d, hop_length %d", m.NFFT, m.HopLength)
	case m.NFFT > MaxNFFT:
		return above("n_fft", m.NFFT, MaxNFFT)
	case m.HopLength > m.NFFT:
		return bad("hop_length %d is above n_fft %d", m.HopLength, m.NFFT)
	case m.DimF <= 0 || m.DimF > m.Bins():
		return bad("dim_f %d outside 1…%d", m.DimF, m.Bins())
	case m.FramesMultiple <= 0:
		return bad("frames_multiple %d", m.FramesMultiple)
	case len(m.Stems) == 0:
		return bad("no stems")
	case len(m.Stems) > MaxStems:
		return bad("%d stems, above the limit of %d", len(m.Stems), MaxStems)
	case m.NumOverlap <= 0:
		return bad("num_overlap %d", m.NumOverlap)
	case m.NumOverlap > MaxNumOverlap:
		return above("num_overlap", m.NumOverlap, MaxNumOverlap)
	case m.BatchSize <= 0:
		return bad("batch_size %d", m.BatchSize)
	case m.BatchSize > MaxBatchSize:
		return above("batch_size", m.BatchSize, MaxBatchSize)
	case m.ChunkSize > MaxChunkSize:
		return above("chunk_size", m.ChunkSize, MaxChunkSize)
	case m.Precision != "fp32" && m.Precision != "fp16" && m.Precision != "int8":
		return bad("precision %q", m.Precision)
	case m.Precision == "int8" && m.Int8 == nil:
		return bad("precision int8 without an int8 section")
	case m.Precision != "int8" && m.Int8 != nil:
		return bad("an int8 section with precision %q", m.Precision)
	case m.WeightsSHA256 != "" && !isHexSHA256(m.WeightsSHA256):
		return bad("weights_sha256 %q is not a hex SHA-256", m.WeightsSHA256)
	}
	seen := make(map[string]bool, len(m.Stems))
	for _, s := range m.Stems {
		if s == "" || seen[s] {
			return bad("stems %q: empty or repeated name", m.Stems)
		}
		if err := checkStemName(s); err != "" {
			return bad("stem name %q %s", s, err)
		}
		seen[s] = true
	}
	if err := m.CheckChunk(m.ChunkSize); err != nil {
		return bad("chunk_size: %v", err)
	}
	if m.ChunkSize < m.NumOverlap {
		return bad("num_overlap %d is above chunk_size %d", m.NumOverlap, m.ChunkSize)
	}
	if m.BatchSize*m.ChunkSize > MaxBatchSamples {
		return bad("batch_size %d × chunk_size %d is above the limit of %d samples", m.BatchSize, m.ChunkSize, MaxBatchSamples)
	}
	return nil
}

// checkStemName says what is wrong with a stem name, "" if nothing: names
// become output file names, so they must be one path element of printable
// characters.
func checkStemName(s string) string {
	switch {
	case len(s) > MaxStemName:
		return fmt.Sprintf("is longer than %d bytes", MaxStemName)
	case s == "." || s == "..":
		return "is not a file name"
	case strings.ContainsAny(s, "/\\"):
		return "contains a path separator"
	case !utf8.ValidString(s):
		return "is not UTF-8"
	case strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }):
		return "contains a control character"
	}
	return ""
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
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
