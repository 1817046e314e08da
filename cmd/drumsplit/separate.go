package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/internal/tracks"
	"github.com/drumsplit/drumsplit/model"
	"github.com/drumsplit/drumsplit/separator"
	"github.com/drumsplit/drumsplit/torch"
)

// exitInterrupted is the exit code after Ctrl-C or SIGTERM: 128 + SIGINT,
// as shells report a process killed by the signal.
const exitInterrupted = 130

// bundledModel is the file name of the model shipped with drumsplit.
const bundledModel = "drumsplit_small.pt"

const separateDescription = `Separates each INPUT into one file per stem. An INPUT is a file (WAV, FLAC or MP3,
recognised by content whatever its extension) or a folder, searched recursively for
.wav, .flac and .mp3 files (any case; names starting with "." and the output folder
are passed over), in sorted order. The model is loaded once for all inputs.

Input is resampled to the model's rate (44.1 kHz for the bundled model) and the stems
are written at that rate. Each stem file is written under a temporary name and renamed
when complete: a failed or interrupted input leaves none of its stem files behind.

--filename is a path under --out with the variables {track} (the input's name without
its extension), {stem}, {ext} (wav or flac) and {model} (the model's name). It must
stay inside --out: absolute paths and ".." are refused.

Existing stem files are not replaced: such an input fails with a line naming the file,
unless --overwrite (replace them) or --skip-existing (keep them; an input whose stems
all exist is skipped) is given.

Without -m, the bundled model is used: $DRUMSPLIT_MODEL, else
<exe dir>/../models/drumsplit_small.pt, else <exe dir>/models/drumsplit_small.pt.

A progress bar (per file, in seconds of audio, with the time left) is drawn on
standard error when it is a terminal, unless --quiet or --json. Every problem is one
line on standard error naming the file and the cause; a bad input is skipped and the
others are processed. With more than one input a summary line ends the run.

Exit status:
   0    every input was separated (or skipped by --skip-existing)
   1    some inputs failed; or the model, native library or output folder is unusable
        (a model file that is not a drumsplit model or fails to load)
   2    the command line is wrong (unknown flag or value, no INPUT, a --model path
        that does not exist, no bundled model)
   130  interrupted (Ctrl-C, SIGTERM): the current batch finishes, the current
        input's temporary files are removed, later inputs are not started

--json writes one JSON object per line on standard output (seconds are float; -1
means unknown); errors also go to standard error as one line each:
   {"event":"start", "version", "model" (path), "model_name", "stems" (the model's),
     "write_stems", "sample_rate", "device", "precision", "stft", "mode", "chunk_size",
     "overlap", "batch", "out", "format", "bit_depth", "inputs" (entries to process)}
   {"event":"file_start", "file", "index" (1-based), "total", "seconds", "sample_rate"
     (the input's)}
   {"event":"progress", "file", "index", "done" (seconds), "total", "fraction",
     "elapsed", "eta"}
   {"event":"file_done", "file", "index", "status" ("done" or "skipped"), "stems":
     [{"stem", "path", "clipped" (samples clipped to the integer range)}],
     "seconds" (audio), "elapsed", "rtf" (elapsed / seconds)}
   {"event":"warning", "file" (if about one), "message"}
   {"event":"error", "file" (absent for errors about the whole run), "index", "message"}
   {"event":"summary", "inputs", "done", "skipped", "failed", "seconds", "elapsed",
     "rtf", "interrupted", "exit_code"}`

