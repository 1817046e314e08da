package separator_test

import (
	"context"
	"log"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/separator"
)

// Example_buffer separates a whole file held in memory: the ten lines the
// README shows. For long files, Separate streams instead (see Example).
func Example_buffer() {
	ctx := context.Background()
	sep, err := separator.Open("drumsep.pt", separator.Options{Device: "auto"})
	if err != nil {
		log.Fatal(err)
	}
	defer sep.Close()
	track, _, err := audio.DecodeFile("song.wav")
	if err != nil {
		log.Fatal(err)
	}
	if track, err = audio.Resample(track, sep.SampleRate()); err != nil {
		log.Fatal(err)
	}
	stems, err := sep.SeparateBuffer(ctx, track.Data) // mono or stereo in; stems[s][channel][i], stereo
	if err != nil {
		log.Fatal(err)
	}
	for s, name := range sep.Stems() {
		stem := &audio.Buffer{SampleRate: sep.SampleRate(), Data: stems[s]}
		if _, err := audio.WriteFile(name+".wav", stem, audio.Encoding{Format: "wav", BitDepth: 24}); err != nil {
			log.Fatal(err)
		}
	}
}
