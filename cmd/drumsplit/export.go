package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/model"
	"github.com/drumsplit/drumsplit/scripts"
)

func init() {
	register(&cli.Command{
		Name:  "export",
		Usage: "convert an MDX23C checkpoint and its MSST yaml config to a drumsplit model",
		Description: "Runs the exporter (embedded in drumsplit) with a Python that has PyTorch and PyYAML:\n" +
			"--python, else $DRUMSPLIT_PYTHON, else the first python3 or python on PATH that can\n" +
			"import both. The model runs with any libtorch at least as new as the exporting torch.\n" +
			"Nothing in the checkpoint runs: it is read as tensors and plain data only, and a file that is\n" +
			"not a torch zip archive from its first byte is refused unless --trust-checkpoint is given.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "checkpoint", Usage: "MSST/UVR checkpoint (.ckpt, .pth); required"},
			&cli.StringFlag{Name: "config", Usage: "the checkpoint's MSST yaml config; required"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "model file to write (.pt); required"},
			&cli.StringFlag{Name: "precision", Value: "fp32", Usage: "stored weights: fp32, or fp16 (MSST's CUDA autocast numerics, half the size)"},
			&cli.StringFlag{Name: "name", Usage: "model name for the metadata (default: the checkpoint's file name)"},
			&cli.StringFlag{Name: "python", Usage: "Python interpreter to run the exporter with"},
			&cli.BoolFlag{Name: "trust-checkpoint", Usage: "unpickle without restriction where the safe loaders refuse the checkpoint " +
				"(legacy pickles, python objects besides tensors): it can run code, so only for checkpoints from a source you trust"},
		},
		Action: exportCmd,
	})
}

func exportCmd(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("export takes no arguments, only flags")
	}
	precision := c.String("precision")
	if precision != "fp32" && precision != "fp16" {
		return usagef("--precision must be fp32 or fp16, not %q", precision)
	}
	ckpt, cfg, out := c.String("checkpoint"), c.String("config"), c.String("output")
	for _, f := range []struct{ flag, value string }{{"--checkpoint", ckpt}, {"--config", cfg}, {"-o", out}} {
		if f.value == "" {
			return usagef("export needs %s", f.flag)
		}
	}
	for _, f := range []struct{ what, path string }{{"checkpoint", ckpt}, {"config", cfg}} {
		if _, err := os.Stat(f.path); err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return fmt.Errorf("%s %s: %w", f.what, f.path, err)
		}
	}
	warnings, err := scripts.Export(c.Context, scripts.ExportOptions{
		Checkpoint: ckpt, Config: cfg, Output: out, Precision: precision, Name: c.String("name"),
		Python: c.String("python"), TrustCheckpoint: c.Bool("trust-checkpoint"),
		Stdout: c.App.Writer, Logger: logger,
	})
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintf(c.App.ErrWriter, "drumsplit: warning: %s\n", w)
	}
	// Check what was written the way every other command will read it.
	if _, err := model.ReadInfo(out); err != nil {
		return fmt.Errorf("exported model unreadable: %w", err)
	}
	return nil
}
