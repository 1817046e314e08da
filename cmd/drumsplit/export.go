package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

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

// installHint says what to install when no suitable Python is found.
const installHint = "install PyTorch and PyYAML: apt install python3-torch python3-yaml " +
	"(Debian/Ubuntu), or conda env create -f environment.yml && conda activate drumsplit; " +
	"or pass --python"

// pythonCheckTimeout bounds `import torch`, which takes seconds on a cold cache.
const pythonCheckTimeout = 2 * time.Minute

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
	py, err := findPython(c.Context, c.String("python"))
	if err != nil {
		return err
	}
	logf(slog.LevelDebug, "exporting with %s", py)

	dir, err := os.MkdirTemp("", "drumsplit-export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := writeFS(dir, scripts.Exporter); err != nil {
		return fmt.Errorf("unpacking the exporter: %w", err)
	}
	args := []string{filepath.Join(dir, scripts.ExporterMain),
		"--checkpoint", ckpt, "--config", cfg, "-o", out, "--precision", precision}
	if name := c.String("name"); name != "" {
		args = append(args, "--name", name)
	}
	if c.Bool("trust-checkpoint") {
		args = append(args, "--trust-checkpoint")
	}
	cmd := exec.CommandContext(c.Context, py, args...)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	var stderr bytes.Buffer
	cmd.Stdout = c.App.Writer
	cmd.Stderr = &stderr
	runErr := cmd.Run()
	if runErr != nil {
		if msg := exporterError(stderr.String()); msg != "" {
			return errors.New(msg)
		}
		return fmt.Errorf("exporter (%s) failed: %w", py, runErr)
	}
	for _, w := range exporterWarnings(stderr.String()) {
		fmt.Fprintf(c.App.ErrWriter, "drumsplit: warning: %s\n", w)
	}
	if s := strings.TrimSpace(stderr.String()); s != "" {
		logf(slog.LevelDebug, "exporter said: %s", s)
	}
	// Check what was written the way every other command will read it.
	if _, err := model.ReadInfo(out); err != nil {
		return fmt.Errorf("exported model unreadable: %w", err)
	}
	return nil
}

// exporterError picks the exporter's one-line error from its stderr (the last
// line it printed, without its program prefix); "" when there is none.
func exporterError(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return strings.TrimPrefix(l, "export_model: ")
		}
	}
	return ""
}

// exporterWarnings picks the exporter's warnings from its stderr: the lines
// starting "export_model: warning: ", without that prefix. They are shown
// even on success: --trust-checkpoint's "unpickling … without restriction"
// is one.
func exporterWarnings(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if w, ok := strings.CutPrefix(strings.TrimSpace(l), "export_model: warning: "); ok && w != "" {
			out = append(out, w)
		}
	}
	return out
}

// findPython returns an interpreter that can import torch and yaml: flag (if
// set), else $DRUMSPLIT_PYTHON (if set), else every python3 then python on
// PATH in order. An explicit choice that does not work is an error of its
// own rather than a reason to look further.
func findPython(ctx context.Context, flag string) (string, error) {
	for _, choice := range []struct{ what, py string }{{"--python ", flag}, {"DRUMSPLIT_PYTHON=", os.Getenv("DRUMSPLIT_PYTHON")}} {
		if choice.py == "" {
			continue
		}
		py := absCommand(choice.py)
		if err := checkPython(ctx, py); err != nil {
			return "", fmt.Errorf("%s%s: %v; %s", choice.what, choice.py, err, installHint)
		}
		return py, nil
	}
	var tried []string
	seen := map[string]bool{}
	for _, name := range []string{"python3", "python"} {
		for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
			if dir == "" {
				dir = "."
			}
			p := filepath.Join(dir, name)
			if runtime.GOOS == "windows" {
				p += ".exe"
			}
			st, err := os.Stat(p)
			if err != nil || st.IsDir() || (runtime.GOOS != "windows" && st.Mode()&0o111 == 0) {
				continue
			}
			key := p
			if r, err := filepath.EvalSymlinks(p); err == nil {
				key = r
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			tried = append(tried, p)
			if err := checkPython(ctx, p); err != nil {
				logf(slog.LevelDebug, "%s: %v", p, err)
				continue
			}
			return p, nil
		}
	}
	if len(tried) == 0 {
		return "", errors.New("no python3 or python on PATH; " + installHint)
	}
	return "", fmt.Errorf("no Python on PATH can import torch and yaml (tried %s); %s", strings.Join(tried, ", "), installHint)
}

// checkPython runs py to import torch and yaml; the error is its last line of
// complaint (say, "No module named 'torch'").
func checkPython(ctx context.Context, py string) error {
	if _, err := exec.LookPath(py); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, pythonCheckTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-c", "import torch, yaml")
	// Run outside any source tree so a local torch/ or yaml/ folder cannot shadow the packages.
	cmd.Dir = os.TempDir()
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	if msg := exporterError(string(out)); msg != "" && !errors.Is(err, exec.ErrNotFound) {
		return errors.New(msg)
	}
	return err
}

// absCommand resolves a command name or relative path to an absolute path, so
// that it still names the same program from another working directory; it
// returns py unchanged when it cannot be resolved (running it then reports why).
func absCommand(py string) string {
	p, err := exec.LookPath(py)
	if err != nil && !errors.Is(err, exec.ErrDot) {
		return py
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return py
}

// writeFS copies an fs.FS into dir.
func writeFS(dir string, fsys fs.FS) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
}
