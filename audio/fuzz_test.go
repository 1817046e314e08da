package audio

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// The fuzz targets below feed the decoders through NewReader. Run one at a
// time (see docs/TESTING.md):
//
//	go test ./audio -run '^$' -fuzz '^FuzzDecodeFLAC$' -fuzztime 60s -fuzzminimizetime 10x
//
// and likewise FuzzDecodeWAV, FuzzDecodeMP3 and FuzzDecodeAIFF (in
// aiff_test.go). -fuzzminimizetime 10x
// bounds the minimisation of each new interesting input to 10 runs; the
// default (60 s each) leaves a worker silent for up to a minute per input.
// The seeds are small and each input decodes at most fuzzMaxFrames frames,
// so a worker makes hundreds of executions a second. A failing input is
// saved under testdata/fuzz/<target>/: turn it into a regression test that
// builds the input in code (the project commits no binary test inputs),
// then delete it.

// fuzzMaxFrames bounds the frames decoded per input. A few bytes of FLAC
// (constant subframes) or a lying header can stand for millions of frames;
// decoding them all teaches the fuzzer nothing the first blocks did not and
// makes each execution, and above all each minimisation, slow.
const fuzzMaxFrames = 8192

// fuzzDecode decodes data through the public path (content sniffing and
// all) with a fixed-size buffer, checking the Reader contract, for at most
// fuzzMaxFrames frames. Errors are fine; panics, hangs, broken invariants
// and errors that are not one line about the input are not.
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
		if total >= fuzzMaxFrames {
			return
		}
	}
}

func checkFuzzErr(t *testing.T, err error, name string) {
	if msg := errorLineProblem(err, name); msg != "" {
		t.Fatal(msg)
	}
}

// encodedSeed writes sig with our encoder and returns the file's bytes.
func encodedSeed(f testing.TB, enc Encoding, rate int, sig [][]float32) []byte {
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
	// Small seeds (each under 1 KB): the fuzzer mutates and, above all,
	// minimises every new input in proportion to its length, so big seeds
	// make it spend its time minimising rather than exploring.
	tone := testSignal(2, 64, 8000, 0.5) // LPC/fixed subframes
	f.Add(encodedSeed(f, Encoding{"flac", 16}, 8000, tone))
	f.Add(encodedSeed(f, Encoding{"flac", 24}, 44100, tone[:1]))
	noise := [][]float32{make([]float32, 24), make([]float32, 24)} // verbatim subframes
	for i := range noise[0] {
		noise[0][i] = float32((i*7919)%201-100) / 128
		noise[1][i] = float32((i*104729)%255-127) / 128
	}
	f.Add(encodedSeed(f, Encoding{"flac", 16}, 48000, noise))
	// Constant subframes: two frames (4096 + 404) in a few dozen bytes.
	silent := [][]float32{make([]float32, 4500), make([]float32, 4500)}
	f.Add(encodedSeed(f, Encoding{"flac", 16}, 48000, silent))
	short := encodedSeed(f, Encoding{"flac", 16}, 8000, testSignal(2, 8, 8000, 0.5))
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
	// Streams of two frames keep each execution fast (go-mp3 scans every
	// frame at open and takes about half a millisecond to decode one), so
	// the fuzzer gets many more tries, and minimisations, per second.
	for _, name := range []string{"tones-mpeg1-id3.mp3", "mono-mpeg2.mp3"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		if s := mp3FrameSpan(b, 1, 2); s != nil { // no Xing frame: plain frames
			f.Add(append([]byte(nil), s...))
		} else {
			f.Fatalf("%s: cannot find frames", name)
		}
		if s := mp3FrameSpan(b, 0, 2); s != nil { // Xing frame first (claims more frames)
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
