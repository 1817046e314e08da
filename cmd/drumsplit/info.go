package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/model"
)

func init() {
	register(&cli.Command{
		Name:      "info",
		Usage:     "print the metadata of an exported model",
		ArgsUsage: "MODEL",
		Description: "Reads the metadata stored in an exported model (drumsplit export) straight from the\n" +
			"archive; needs no libtorch. --json prints the metadata file as stored.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the metadata as JSON"},
		},
		Action: infoCmd,
	})
}

func infoCmd(c *cli.Context) error {
	// urfave/cli stops at the first argument, so also accept the documented
	// `info MODEL --json` order.
	asJSON := c.Bool("json")
	var args []string
	for _, a := range c.Args().Slice() {
		switch {
		case a == "--json" || a == "-json":
			asJSON = true
		case strings.HasPrefix(a, "-") && a != "-":
			return usagef("info: unknown flag %s", a)
		default:
			args = append(args, a)
		}
	}
	if len(args) != 1 {
		return usagef("info needs one MODEL argument")
	}
	path := args[0]
	info, err := model.ReadInfo(path)
	if err != nil {
		return err
	}
	w := c.App.Writer
	if asJSON {
		raw := info.Raw
		if len(raw) > 0 && raw[len(raw)-1] != '\n' {
			raw = append(raw, '\n')
		}
		_, err := w.Write(raw)
		return err
	}
	var size string
	if st, err := os.Stat(path); err == nil {
		size = fmt.Sprintf(", %.1f MB", float64(st.Size())/1e6)
	}
	sha := info.CheckpointSHA256
	if sha == "" {
		sha = "-"
	}
	seconds := float64(info.ChunkSize) / float64(info.SampleRate)
	fmt.Fprintf(w, "model:        %s (%s, format %d%s)\n", info.Name, info.Architecture, info.FormatVersion, size)
	fmt.Fprintf(w, "stems:        %d: %s\n", info.NumStems(), strings.Join(info.Stems, ", "))
	fmt.Fprintf(w, "audio:        %d Hz, %d channels\n", info.SampleRate, info.Channels)
	fmt.Fprintf(w, "stft:         n_fft %d, hop %d, %d of %d bins\n", info.NFFT, info.HopLength, info.DimF, info.Bins())
	fmt.Fprintf(w, "chunk:        %d samples (%.2f s), %d frames\n", info.ChunkSize, seconds, info.Frames())
	fmt.Fprintf(w, "defaults:     overlap %d (step %d), batch %d\n", info.NumOverlap, info.Step(0), info.BatchSize)
	fmt.Fprintf(w, "precision:    %s\n", info.Precision)
	fmt.Fprintf(w, "checkpoint:   sha256 %s\n", sha)
	fmt.Fprintf(w, "exported by:  torch %s\n", info.TorchVersion)
	return nil
}