func init() {
	register(&cli.Command{
		Name:            "separate",
		Usage:           "split drum recordings (files or folders) into stems",
		ArgsUsage:       "INPUT...",
		Description:     separateDescription,
		HideHelpCommand: true, // "separate help" would hide a file named help
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usagef("%v", err)
		},
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, DefaultText: "the bundled model", Usage: "exported model `PATH`"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "separated", Usage: "output folder `DIR`"},
			&cli.StringFlag{Name: "filename", Value: tracks.DefaultTemplate, Usage: "stem file name `TEMPLATE` under --out; variables {track} {stem} {ext} {model}"},
			&cli.StringFlag{Name: "format", Value: "wav", Usage: "output `FORMAT`: wav or flac"},
			&cli.StringFlag{Name: "bit-depth", Value: "24", Usage: "output sample format `BITS`: 16, 24 or 32f (32-bit float, wav only)"},
			&cli.IntFlag{Name: "overlap", DefaultText: "the model's", Usage: "`N` chunks cover each sample"},
			&cli.IntFlag{Name: "batch", DefaultText: "the model's", Usage: "`N` chunks run at once (halved on out-of-memory)"},
			&cli.StringFlag{Name: "device", Value: "auto", Usage: "`DEVICE`: auto, cpu, cuda, cuda:N or mps (one that is missing falls back with a warning)"},
			&cli.StringFlag{Name: "precision", Value: "auto", Usage: "network precision `P`: auto (fp16 on CUDA, else fp32), fp32, fp16 or bf16"},
			&cli.StringFlag{Name: "stft", Value: "auto", Usage: "`WHERE` the STFT runs: auto, model (inside the model) or go"},
			&cli.StringFlag{Name: "mode", Value: "msst", Usage: "overlap-add `MODE`: msst (fades, weighted average) or uvr (plain average)"},
			&cli.IntFlag{Name: "threads", DefaultText: "libtorch's", Usage: "`N` libtorch CPU threads"},
			&cli.StringFlag{Name: "stems", DefaultText: "all", Usage: "write only these `STEMS`, comma-separated, e.g. kick,snare"},
			&cli.BoolFlag{Name: "overwrite", Usage: "replace existing stem files"},
			&cli.BoolFlag{Name: "skip-existing", Usage: "keep existing stem files; skip inputs whose stems all exist"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON event per line on standard output"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only errors"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print debug information"},
		},
		Action: separateCmd,
	})
}

// separateConfig is the checked command line of `separate`.
type separateConfig struct {
	modelPath string
	info      *model.Info
	modelName string
	out       string
	tpl       *tracks.Template
	enc       audio.Encoding
	stems     []int // indices into info.Stems of the stems to write, in model order
	opts      separator.Options
	overwrite bool
	skip      bool
	json      bool
	quiet     bool
	inputs    []string
}

func separateCmd(c *cli.Context) error {
	// Flags after the first INPUT ("separate song.wav -o out") are parsed
	// again in front of it, as argparse-based tools allow.
	if args, ok := flagsFirst(c.Command.Flags, commandArgs(c)); ok {
		return rerun(c, args)
	}
	quiet := anyBool(c, "quiet")
	configureLogging(quiet, anyBool(c, "verbose") && !quiet)

	cfg, err := separateFlags(c)
	if err != nil {
		if c.Bool("json") {
			// Scripts reading events learn of a usage error too; main
			// prints the line and exits 2.
			newUI(os.Stderr, c.App.Writer, true, true, false).event(errorEvent{Event: "error", Message: err.Error()})
		}
		return err
	}
	ui := newUI(os.Stderr, c.App.Writer, cfg.quiet, cfg.json, stderrIsTerminal())
	ui.installLogging()
	defer ui.uninstallLogging()

	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal the default action returns, so a second
		// Ctrl-C ends the process at once.
		<-ctx.Done()
		stop()
	}()

	code, err := runSeparate(ctx, cfg, ui)
	if err != nil {
		ui.fatal(err)
		return cli.Exit("", exitFailed)
	}
	if code != exitOK {
		return cli.Exit("", code)
	}
	return nil
}

// anyBool reports whether a boolean flag is set on the command or before it
// (the global -q and -v work in both places).
func anyBool(c *cli.Context, name string) bool {
	for _, cc := range c.Lineage() {
		if cc.Bool(name) {
			return true
		}
	}
	return false
}

