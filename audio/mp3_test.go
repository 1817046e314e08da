package audio

//go:generate sh -c "cd testdata && ./gen-mp3.sh"

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMP3Fixtures decodes the committed LAME files (see testdata/gen-mp3.sh)
// and compares them with the tones they were made from. LAME's gapless
// header must be honoured: the output has the source's exact length and
// alignment.
func TestMP3Fixtures(t *testing.T) {
	for _, tc := range []struct {
		file  string
		rate  int
		freqs [2]float64
	}{
		{"tones-mpeg1-id3.mp3", 44100, [2]float64{440, 1000}},
		{"mono-mpeg2.mp3", 22050, [2]float64{440, 440}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, info, err := DecodeFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			want := Info{Format: "mp3", SampleRate: tc.rate, Channels: 2, Frames: int64(tc.rate / 2)}
			if info != want || b.Frames() != tc.rate/2 {
				t.Fatalf("info %+v (%d frames), want %+v", info, b.Frames(), want)
			}
			for ch := 0; ch < 2; ch++ {
				// sox's sine starts at phase 0 with amplitude ~0.5. Skip the
				// start-up transient; then the tone must come through at
				// the right level, with little else, and in place: any
				// offset shows as a phase shift of the fitted tone.
				f := tc.freqs[ch]
				amp, phase, resid := fitTonePhase(b.Data[ch][2000:], f, float64(tc.rate), 2000)
				offset := phase / (2 * math.Pi * f) * float64(tc.rate) // in samples
				snr := dB(amp / math.Sqrt2 / resid)
				t.Logf("channel %d: %.0f Hz tone at %.2f dB, offset %.3f samples, SNR %.1f dB", ch, f, dB(amp/0.5), offset, snr)
				if math.Abs(dB(amp/0.5)) > 1 || math.Abs(offset) > 0.1 || snr < 30 {
					t.Errorf("channel %d: level %.2f dB, offset %.3f samples, SNR %.1f dB", ch, dB(amp/0.5), offset, snr)
				}
			}
		})
	}
}

// TestMP3AgainstLame encodes with lame and checks that we decode what
// lame --decode does (to within rounding), with and without the gapless
// Info tag.
func TestMP3AgainstLame(t *testing.T) {
	requireTool(t, "lame")
	dir := t.TempDir()
	sig := testSignal(2, 44100, 44100, 0.7)
	src := filepath.Join(dir, "src.wav")
	if _, err := WriteFile(src, &Buffer{SampleRate: 44100, Data: sig}, Encoding{"wav", 16}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"cbr128-gapless", []string{"-b", "128"}},
		{"vbr-gapless", []string{"-V", "2"}},
		{"cbr160-no-tag", []string{"-b", "160", "-t"}},
		{"mpeg2-24k", []string{"-b", "64", "--resample", "24"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mp3 := filepath.Join(dir, tc.name+".mp3")
			dec := filepath.Join(dir, tc.name+".wav")
			runTool(t, "lame", append(append([]string{"--quiet"}, tc.args...), src, mp3)...)
			runTool(t, "lame", "--quiet", "--decode", mp3, dec)
			ours, info, err := DecodeFile(mp3)
			if err != nil {
				t.Fatal(err)
			}
			ref, rinfo, err := DecodeFile(dec)
			if err != nil {
				t.Fatal(err)
			}
			if info.SampleRate != rinfo.SampleRate {
				t.Fatalf("rate %d, lame says %d", info.SampleRate, rinfo.SampleRate)
			}
			if ours.Frames() != ref.Frames() {
				t.Fatalf("%d frames, lame --decode gives %d", ours.Frames(), ref.Frames())
			}
			// Both decoders round to 16 bits; allow a few LSB.
			if d := maxAbsDiff(ours.Data, ref.Data); d > 4.0/32768 {
				t.Errorf("max difference from lame --decode %g (%.1f LSB)", d, d*32768)
			}
		})
	}
}

// TestMP3BadInputs: cut files, lying tags and non-audio give one clear line.
func TestMP3BadInputs(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "tones-mpeg1-id3.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	id3 := []byte("ID3\x03\x00\x00\x7f\x7f\x7f\x7f") // claims a 256 MiB tag
	for _, tc := range []struct {
		name, want string
		file       []byte
	}{
		{"truncated-half", "truncated MP3", good[:len(good)/2]},
		{"truncated-mid-frame", "truncated MP3", good[:len(good)-128-100]}, // the last 128 bytes are an ID3v1 tag
		{"cut-in-id3v1-tag", "", good[:len(good)-100]},
		{"lying-id3-size", "truncated ID3v2 tag", append(append([]byte{}, id3...), good[:2000]...)},
		{"id3-only", "no MPEG audio", good[:200]},
		{"id3-then-text", "no MPEG audio", append(append([]byte{}, good[:164]...), bytes.Repeat([]byte("not audio "), 100)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := decodeBytes(tc.file, tc.name)
			if tc.want == "" {
				// The audio is whole; a damaged trailing tag is no error.
				if err != nil {
					t.Error(err)
				}
				return
			}
			checkOneLine(t, err, tc.name)
			if err != nil && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
	// Trailing ID3v1 and APEv2 tags are not audio and must not upset decoding.
	ape := append([]byte("APETAGEX\xd0\x07\x00\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), []byte{}...)
	tagged := append(append(append([]byte{}, good...), ape...), append([]byte("TAG"), make([]byte, 125)...)...)
	b, _, err := decodeBytes(tagged, "tagged")
	if err != nil || b.Frames() != 22050 {
		t.Errorf("trailing tags: %v", err)
	}
}
