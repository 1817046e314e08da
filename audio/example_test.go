package audio_test

import (
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/drumsplit/drumsplit/audio"
)

// Decode any supported file as stereo at the model's rate, process it in
// blocks, and write the result atomically.
func Example() {
	dir, err := os.MkdirTemp("", "audio-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// An input file: one second of a 440 Hz tone, mono, 48 kHz.
	tone := make([]float32, 48000)
	for i := range tone {
		tone[i] = float32(0.5 * math.Sin(2*math.Pi*440*float64(i)/48000))
	}
	in := filepath.Join(dir, "in.flac")
	if _, err := audio.WriteFile(in, &audio.Buffer{SampleRate: 48000, Data: [][]float32{tone}}, audio.Encoding{Format: "flac", BitDepth: 16}); err != nil {
		log.Fatal(err)
	}

	r, err := audio.Open(in)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	fmt.Printf("input: %+v\n", r.Info())
	rs, err := audio.ResampleReader(audio.Stereo(r), 44100)
	if err != nil {
		log.Fatal(err)
	}
	out := filepath.Join(dir, "out.wav")
	w, err := audio.Create(out, 44100, 2, audio.Encoding{Format: "wav", BitDepth: 24})
	if err != nil {
		log.Fatal(err)
	}
	defer w.Abort() // removes the temporary file unless Close succeeded
	block := [][]float32{make([]float32, 4096), make([]float32, 4096)}
	for {
		n, err := rs.Read(block)
		if n > 0 {
			if err := w.Write([][]float32{block[0][:n], block[1][:n]}); err != nil {
				log.Fatal(err)
			}
		}
		if err != nil {
			break // io.EOF, or a decode error to report
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	b, info, err := audio.DecodeFile(out)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("output: %+v, %d channels × %d frames\n", info, b.NumChannels(), b.Frames())
	// Output:
	// input: {Format:flac SampleRate:48000 Channels:1 BitDepth:16 Float:false Frames:48000}
	// output: {Format:wav SampleRate:44100 Channels:2 BitDepth:24 Float:false Frames:44100}, 2 channels × 44100 frames
}

// Resample a whole buffer: the output has round(n·to/from) frames and is
// aligned with the input.
func ExampleResample() {
	in := &audio.Buffer{SampleRate: 22050, Data: [][]float32{make([]float32, 1001)}}
	out, err := audio.Resample(in, 44100)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.SampleRate, out.Frames())
	// Output: 44100 2002
}