// separateFlags checks the command line and reads the model's metadata
// (without libtorch), so that every mistake is reported before anything
// is loaded or written.
func separateFlags(c *cli.Context) (*separateConfig, error) {
	cfg := &separateConfig{
		out:       c.String("out"),
		overwrite: c.Bool("overwrite"),
		skip:      c.Bool("skip-existing"),
		json:      c.Bool("json"),
		quiet:     anyBool(c, "quiet"),
		inputs:    c.Args().Slice(),
	}
	if cfg.overwrite && cfg.skip {
		return nil, usagef("--overwrite and --skip-existing exclude each other")
	}
	if strings.TrimSpace(cfg.out) == "" {
		return nil, usagef("--out: empty folder name")
	}

	var err error
	if cfg.enc, err = parseEncoding(c.String("format"), c.String("bit-depth")); err != nil {
		return nil, err
	}
	if cfg.tpl, err = tracks.Parse(c.String("filename")); err != nil {
		return nil, usagef("--filename: %v", err)
	}

	o := &cfg.opts
	o.Device = strings.ToLower(strings.TrimSpace(c.String("device")))
	if o.Device != "auto" {
		if _, err := torch.ParseDevice(o.Device); err != nil {
			return nil, usagef("--device %q: want auto, cpu, cuda, cuda:N or mps", c.String("device"))
		}
	}
	if o.Precision, err = oneOf[separator.Precision]("precision", c.String("precision"), "auto", "fp32", "fp16", "bf16"); err != nil {
		return nil, err
	}
	if o.STFT, err = oneOf[separator.STFTPlacement]("stft", c.String("stft"), "auto", "model", "go"); err != nil {
		return nil, err
	}
	if o.Mode, err = oneOf[separator.Mode]("mode", c.String("mode"), "msst", "uvr"); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"overlap", &o.Overlap}, {"batch", &o.BatchSize}, {"threads", &o.Threads}} {
		if c.IsSet(f.name) {
			v := c.Int(f.name)
			if v < 1 {
				return nil, usagef("--%s %d: must be at least 1", f.name, v)
			}
			*f.dst = v
		}
	}

	if len(cfg.inputs) == 0 {
		return nil, usagef("no INPUT given: name audio files or folders to separate")
	}

	if cfg.modelPath, err = findModel(c.String("model")); err != nil {
		return nil, err
	}
	if cfg.info, err = readModel(cfg.modelPath); err != nil {
		return nil, err
	}
	cfg.modelName = cfg.info.Name
	if cfg.modelName == "" {
		cfg.modelName = tracks.TrackName(cfg.modelPath)
	}
	if cfg.stems, err = selectStems(c.String("stems"), cfg.info.Stems); err != nil {
		return nil, err
	}
	if len(cfg.stems) > 1 && !cfg.tpl.Uses("stem") {
		return nil, usagef("--filename %q has no {stem}: every stem would go to the same file", cfg.tpl)
	}
	return cfg, nil
}

// oneOf checks that a flag's value is one of allowed (any case).
func oneOf[T ~string](flag, v string, allowed ...string) (T, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	for _, a := range allowed {
		if v == a {
			return T(v), nil
		}
	}
	return "", usagef("--%s %q: want %s", flag, v, strings.Join(allowed, ", "))
}

// parseEncoding checks --format and --bit-depth.
func parseEncoding(format, depth string) (audio.Encoding, error) {
	var enc audio.Encoding
	switch f := strings.ToLower(strings.TrimSpace(format)); f {
	case "wav", "flac":
		enc.Format = f
	default:
		return enc, usagef("--format %q: want wav or flac", format)
	}
	switch strings.ToLower(strings.TrimSpace(depth)) {
	case "16":
		enc.BitDepth = 16
	case "24":
		enc.BitDepth = 24
	case "32f":
		enc.BitDepth = 32
	default:
		return enc, usagef("--bit-depth %q: want 16, 24 or 32f", depth)
	}
	if enc.Format == "flac" && enc.BitDepth == 32 {
		return enc, usagef("--bit-depth 32f is WAV only: FLAC stores integers (use 16 or 24, or --format wav)")
	}
	return enc, nil
}

// findModel returns the model to use: the flag, else the bundled model.
func findModel(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if env := os.Getenv("DRUMSPLIT_MODEL"); env != "" {
		return env, nil
	}
	var looked []string
	if exe, err := os.Executable(); err == nil {
		if p, err := filepath.EvalSymlinks(exe); err == nil {
			exe = p
		}
		dir := filepath.Dir(exe)
		for _, p := range []string{
			filepath.Join(dir, "..", "models", bundledModel),
			filepath.Join(dir, "models", bundledModel),
		} {
			p = filepath.Clean(p)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p, nil
			}
			looked = append(looked, p)
		}
	}
	return "", usagef("no --model given and the bundled model was not found ($DRUMSPLIT_MODEL is unset; looked for %s): pass -m MODEL",
		strings.Join(looked, " and "))
}

