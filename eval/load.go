package eval

import (
	"fmt"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/transcribe"
)

// LoadStereo is the Loader of `drumsplit eval`: it decodes an audio file
// (WAV, FLAC or MP3) as two channels, mono duplicated.
func LoadStereo(path string) ([][]float32, int, error) {
	r, err := audio.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	b, err := audio.ReadAll(audio.Stereo(r))
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return b.Data, b.SampleRate, nil
}

// Transcribe is drumsplit's Transcriber: the transcribe package run on one
// track's stems. The strength of an onset is its note's velocity; hi-hat
// and ride onsets are labelled with their articulation (ride for the bow,
// ride_bell).
func Transcribe(stems map[string][][]float32, rate int) ([]Onset, error) {
	in := transcribe.Input{SampleRate: rate}
	for name, data := range stems {
		in.Stems = append(in.Stems, transcribe.Stem{Name: name, Data: data})
	}
	notes, err := transcribe.Transcribe(in, transcribe.Options{})
	if err != nil {
		return nil, err
	}
	out := make([]Onset, len(notes))
	for i, n := range notes {
		o := Onset{Time: n.Time, Class: n.Stem, Strength: float64(n.Velocity)}
		switch n.Stem {
		case "hh", "ride":
			o.Label = string(n.Piece)
		}
		out[i] = o
	}
	return out, nil
}
