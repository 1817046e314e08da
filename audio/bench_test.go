package audio

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Benchmarks report "x-realtime": seconds of audio handled per second.

const benchSeconds = 10

func reportRealtime(b *testing.B, frames, rate int) {
	b.ReportMetric(float64(frames)/float64(rate)*float64(b.N)/b.Elapsed().Seconds(), "x-realtime")
}

func benchDecode(b *testing.B, data []byte, rate, frames int) {
	b.SetBytes(int64(len(data)))
	dst := [][]float32{make([]float32, blockFrames), make([]float32, blockFrames)}
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), "bench")
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.Read(dst)
			if err != nil {
				break
			}
		}
	}
	reportRealtime(b, frames, rate)
}

func benchFile(b *testing.B, enc Encoding, frames int) []byte {
	p := filepath.Join(b.TempDir(), "bench."+enc.Format)
	if _, err := WriteFile(p, &Buffer{SampleRate: 44100, Data: testSignal(2, frames, 44100, 0.7)}, enc); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkDecodeWAV16(b *testing.B) {
	n := benchSeconds * 44100
	benchDecode(b, benchFile(b, Encoding{"wav", 16}, n), 44100, n)
}

func BenchmarkDecodeWAV24(b *testing.B) {
	n := benchSeconds * 44100
	benchDecode(b, benchFile(b, Encoding{"wav", 24}, n), 44100, n)
}

func BenchmarkDecodeFLAC16(b *testing.B) {
	n := benchSeconds * 44100
	benchDecode(b, benchFile(b, Encoding{"flac", 16}, n), 44100, n)
}

func BenchmarkDecodeMP3(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "tones-mpeg1-id3.mp3"))
	if err != nil {
		b.Fatal(err)
	}
	benchDecode(b, data, 44100, 22050)
}

func BenchmarkResample(b *testing.B) {
	for _, rc := range commonRatios {
		from, to := rc[0], rc[1]
		b.Run(fmt.Sprintf("%d-%d", from, to), func(b *testing.B) {
			in := &Buffer{SampleRate: from, Data: testSignal(2, benchSeconds*from, from, 0.7)}
			for b.Loop() {
				if _, err := Resample(in, to); err != nil {
					b.Fatal(err)
				}
			}
			reportRealtime(b, benchSeconds*from, from)
		})
	}
}

// BenchmarkNewResampler measures filter design, paid once per stream.
func BenchmarkNewResampler(b *testing.B) {
	for b.Loop() {
		if _, err := NewResampler(96000, 44100, 2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	n := benchSeconds * 44100
	buf := &Buffer{SampleRate: 44100, Data: testSignal(2, n, 44100, 0.7)}
	for _, enc := range []Encoding{{"wav", 16}, {"wav", 24}, {"wav", 32}, {"flac", 16}, {"flac", 24}} {
		b.Run(enc.String(), func(b *testing.B) {
			p := filepath.Join(b.TempDir(), "out."+enc.Format)
			for b.Loop() {
				if _, err := WriteFile(p, buf, enc); err != nil {
					b.Fatal(err)
				}
			}
			reportRealtime(b, n, 44100)
		})
	}
}