// readModel reads the model's metadata from its archive, without libtorch,
// so that a wrong file gets a clear line even where libtorch is missing.
func readModel(path string) (*model.Info, error) {
	info, err := model.ReadInfo(path)
	if err == nil {
		return info, nil
	}
	var fe *model.FormatError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, usagef("model %s: no such file", path)
	case errors.As(err, &fe):
		return nil, fmt.Errorf("model %s", fe.Error())
	default:
		return nil, fmt.Errorf("model %s: %s", path, causeOf(err))
	}
}

// causeOf is an OS error without the path an *fs.PathError repeats.
func causeOf(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// selectStems turns --stems into indices of the model's stems (in the
// model's order), matching names without regard to case.
func selectStems(flag string, stems []string) ([]int, error) {
	if strings.TrimSpace(flag) == "" {
		idx := make([]int, len(stems))
		for i := range idx {
			idx[i] = i
		}
		return idx, nil
	}
	want := map[int]bool{}
	for _, name := range strings.Split(flag, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		found := -1
		for i, s := range stems {
			if strings.EqualFold(s, name) {
				found = i
			}
		}
		if found < 0 {
			return nil, usagef("--stems: the model has no stem %q (its stems: %s)", name, strings.Join(stems, ", "))
		}
		want[found] = true
	}
	if len(want) == 0 {
		return nil, usagef("--stems %q names no stem (the model's stems: %s)", flag, strings.Join(stems, ", "))
	}
	var idx []int
	for i := range stems {
		if want[i] {
			idx = append(idx, i)
		}
	}
	return idx, nil
}

// checkOutputDir creates the output folder if needed and checks that files
// can be created in it, so that an unusable folder is one line up front
// rather than one failure per input.
func checkOutputDir(dir string) error {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return fmt.Errorf("output folder %s: is not a folder", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output folder %s: cannot create it: %s", dir, causeOf(err))
	}
	f, err := os.CreateTemp(dir, ".drumsplit-check-*")
	if err != nil {
		return fmt.Errorf("output folder %s: not writable: %s", dir, causeOf(err))
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// openSeparator loads the model onto the device once for every input.
func openSeparator(cfg *separateConfig, progress func(separator.Progress)) (*separator.Separator, error) {
	opts := cfg.opts
	opts.Progress = progress
	opts.Info = cfg.info
	opts.Logger = slogToLogrus()
	sep, err := separator.Open(cfg.modelPath, opts)
	if err != nil {
		if errors.Is(err, torch.ErrNoLibtorch) {
			logLibraryDetail(err)
			var le *torch.LibraryError
			if errors.As(err, &le) {
				return nil, errors.New(le.Reason)
			}
		}
		return nil, fmt.Errorf("model %s: %s", cfg.modelPath, firstLine(strings.TrimPrefix(err.Error(), "separator: ")))
	}
	if n, err := torch.Threads(); err == nil {
		logrus.Debugf("libtorch uses %d CPU threads", n)
	}
	return sep, nil
}

// runSeparate separates every input and returns the exit code; an error
// means the run could not start or go on (unusable model or output folder).
func runSeparate(ctx context.Context, cfg *separateConfig, ui *ui) (int, error) {
	items := tracks.Find(cfg.inputs, cfg.out)
	r := &runner{cfg: cfg, ui: ui, written: map[string]string{}}
	if hasFiles(items) {
		if err := checkOutputDir(cfg.out); err != nil {
			return 0, err
		}
		sep, err := openSeparator(cfg, r.progress)
		if err != nil {
			return 0, err
		}
		defer sep.Close()
		r.sep = sep
	}
	return r.run(ctx, items), nil
}

func hasFiles(items []tracks.Item) bool {
	for _, it := range items {
		if it.Err == nil {
			return true
		}
	}
	return false
}
