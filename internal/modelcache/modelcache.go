// Package modelcache turns an MSST/UVR training checkpoint and its yaml
// config into a drumsplit model once, with the embedded exporter
// (scripts.Export), and keeps the result in the user's cache, so that
// `drumsplit separate -m model.ckpt --config model.yaml` works without a
// separate `drumsplit export` and runs Python only the first time.
//
// A cached model is named by a key over everything its content depends on:
// the checkpoint's SHA-256, the yaml's SHA-256, the version of the libtorch
// that will run it (a file exported for one runtime is not trusted by
// another) and the exporter's own code. A changed checkpoint, config,
// runtime or exporter gives a new key and a new export; nothing is ever
// overwritten in place.
//
// The exporter writes its output atomically (a temporary file renamed into
// place), so a reader never sees a partial model, and two runs converting
// the same checkpoint at once both succeed (each converts it; the cache
// keeps one complete file). A cached file that fails model.ReadInfo's
// integrity checks (damaged on disk) is exported again.
package modelcache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"github.com/drumsplit/drumsplit/internal/regular"
	"github.com/drumsplit/drumsplit/model"
	"github.com/drumsplit/drumsplit/scripts"
)

// keyVersion changes when the key's recipe or the cache layout does.
const keyVersion = "drumsplit-checkpoint-cache 1"

// DefaultDir is where models are cached: os.UserCacheDir()/drumsplit
// ($XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS,
// %LocalAppData% on Windows).
func DefaultDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache folder for converted checkpoints: %w", err)
	}
	return filepath.Join(d, "drumsplit"), nil
}

// Options say where the cache is and how to export.
type Options struct {
	// Dir is the cache folder; "" is DefaultDir(). Models go in its
	// "models" subfolder.
	Dir string
	// TorchVersion is the version of the libtorch that will run the model
	// (torch.Versions().Libtorch); part of the key. Required.
	TorchVersion string
	// Python is the interpreter for the export; "" lets scripts.FindPython
	// look ($DRUMSPLIT_PYTHON, then PATH). It is run only on a cache miss.
	Python string
	// TrustCheckpoint is scripts.ExportOptions.TrustCheckpoint.
	TrustCheckpoint bool
	// Converting, if not nil, is called on a cache miss just before the
	// export starts (which takes seconds to minutes), with the Python
	// chosen and the folder the model goes to, so that a command can say
	// why it is slow this once.
	Converting func(python, dir string)
	// Logger receives debug lines; nil discards them.
	Logger *slog.Logger
}

// NoPythonError is the error of a cache miss when no Python with torch and
// PyYAML can be found to convert the checkpoint.
type NoPythonError struct {
	Checkpoint string
	Err        error // from scripts.FindPython; says what was tried and what to install
}

func (e *NoPythonError) Error() string {
	return fmt.Sprintf("checkpoint %q must be converted once (then it is cached), which needs Python with PyTorch: %v", e.Checkpoint, e.Err)
}

func (e *NoPythonError) Unwrap() error { return e.Err }

// Result is a resolved checkpoint.
type Result struct {
	Path     string   // the drumsplit model to load
	Cached   bool     // it was in the cache already: no Python ran
	Warnings []string // the exporter's warnings (on a miss)
}

// Resolve returns the cached drumsplit model of checkpoint and config,
// exporting it first (in fp32, the runtime converts to other precisions)
// when the cache has none. A hit runs no Python and reads the
// checkpoint once, to hash it.
func Resolve(ctx context.Context, checkpoint, config string, o Options) (Result, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.TorchVersion == "" {
		return Result{}, errors.New("modelcache: Options.TorchVersion is required")
	}
	dir := o.Dir
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return Result{}, err
		}
		dir = d
	}
	ckptSum, err := fileSHA256("checkpoint", checkpoint)
	if err != nil {
		return Result{}, err
	}
	cfgSum, err := fileSHA256("config", config)
	if err != nil {
		return Result{}, err
	}
	key := Key(ckptSum, cfgSum, o.TorchVersion)
	path := filepath.Join(dir, "models", key+".pt")
	if ok, why := usable(path, ckptSum); ok {
		log.Debug("checkpoint: using the converted model in the cache", "checkpoint", checkpoint, "model", path)
		return Result{Path: path, Cached: true}, nil
	} else if why != "" {
		log.Debug("checkpoint: cached model not used, converting again", "model", path, "why", why)
	}

	py, err := scripts.FindPython(ctx, o.Python, log)
	if err != nil {
		return Result{}, &NoPythonError{Checkpoint: checkpoint, Err: err}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return Result{}, fmt.Errorf("cache folder %q: %w", filepath.Dir(path), err)
	}
	log.Debug("checkpoint: converting", "checkpoint", checkpoint, "python", py, "model", path)
	if o.Converting != nil {
		o.Converting(py, filepath.Dir(path))
	}
	warnings, err := scripts.Export(ctx, scripts.ExportOptions{
		Checkpoint: checkpoint, Config: config, Output: path, Precision: "fp32",
		Python: py, TrustCheckpoint: o.TrustCheckpoint, Logger: log,
	})
	if err != nil {
		return Result{}, fmt.Errorf("converting checkpoint %q: %w", checkpoint, err)
	}
	if ok, why := usable(path, ckptSum); !ok {
		return Result{}, fmt.Errorf("converting checkpoint %q: the converted model %q %s", checkpoint, path, why)
	}
	return Result{Path: path, Warnings: warnings}, nil
}

// Key is the cache key of a checkpoint and config with the given SHA-256
// sums (hex) for a libtorch version: the hex SHA-256 of the three, the
// exporter's code and the recipe's version.
func Key(checkpointSHA256, configSHA256, torchVersion string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\ncheckpoint %s\nconfig %s\nlibtorch %s\nexporter %s\nprecision fp32\n",
		keyVersion, checkpointSHA256, configSHA256, torchVersion, exporterDigest())
	return hex.EncodeToString(h.Sum(nil))
}

// exporterDigest is the SHA-256 of the embedded exporter's files (names and
// contents, in name order): a new exporter converts anew.
func exporterDigest() string {
	h := sha256.New()
	var names []string
	fs.WalkDir(scripts.Exporter, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return nil
	})
	sort.Strings(names)
	for _, n := range names {
		data, _ := fs.ReadFile(scripts.Exporter, n)
		fmt.Fprintf(h, "%s %d\n", n, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// usable reports whether path holds a complete, intact model converted from
// the checkpoint with SHA-256 ckptSum; why says what is wrong ("" when the
// file does not exist).
func usable(path, ckptSum string) (ok bool, why string) {
	info, err := model.ReadInfo(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, ""
	case err != nil:
		return false, fmt.Sprintf("is unusable: %v", err)
	case info.CheckpointSHA256 != ckptSum:
		return false, "was converted from another checkpoint"
	}
	return true, ""
}

// fileSHA256 hashes the regular file at path (a named pipe would block, and
// could not be read twice anyway); what names it in errors.
func fileSHA256(what, path string) (string, error) {
	f, _, err := regular.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("%s %q: %w", what, path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s %q: %w", what, path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
