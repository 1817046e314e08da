package model

import (
	"errors"
	"strings"
	"testing"
)

// parseChanged parses tiny6's metadata with change applied.
func parseChanged(t *testing.T, change func(m map[string]any)) error {
	t.Helper()
	_, err := Parse([]byte(validMeta(t, change)))
	return err
}

// TestValidateLimits is the regression test of issue 22.4: metadata with huge
// sizes made the runtime allocate until the Go runtime died. Every size field
// is bounded; the error is an ErrMetadata line naming the field.
func TestValidateLimits(t *testing.T) {
	set := func(kv ...any) func(m map[string]any) {
		return func(m map[string]any) {
			for i := 0; i < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
		}
	}
	stems := func(n int) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = "s" + strings.Repeat("x", i)
		}
		return s
	}
	for _, c := range []struct {
		name   string
		change func(m map[string]any)
		want   string
	}{
		{"sample_rate", set("sample_rate", MaxSampleRate+1), "sample_rate 192001 is above the limit of 192000"},
		{"n_fft", set("n_fft", 1<<20, "dim_f", 128), "n_fft 1048576 is above the limit of 16384"},
		{"hop above n_fft", set("hop_length", 512), "hop_length 512 is above n_fft 256"},
		{"chunk_size", set("chunk_size", 64*(1<<16-1)), "chunk_size 4194240 is above the limit of 2097152"},
		{"chunk_size int64", set("chunk_size", 64*(1<<40-1)), "is above the limit of 2097152"},
		{"batch_size", set("batch_size", 1<<30), "batch_size 1073741824 is above the limit of 64"},
		{"batch × chunk", set("batch_size", 64, "chunk_size", 64*(1<<15-1)), "batch_size 64 × chunk_size 2097088 is above the limit of 8388608 samples"},
		{"num_overlap", set("num_overlap", 1000), "num_overlap 1000 is above the limit of 64"},
		{"num_overlap above chunk", set("num_overlap", 64, "hop_length", 32, "chunk_size", 32, "frames_multiple", 2), "num_overlap 64 is above chunk_size 32"},
		{"stems", set("stems", stems(MaxStems+1)), "33 stems, above the limit of 32"},
		{"stem path", set("stems", []string{"kick", "../../etc/x"}), `stem name "../../etc/x" contains a path separator`},
		{"stem backslash", set("stems", []string{`a\b`}), "contains a path separator"},
		{"stem dotdot", set("stems", []string{".."}), "is not a file name"},
		{"stem control", set("stems", []string{"kick\x1b[2J"}), "contains a control character"},
		{"stem long", set("stems", []string{strings.Repeat("k", MaxStemName+1)}), "is longer than 64 bytes"},
		{"weights_sha256", set("weights_sha256", "abc"), `weights_sha256 "abc" is not a hex SHA-256`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := parseChanged(t, c.change)
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, ErrMetadata) {
				t.Fatalf("got %v, want an ErrMetadata FormatError", err)
			}
			if msg := err.Error(); !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
				t.Errorf("message %q, want %q", msg, c.want)
			}
		})
	}
	// The limits leave room for every real model: DrumSep 5-stem's geometry passes.
	if err := parseChanged(t, set("n_fft", 2048, "hop_length", 512, "dim_f", 1024, "chunk_size", 523776,
		"frames_multiple", 32, "batch_size", 2, "num_overlap", 8)); err != nil {
		t.Errorf("DrumSep 5-stem geometry: %v", err)
	}
	if err := parseChanged(t, set("sample_rate", MaxSampleRate, "batch_size", MaxBatchSize, "num_overlap", MaxNumOverlap, "stems", stems(MaxStems))); err != nil {
		t.Errorf("values at the limits: %v", err)
	}
}

// TestParseTypeErrors is the regression test of issue 22.11: a metadata field
// of the wrong JSON type gave encoding/json's text, which names Go types.
func TestParseTypeErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		json string
		want string
	}{
		{"string for int", validMeta(t, func(m map[string]any) { m["chunk_size"] = "big" }),
			`field "chunk_size" must be a whole number, not a string`},
		{"fraction", validMeta(t, func(m map[string]any) { m["batch_size"] = 1.5 }),
			`field "batch_size" must be a whole number, not 1.5`},
		{"beyond int64", validMeta(t, func(m map[string]any) { m["batch_size"] = 1e300 }),
			`field "batch_size" must be a whole number, not 1e+300`},
		{"stems", validMeta(t, func(m map[string]any) { m["stems"] = "kick" }),
			`field "stems" must be a list of strings, not a string`},
		{"stem", validMeta(t, func(m map[string]any) { m["stems"] = []any{"kick", 3} }),
			`field "stems" must be a list of strings, not a number`},
		{"name", validMeta(t, func(m map[string]any) { m["name"] = map[string]any{} }),
			`field "name" must be a string, not an object`},
		{"format_version", validMeta(t, func(m map[string]any) { m["format_version"] = "1" }),
			`field "format_version" must be a whole number, not a string`},
		{"format", validMeta(t, func(m map[string]any) { m["format"] = 1 }),
			`field "format" must be a string, not a number`},
		{"array", `[1, 2]`, "metadata is a JSON array, not an object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.json))
			if !errors.Is(err, ErrMetadata) {
				t.Fatalf("got %v, want ErrMetadata", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) {
				t.Errorf("message %q, want %q", msg, c.want)
			}
			for _, goish := range []string{"Go ", "Info.", " int", "[]string", "struct", "unmarshal"} {
				if strings.Contains(msg, goish) {
					t.Errorf("message %q names Go (%q)", msg, goish)
				}
			}
		})
	}
}
