package audio

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// fuzzDecode decodes data through the public path (content sniffing and
// all) with a fixed-size buffer, checking the Reader contract. Errors are
// fine; panics, hangs, broken invariants and multi-line errors are not.
func fuzzDecode(t *testing.T, data []byte) {
	const name = "fuzz-input"
	r, err := NewReader(bytes.NewReader(data), name)
	if err != nil {
		checkFuzzErr(t, err, name)
		return
	}
	defer r.Close()
	info := r.Info()
	if info.Channels < 1 || info.SampleRate < 1 {
		t.Fatalf("bad info %+v", info)
	}
	dst := make([][]float32, info.Channels)
	for ch := range dst {
		dst[ch] = make([]float32, 1000)
	}
	var total int64
	for {
		n, err := r.Read(dst)
		if n < 0 || n > 1000 {
			t.Fatalf("Read returned n = %d", n)
		}
		total += int64(n)
		if err == io.EOF {
			if n != 0 {
				t.Fatalf("n = %d with io.EOF", n)
			}
			if info.Frames >= 0 && total != info.Frames {
				t.Fatalf("decoded %d frames, Info says %d", total, info.Frames)
			}
			return
		}
		if err != nil {
			checkFuzzErr(t, err, name)
			return
		}
		if n == 0 {
			t.Fatalf("Read returned 0, nil")
		}
	}
}

func checkFuzzErr(t *testing.T, err error, name string) {
	if msg := errorLineProblem(err, name); msg != "" {
		t.Fatal(msg)
	}
}

// encodedSeed writes sig with our encoder and returns the file's bytes.
func encodedSeed(f *testing.F, enc Encoding, rate int, sig [][]float32) []byte {
	p := filepath.Join(f.TempDir(), "seed."+enc.Format)
	if _, err := WriteFile(p, &Buffer{SampleRate: rate, Data: sig}, enc); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func FuzzDecodeWAV(f *testing.F) {
	sig := testSignal(2, 64, 8000, 0.5)
	for _, c := range []struct{ tag, bits int }{{1, 8}, {1, 16}, {1, 24}, {1, 32}, {3, 32}, {3, 64}} {
		data := pcmData(sig, c.tag, c.bits)
		f.Add(buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmtBody(c.tag, 2, 8000, c.bits, c.tag == 3)}, wavChunk{id: "data", body: data}))
		f.Add(buildRIFF("RIFF", wavChunk{id: "fmt ", body: extensibleBody(c.tag, 2, 8000, c.bits, c.bits)},
			wavChunk{id: "LIST", body: []byte("INFOx")}, wavChunk{id: "data", body: data, size: u32p(0)}))
	}
	f.Add(buildRIFF("RF64", wavChunk{id: "ds64", body: make([]byte, 28)}, wavChunk{id: "fmt ", body: fmtBody(1, 1, 8000, 16, false)},
		wavChunk{id: "data", body: make([]byte, 100), size: u32p(0xFFFFFFFF)}))
	f.Add(buildRIFF("RIFF", wavChunk{id: "data", body: make([]byte, 8)}, wavChunk{id: "fmt ", body: fmtBody(1, 1, 8000, 16, false)}))
	f.Add(encodedSeed(f, Encoding{"wav", 24}, 44100, sig))
	f.Fuzz(fuzzDecode)
}

func FuzzDecodeFLAC(f *testing.F) {
	sig := testSignal(2, 5000, 8000, 0.5)
	f.Add(encodedSeed(f, Encoding{"flac", 16}, 8000, sig))
	f.Add(encodedSeed(f, Encoding{"flac", 24}, 44100, sig[:1]))
	silent := [][]float32{make([]float32, 4500), make([]float32, 4500)}
	f.Add(encodedSeed(f, Encoding{"flac", 16}, 48000, silent))
	short := encodedSeed(f, Encoding{"flac", 16}, 8000, testSignal(2, 40, 8000, 0.5))
	f.Add(short)
	f.Add(append([]byte("ID3\x04\x00\x00\x00\x00\x00\x02\x00\x00"), short...))
	f.Fuzz(fuzzDecode)
}

// mp3FrameSpan returns n whole MPEG frames of b starting with frame first
// (frame 0 is the first after any ID3v2 tag), or nil.
func mp3FrameSpan(b []byte, first, n int) []byte {
	pos := 0
	if len(b) >= 10 && string(b[:3]) == "ID3" {
		pos = 10 + (int(b[6])<<21 | int(b[7])<<14 | int(b[8])<<7 | int(b[9]))
	}
	start := -1
	for k := 0; k < first+n; k++ {
		h, ok := parseMP3Header(b[min(pos, len(b)):])
		if !ok || pos+h.length > len(b) {
			return nil
		}
		if k == first {
			start = pos
		}
		pos += h.length
	}
	return b[start:pos]
}

func FuzzDecodeMP3(f *testing.F) {
	// Small whole streams keep each execution fast (go-mp3 scans every
	// frame at open), so the fuzzer gets many more tries per second.
	for _, name := range []string{"tones-mpeg1-id3.mp3", "mono-mpeg2.mp3"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		if s := mp3FrameSpan(b, 1, 4); s != nil { // no Xing frame: plain frames
			f.Add(append([]byte(nil), s...))
		} else {
			f.Fatalf("%s: cannot find frames", name)
		}
		if s := mp3FrameSpan(b, 0, 3); s != nil { // Xing frame first (claims more frames)
			f.Add(append([]byte(nil), s...))
		}
	}
	tagged, err := os.ReadFile(filepath.Join("testdata", "tones-mpeg1-id3.mp3"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tagged[:128+313*2]) // ID3v2 tag, then cut short
	f.Fuzz(fuzzDecode)
}
