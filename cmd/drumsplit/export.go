package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/internal/calibrate"
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
			&cli.StringFlag{Name: "precision", Value: "fp32", Usage: "stored weights: fp32; fp16 (MSST's CUDA autocast numerics, half the size); " +
				"or int8: the deeper U-Net layers statically quantised for the CPU, calibrated on --calibrate (CPU only; " +
				"its SDR against fp32 is measured at export and shown by drumsplit info)"},
			&cli.StringFlag{Name: "calibrate", Usage: "int8: folder of drum audio `DIR` to calibrate on (any format separate reads; a folder " +
				"with a mixture file gives that file only); every fourth file is kept apart to measure int8 against fp32"},
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
	if precision != "fp32" && precision != "fp16" && precision != "int8" {
		return usagef("--precision must be fp32, fp16 or int8, not %q", precision)
	}
	calib := c.String("calibrate")
	switch {
	case precision == "int8" && calib == "":
		return usagef("--precision int8 needs --calibrate DIR (drum audio to calibrate on)")
	case precision != "int8" && c.IsSet("calibrate"):
		return usagef("--calibrate goes with --precision int8 only")
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
	o := scripts.ExportOptions{
		Checkpoint: ckpt, Config: cfg, Output: out, Precision: precision, Name: c.String("name"),
		Python: c.String("python"), TrustCheckpoint: c.Bool("trust-checkpoint"),
		Stdout: c.App.Writer, Logger: logger,
	}
	if precision == "int8" {
		tmp, err := os.MkdirTemp("", "drumsplit-calibrate-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if o.Calibration, o.Check, err = calibrationFiles(c, calib, o, tmp); err != nil {
			return err
		}
	}
	warnings, err := scripts.Export(c.Context, o)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintf(c.App.ErrWriter, "drumsplit: warning: %s\n", w)
	}
	// Check what was written the way every other command will read it.
	info, err := model.ReadInfo(out)
	if err != nil {
		return fmt.Errorf("exported model unreadable: %w", err)
	}
	if info.Int8 != nil {
		if stem, sdr, ok := info.Int8.Worst(info.Stems); ok && sdr < model.Int8GoodSDR {
			fmt.Fprintf(c.App.ErrWriter, "drumsplit: warning: int8 stays %.1f dB from fp32 on %s, below the %.0f dB "+
				"that passes for transparent here; compare its stems before relying on it\n", sdr, stem, model.Int8GoodSDR)
		}
	}
	return nil
}

// calibrationFiles decodes the audio under dir into the model's chunks and
// writes the exporter's calibration and check files into tmp.
func calibrationFiles(c *cli.Context, dir string, o scripts.ExportOptions, tmp string) (cal, check string, err error) {
	facts, err := scripts.Describe(c.Context, o.Python, o.Config, logger)
	if err != nil {
		return "", "", err
	}
	set, err := calibrate.Collect(dir, calibrate.Options{SampleRate: facts.SampleRate, Chunk: facts.ChunkSize})
	if err != nil {
		return "", "", fmt.Errorf("--calibrate: %w", err)
	}
	logger.Info("calibration audio", "files", len(set.Files), "calibration_chunks", len(set.Calibration),
		"check_chunks", len(set.Check))
	cal, check = filepath.Join(tmp, "calibration.f32"), filepath.Join(tmp, "check.f32")
	if err := calibrate.WriteRaw(cal, set.Calibration); err != nil {
		return "", "", err
	}
	if err := calibrate.WriteRaw(check, set.Check); err != nil {
		return "", "", err
	}
	return cal, check, nil
}
