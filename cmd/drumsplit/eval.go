package main

import (
	"encoding/json"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/eval"
)

// evalDescription is the help text of eval (help/eval.txt).
var evalDescription = helpText("eval")

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
			&cli.BoolFlag{Name: "keep-second-attacks", Usage: "with --onsets, score strokes whose kit sample has a second attack as annotated instead of skipping them"},
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
	rep, err := eval.EvaluateDirs(ref, est, eval.LoadStereo)
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
		{Name: "drumsplit", Run: eval.Transcribe},
		{Name: "baseline", Run: eval.Baseline},
	}
	rep, err := eval.EvaluateOnsetDirs(ref, est, eval.LoadStereo, methods, eval.OnsetOptions{KeepSecondAttacks: c.Bool("keep-second-attacks")})
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
