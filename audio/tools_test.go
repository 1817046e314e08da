package audio

import (
	"path/filepath"
	"testing"
)

// writeRef writes sig as a 32-bit float WAV (exact) for the tools to convert.
func writeRef(t *testing.T, dir string, sig [][]float32, rate int) string {
	t.Helper()
	p := filepath.Join(dir, "ref.wav")
	if _, err := WriteFile(p, &Buffer{SampleRate: rate, Data: sig}, Encoding{"wav", 32}); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDecodeToolFiles decodes files written by sox and flac (Debian) in every
// format we read and compares them with the signal they were made from.
func TestDecodeToolFiles(t *testing.T) {
	requireTool(t, "sox")
	dir := t.TempDir()
	const rate = 44100
	sig := testSignal(2, rate/2, rate, 0.8)
	ref := writeRef(t, dir, sig, rate)
	for _, tc := range []struct {
		name string
		tool string
		args []string // output path appended (sox) or given via -o (flac)
		info Info
		tol  float64 // largest error allowed (the format's precision)
	}{
		{"wav-u8", "sox", []string{"-D", "-b", "8", "-e", "unsigned-integer"}, Info{"wav", rate, 2, 8, false, rate / 2}, 1.0 / 128},
		{"wav-s16", "sox", []string{"-D", "-b", "16"}, Info{"wav", rate, 2, 16, false, rate / 2}, 1.01 / 32768},
		{"wav-s24-extensible", "sox", []string{"-D", "-b", "24"}, Info{"wav", rate, 2, 24, false, rate / 2}, 1.01 / 8388608},
		{"wav-s32-extensible", "sox", []string{"-D", "-b", "32", "-e", "signed-integer"}, Info{"wav", rate, 2, 32, false, rate / 2}, 1e-7},
		{"wav-f32", "sox", []string{"-e", "floating-point", "-b", "32"}, Info{"wav", rate, 2, 32, true, rate / 2}, 1e-7},
		{"wav-f64", "sox", []string{"-e", "floating-point", "-b", "64"}, Info{"wav", rate, 2, 64, true, rate / 2}, 1e-7},
		// G.711: the error is at most one quantisation step, 1/32 of full
		// scale in the top segment; the tables are checked exactly elsewhere.
		{"wav-alaw", "sox", []string{"-e", "a-law"}, Info{"wav", rate, 2, 8, false, rate / 2}, 1.0 / 32},
		{"wav-ulaw", "sox", []string{"-e", "u-law"}, Info{"wav", rate, 2, 8, false, rate / 2}, 1.0 / 32},
		{"wav-alaw-4ch-extensible", "sox", []string{"-D", "-e", "a-law", "-c", "4"}, Info{"wav", rate, 4, 8, false, rate / 2}, 1.0 / 32},
		{"wav-s16-4ch-extensible", "sox", []string{"-D", "-b", "16", "-c", "4"}, Info{"wav", rate, 4, 16, false, rate / 2}, 1.01 / 32768},
		{"aiff-s16", "sox", []string{"-D", "-b", "16"}, Info{"aiff", rate, 2, 16, false, rate / 2}, 1.01 / 32768},
		{"aiff-s24", "sox", []string{"-D", "-b", "24"}, Info{"aiff", rate, 2, 24, false, rate / 2}, 1.01 / 8388608},
		{"aiff-s8", "sox", []string{"-D", "-b", "8"}, Info{"aiff", rate, 2, 8, false, rate / 2}, 1.01 / 128},
		{"aifc-f32", "sox", []string{"-e", "floating-point", "-b", "32"}, Info{"aifc", rate, 2, 32, true, rate / 2}, 1e-7},
		{"aifc-f64", "sox", []string{"-e", "floating-point", "-b", "64"}, Info{"aifc", rate, 2, 64, true, rate / 2}, 1e-7},
		{"aifc-ulaw", "sox", []string{"-e", "u-law"}, Info{"aifc", rate, 2, 8, false, rate / 2}, 1.0 / 32},
		{"aifc-alaw", "sox", []string{"-e", "a-law"}, Info{"aifc", rate, 2, 8, false, rate / 2}, 1.0 / 32},
		{"flac-sox-16", "sox", []string{"-D", "-b", "16"}, Info{"flac", rate, 2, 16, false, rate / 2}, 1.01 / 32768},
		{"flac-sox-24", "sox", []string{"-D", "-b", "24"}, Info{"flac", rate, 2, 24, false, rate / 2}, 1.01 / 8388608},
		{"flac-cli-8", "flac", []string{"8"}, Info{"flac", rate, 2, 8, false, rate / 2}, 1.01 / 128},
		{"flac-cli-16", "flac", []string{"16"}, Info{"flac", rate, 2, 16, false, rate / 2}, 1.01 / 32768},
		{"flac-cli-24", "flac", []string{"24"}, Info{"flac", rate, 2, 24, false, rate / 2}, 1.01 / 8388608},
		{"flac-cli-16-mono", "flac", []string{"16", "mono"}, Info{"flac", rate, 1, 16, false, rate / 2}, 1.01 / 32768},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ext := "." + tc.info.Format
			out := filepath.Join(dir, tc.name+ext)
			want := sig
			switch tc.tool {
			case "sox":
				args := append([]string{ref}, tc.args...)
				if tc.info.Channels == 4 {
					args = append(args, out, "remix", "1", "2", "1", "2")
				} else {
					args = append(args, out)
				}
				runTool(t, "sox", args...)
			case "flac":
				requireTool(t, "flac")
				// flac reads integer WAV only: sox makes it, flac encodes it.
				src := filepath.Join(dir, tc.name+"-src.wav")
				args := []string{ref, "-D", "-b", tc.args[0]}
				if len(tc.args) > 1 {
					args = append(args, "-c", "1")
					want = [][]float32{make([]float32, len(sig[0]))}
					for i := range sig[0] {
						want[0][i] = (sig[0][i] + sig[1][i]) / 2
					}
				}
				runTool(t, "sox", append(args, src)...)
				runTool(t, "flac", "-s", "-f", "-o", out, src)
			}
			b, info, err := DecodeFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if info != tc.info {
				t.Errorf("info %+v, want %+v", info, tc.info)
			}
			got := b.Data
			if tc.info.Channels == 4 {
				got = got[:2]
				if maxAbsDiff(b.Data[2:], b.Data[:2]) != 0 {
					t.Errorf("channels 3-4 differ from 1-2")
				}
			}
			if d := maxAbsDiff(got, want); d > tc.tol+1e-6*tc.tol {
				t.Errorf("max error %g > %g", d, tc.tol)
			}
		})
	}
}
