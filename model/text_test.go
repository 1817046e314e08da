package model

import (
	"strings"
	"testing"
)

// TestWriteText: one line per field, the size only when known, "-" for a
// missing checkpoint hash.
func TestWriteText(t *testing.T) {
	info := &Info{Name: "m", Architecture: "tfc_tdf_v3", FormatVersion: 1, Stems: []string{"kick", "snare"},
		SampleRate: 44100, Channels: 2, NFFT: 2048, HopLength: 512, DimF: 1024, ChunkSize: 44100, NumOverlap: 2,
		BatchSize: 4, Precision: "fp32", TorchVersion: "2.3"}
	var b strings.Builder
	if err := info.WriteText(&b, 2_500_000); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 9 || lines[0] != "model:        m (tfc_tdf_v3, format 1, 2.5 MB)" ||
		lines[1] != "stems:        2: kick, snare" || lines[4] != "chunk:        44100 samples (1.00 s), 87 frames" ||
		lines[7] != "checkpoint:   sha256 -" {
		t.Errorf("text:\n%s", b.String())
	}
	b.Reset()
	info.CheckpointSHA256 = "abc"
	if err := info.WriteText(&b, -1); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "model:        m (tfc_tdf_v3, format 1)\n") || !strings.Contains(b.String(), "sha256 abc\n") {
		t.Errorf("unknown size:\n%s", b.String())
	}
}
