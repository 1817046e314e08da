package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/internal/job"
	"github.com/drumsplit/drumsplit/internal/modelcache"
	"github.com/drumsplit/drumsplit/torch"
)

// checkpointFlags let separate take an MSST/UVR checkpoint directly.
var checkpointFlags = []cli.Flag{
	&cli.StringFlag{Name: "config", Usage: "MSST yaml `CONFIG` of the checkpoint given with -m: converted once (with Python and PyTorch), then loaded from the user cache"},
	&cli.StringFlag{Name: "python", Usage: "Python `INTERPRETER` for converting a checkpoint (default: $DRUMSPLIT_PYTHON, else python3 or python on PATH with torch and yaml)"},
	&cli.BoolFlag{Name: "trust-checkpoint", Usage: "convert a checkpoint the safe loaders refuse, unpickling it without restriction (it can run code): only for checkpoints you trust"},
}

// checkpointExts are the file name extensions of training checkpoints, which
// need --config; drumsplit models are .pt.
var checkpointExts = []string{".ckpt", ".pth", ".th"}

// checkpointModel returns the model file separate loads for -m path (""
// when not given, for findModel): path itself, or with --config the
// converted model of the checkpoint at path, from the user cache
// (modelcache.Resolve; Python runs only the first time). A conversion is
// announced to events (a line, and an event with --json).
func checkpointModel(c *cli.Context, path string, events func(job.Event)) (string, error) {
	config := c.String("config")
	if config == "" {
		ext := strings.ToLower(filepath.Ext(path))
		for _, e := range checkpointExts {
			if ext == e {
				return "", usagef("model %q looks like a training checkpoint: give its MSST yaml with --config (it is then converted once and cached), or convert it with drumsplit export", path)
			}
		}
		return path, nil
	}
	if path == "" {
		return "", usagef("--config is the yaml of a checkpoint: give the checkpoint with -m")
	}
	for _, f := range []struct{ what, path string }{{"checkpoint", path}, {"--config", config}} {
		if _, err := os.Stat(f.path); errors.Is(err, fs.ErrNotExist) {
			return "", usagef("%s %q: no such file", f.what, f.path)
		}
	}
	// The key holds the version of the libtorch that will run the model.
	v, err := torch.Versions()
	if err != nil {
		return "", err
	}
	o := modelcache.Options{TorchVersion: v.Libtorch, Python: c.String("python"), TrustCheckpoint: c.Bool("trust-checkpoint"), Logger: logger}
	o.Converting = func(python, dir string) {
		events(job.Converting{Kind: job.KindConverting, Checkpoint: path, Config: config, Python: python, Cache: dir})
	}
	res, err := modelcache.Resolve(c.Context, path, config, o)
	if err != nil {
		return "", err
	}
	for _, w := range res.Warnings {
		logger.Warn(w)
	}
	return res.Path, nil
}
