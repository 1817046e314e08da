package separator_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/separator"
)

// Example separates a file into stems, streaming: the input is decoded,
// converted to stereo and resampled to the model's rate on the fly, and each
// stem is written to its own WAV file as it is finished.
func Example() {
	sep, err := separator.Open("drumsep_6stem.pt", separator.Options{
		Device: "auto", // MPS, else CUDA, else CPU
		Progress: func(p separator.Progress) {
			fmt.Printf("\r%d/%d chunks, ETA %v", p.ChunksDone, p.ChunksTotal, p.ETA.Round(1e9))
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer sep.Close()

	in, err := audio.Open("drums.flac")
	if err != nil {
		log.Fatal(err)
	}
	defer in.Close()
	r, err := audio.ResampleReader(audio.Stereo(in), sep.SampleRate())
	if err != nil {
		log.Fatal(err)
	}
	src, err := separator.ReaderSource(r)
	if err != nil {
		log.Fatal(err)
	}

	var outs []*audio.Writer
	for _, stem := range sep.Stems() {
		w, err := audio.Create("drums_"+stem+".wav", sep.SampleRate(), 2, audio.Encoding{Format: "wav", BitDepth: 24})
		if err != nil {
			log.Fatal(err)
		}
		defer w.Abort() // removes the file unless Close succeeded first
		outs = append(outs, w)
	}
	err = sep.Separate(context.Background(), src, separator.SinkFunc(func(stems [][][]float32) error {
		for s, w := range outs {
			if err := w.Write(stems[s]); err != nil {
				return err
			}
		}
		return nil
	}))
	if err != nil {
		log.Fatal(err)
	}
	for _, w := range outs {
		if err := w.Close(); err != nil {
			log.Fatal(err)
		}
	}
}

// ExampleSeparator_SeparateBuffer separates samples held in memory.
func ExampleSeparator_SeparateBuffer() {
	sep, err := separator.Open("drumsep_6stem.pt", separator.Options{Mode: separator.ModeUVR, Overlap: 8})
	if err != nil {
		log.Fatal(err)
	}
	defer sep.Close()
	left := make([]float32, 10*sep.SampleRate())
	right := make([]float32, len(left))
	stems, err := sep.SeparateBuffer(context.Background(), [][]float32{left, right})
	if err != nil {
		log.Fatal(err)
	}
	for i, name := range sep.Stems() {
		fmt.Println(name, len(stems[i][0]))
	}
}

// ExampleSeparateFile separates a file in one call: here a mono MP3 into
// its kick, its snare and the rest, with a tiny test model (leave Model
// empty for the bundled one). The stems come at the input's sample rate.
func ExampleSeparateFile() {
	out, err := os.MkdirTemp("", "stems-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(out)

	files, err := separator.SeparateFile(context.Background(), "../audio/testdata/mono-mpeg2.mp3", out, separator.FileOptions{
		Model:    "../testdata/models/tiny6.pt",
		Stems:    []string{"kick", "snare"},
		Residual: true, // other.wav: the input minus the kick and the snare
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		_, info, err := audio.DecodeFile(f)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(filepath.Base(f), info.SampleRate, "Hz")
	}
	// Output:
	// kick.wav 22050 Hz
	// snare.wav 22050 Hz
	// other.wav 22050 Hz
}
