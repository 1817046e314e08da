package main

import (
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/eval"
	"github.com/drumsplit/drumsplit/transcribe"
)

const evalDescription = `Scores separated stems against the true ones with the metrics MSST and the MDX
challenges report: the "simple" SDR over the whole track, 10·log10((Σref² + ε) /
(Σ(ref − est)² + ε)) summed over both channels, and SI-SDR, with ε = 1e-8 as in MSST
(a perfect estimate scores 10·log10(Σref²/1e-8 + 1), about 110 dB for a loud stem).
Scores are given per track and stem, then as the mean and median over tracks per
stem, and as the mean of the per-stem means.

--reference is a folder of tracks as drumsplit render writes a split:
   REFERENCE/TRACK/STEM.wav          (mixture.wav and other files are ignored)
--estimates holds the separated stems, as drumsplit separate writes them with its
default --filename {track}/{stem}.{ext}:
   ESTIMATES/TRACK/STEM.wav|flac|mp3, or ESTIMATES/TRACK/mixture/STEM.…
The second form is what separating each track's mixture.wav into a folder of its
own gives:

   for t in data/test/*/; do
     drumsplit separate -o est/$(basename "$t") "$t/mixture.wav"
   done
   drumsplit eval --reference data/test --estimates est

The stems scored are those among the estimates; a "cymbals" estimate is scored
against ride + crash, "hihat" counts as hh. Files of different lengths are cut to the
shorter, as MSST does. A reference stem that is silent (a kit without toms) has no
meaningful SDR: it shows as "-" and is left out of the averages. Every reference
track must have estimates.

--onsets scores drum transcription instead: the stems of each track (the estimates,
or the reference's own true stems when --estimates is not given) are transcribed by
drumsplit transcribe's method and, side by side, by the seed project's librosa
method (the baseline), and the onsets are matched one to one against the track's
onsets.json within ±50 ms and ±20 ms (mir_eval's convention; same-class onsets under
10 ms apart count once). The table gives per class the summed F-measure, precision
and recall and the mean over classes; then the hi-hat articulation accuracy of the
matched hats and the per-track rank correlation of velocity with the true strength
for kick and snare:

   drumsplit eval --onsets --reference data/test                 # true stems
   drumsplit eval --onsets --reference data/test --estimates est # separated stems`

func init() {
	register(&cli.Command{
		Name:        "eval",
		Usage:       "score separated stems against reference stems (SDR, SI-SDR)",
		Description: evalDescription,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "reference", Aliases: []string{"r"}, Usage: "folder `DIR` of reference tracks (DIR/TRACK/STEM.wav)"},
			&cli.StringFlag{Name: "estimates", Aliases: []string{"e"}, Usage: "folder `DIR` of separated tracks (DIR/TRACK/STEM.wav)"},
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"},
			&cli.BoolFlag{Name: "onsets", Usage: "score drum transcription (onsets per class) instead of separation"},
		},
		Action: evalCmd,
	})
}

func evalCmd(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("eval takes no arguments (got %q)", c.Args().First())
	}
	ref, est := c.String("reference"), c.String("estimates")
	if c.Bool("onsets") {
		return evalOnsets(c, ref, est)
	}
	if ref == "" || est == "" {
		return usagef("eval needs --reference and --estimates")
	}
	rep, err := eval.EvaluateDirs(ref, est, loadStereo)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", " ")
		return enc.Encode(rep)
	}
	return rep.WriteTable(c.App.Writer)
}

// evalOnsets scores transcription of the stems under est (ref's own stems
// if est is empty) against ref's onsets.json files.
func evalOnsets(c *cli.Context, ref, est string) error {
	if ref == "" {
		return usagef("eval --onsets needs --reference")
	}
	if est == "" {
		est = ref
	}
	methods := []eval.Method{
		{Name: "drumsplit", Run: transcribeOnsets},
		{Name: "baseline", Run: eval.Baseline},
	}
	rep, err := eval.EvaluateOnsetDirs(ref, est, loadStereo, methods)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", " ")
		return enc.Encode(rep)
	}
	return rep.WriteTable(c.App.Writer)
}

// transcribeOnsets runs the transcriber on one track's stems for eval.
func transcribeOnsets(stems map[string][][]float32, rate int) ([]eval.Onset, error) {
	in := transcribe.Input{SampleRate: rate}
	for name, data := range stems {
		in.Stems = append(in.Stems, transcribe.Stem{Name: name, Data: data})
	}
	notes, err := transcribe.Transcribe(in, transcribe.Options{})
	if err != nil {
		return nil, err
	}
	out := make([]eval.Onset, len(notes))
	for i, n := range notes {
		o := eval.Onset{Time: n.Time, Class: n.Stem, Strength: float64(n.Velocity)}
		if n.Stem == "hh" {
			o.Label = string(n.Piece)
		}
		out[i] = o
	}
	return out, nil
}

// loadStereo decodes an audio file as two channels (mono is duplicated).
func loadStereo(path string) ([][]float32, int, error) {
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
