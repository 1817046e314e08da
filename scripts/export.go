package scripts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// ExportOptions says what Export converts and with which Python.
type ExportOptions struct {
	Checkpoint string // MSST/UVR checkpoint (.ckpt, .pth)
	Config     string // its MSST yaml config
	Output     string // the model file to write (.pt)
	Precision  string // "fp32", "fp16" or "int8"
	// Calibration and Check are, for int8, raw little-endian float32 files
	// of [N, 2, chunk_size] audio (see internal/calibrate): the audio the
	// quantiser calibrates on, and other audio the int8 network is measured
	// against fp32 on.
	Calibration, Check string
	Name               string // model name for the metadata; "" takes the checkpoint's file name
	// Python is the interpreter to run; "" looks for one (see FindPython).
	Python string
	// TrustCheckpoint lets the exporter unpickle without restriction where
	// the safe loaders refuse the checkpoint: it can run code.
	TrustCheckpoint bool
	// Stdout receives the exporter's standard output; nil discards it.
	Stdout io.Writer
	// Logger receives debug lines (the Python chosen, the exporter's
	// stderr); nil logs nothing.
	Logger *slog.Logger
}

// InstallHint says what to install when no suitable Python is found.
const InstallHint = "install PyTorch and PyYAML: apt install python3-torch python3-yaml " +
	"(Debian/Ubuntu), or conda env create -f environment.yml && conda activate drumsplit; " +
	"or pass --python"

// pythonCheckTimeout bounds `import torch`, which takes seconds on a cold cache.
const pythonCheckTimeout = 2 * time.Minute

// Export runs the embedded exporter on o.Checkpoint and o.Config and writes
// o.Output. It returns the exporter's warnings (lines a user should see even
// on success, such as the one --trust-checkpoint causes); its error is the
// exporter's own one-line message when it gave one.
func Export(ctx context.Context, o ExportOptions) (warnings []string, err error) {
	args := []string{"--checkpoint", o.Checkpoint, "--config", o.Config, "-o", o.Output, "--precision", o.Precision}
	if o.Name != "" {
		args = append(args, "--name", o.Name)
	}
	if o.TrustCheckpoint {
		args = append(args, "--trust-checkpoint")
	}
	if o.Calibration != "" || o.Check != "" {
		args = append(args, "--calibration", o.Calibration, "--check", o.Check)
	}
	stderr, err := runExporter(ctx, o.Python, o.Stdout, o.Logger, args)
	if err != nil {
		return nil, err
	}
	return exporterWarnings(stderr), nil
}

// ConfigFacts are what the exporter reads from a model config that the
// calibration audio must match.
type ConfigFacts struct {
	SampleRate int `json:"sample_rate"`
	ChunkSize  int `json:"chunk_size"`
	Channels   int `json:"channels"`
}

// Describe runs the embedded exporter on an MSST yaml config only and
// returns its sample rate, chunk size and channels. python and log are as
// in ExportOptions.
func Describe(ctx context.Context, python, config string, log *slog.Logger) (ConfigFacts, error) {
	var out bytes.Buffer
	if _, err := runExporter(ctx, python, &out, log, []string{"--config", config, "--describe"}); err != nil {
		return ConfigFacts{}, err
	}
	var f ConfigFacts
	if err := json.Unmarshal(out.Bytes(), &f); err != nil {
		return ConfigFacts{}, fmt.Errorf("exporter's description of %s: %w", strconv.Quote(config), err)
	}
	if f.SampleRate <= 0 || f.ChunkSize <= 0 || f.Channels <= 0 {
		return ConfigFacts{}, fmt.Errorf("exporter described %s as %d Hz, chunk %d, %d channels",
			strconv.Quote(config), f.SampleRate, f.ChunkSize, f.Channels)
	}
	return f, nil
}

// runExporter unpacks the exporter and runs it with args, its standard
// output to stdout (nil: discarded); it returns its standard error, or its
// one-line error message as the error.
func runExporter(ctx context.Context, python string, stdout io.Writer, log *slog.Logger, args []string) (string, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	py, err := FindPython(ctx, python, log)
	if err != nil {
		return "", err
	}
	log.Debug("exporting", "python", py)

	dir, err := os.MkdirTemp("", "drumsplit-export-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	if err := writeFS(dir, Exporter); err != nil {
		return "", fmt.Errorf("unpacking the exporter: %w", err)
	}
	cmd := exec.CommandContext(ctx, py, append([]string{filepath.Join(dir, ExporterMain)}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	var stderr bytes.Buffer
	cmd.Stdout = stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if msg := exporterError(stderr.String()); msg != "" {
			return "", errors.New(msg)
		}
		return "", fmt.Errorf("exporter (%s) failed: %w", py, err)
	}
	if s := strings.TrimSpace(stderr.String()); s != "" {
		log.Debug("exporter said: " + s)
	}
	return stderr.String(), nil
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
// starting "export_model: warning: ", without that prefix.
func exporterWarnings(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if w, ok := strings.CutPrefix(strings.TrimSpace(l), "export_model: warning: "); ok && w != "" {
			out = append(out, w)
		}
	}
	return out
}

// FindPython returns an interpreter that can import torch and yaml: flag (if
// set), else $DRUMSPLIT_PYTHON (if set), else every python3 then python on
// PATH in order. An explicit choice that does not work is an error of its
// own rather than a reason to look further. log (nil: none) receives why
// each candidate on PATH was passed over.
func FindPython(ctx context.Context, flag string, log *slog.Logger) (string, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for _, choice := range []struct{ what, py string }{{"--python ", flag}, {"DRUMSPLIT_PYTHON=", os.Getenv("DRUMSPLIT_PYTHON")}} {
		if choice.py == "" {
			continue
		}
		py := absCommand(choice.py)
		if err := checkPython(ctx, py); err != nil {
			return "", fmt.Errorf("%s%s: %v; %s", choice.what, choice.py, err, InstallHint)
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
				log.Debug(fmt.Sprintf("%s: %v", p, err))
				continue
			}
			return p, nil
		}
	}
	if len(tried) == 0 {
		return "", errors.New("no python3 or python on PATH; " + InstallHint)
	}
	return "", fmt.Errorf("no Python on PATH can import torch and yaml (tried %s); %s", strings.Join(tried, ", "), InstallHint)
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
