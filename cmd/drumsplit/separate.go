package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/internal/cliargs"
	"github.com/drumsplit/drumsplit/internal/interrupt"
	"github.com/drumsplit/drumsplit/internal/job"
	"github.com/drumsplit/drumsplit/internal/tracks"
	"github.com/drumsplit/drumsplit/internal/ui"
	"github.com/drumsplit/drumsplit/internal/ui/separate"
	"github.com/drumsplit/drumsplit/model"
	"github.com/drumsplit/drumsplit/separator"
	"github.com/drumsplit/drumsplit/torch"
)

// separateDescription is the help text of separate (help/separate.txt).
var separateDescription = helpText("separate")

func init() {
	flags := separateFlagList()
	register(&cli.Command{
		Name:            "separate",
		Usage:           "split drum recordings (files or folders) into stems",
		ArgsUsage:       "INPUT...",
		Description:     separateDescription,
		HideHelpCommand: true, // "separate help" would hide a file named help
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usagef("%v", err)
		},
		Flags:  flags,
		Action: separateCmd,
	})
}

// separateFlagList is separate's flags, in the order its help lists them.
func separateFlagList() []cli.Flag {
	flags := append([]cli.Flag{
		&cli.StringFlag{Name: "model", Aliases: []string{"m"}, DefaultText: "the bundled model", Usage: "exported model `PATH` (.pt), or MSST/UVR checkpoint with --config"},
		&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "separated", Usage: "output folder `DIR`"},
		&cli.StringFlag{Name: "filename", Value: tracks.DefaultTemplate, Usage: "stem file name `TEMPLATE` under --out; variables {track} {stem} {ext} {model} {dir}"},
		&cli.StringFlag{Name: "format", Value: "wav", Usage: "output `FORMAT`: wav or flac"},
		&cli.StringFlag{Name: "bit-depth", Value: "24", Usage: "output sample format `BITS`: 16, 24 or 32f (32-bit float, wav only)"},
	}, engineFlags(
		"`DEVICE`: auto, cpu, cuda, cuda:N or mps (one that is missing falls back with a warning); a list such as cuda:0,cuda:1 runs one worker each")...)
	flags = append(flags, []cli.Flag{
		&cli.StringFlag{Name: "stems", DefaultText: "all", Usage: "write only these `STEMS`, comma-separated, e.g. kick,snare"},
		&cli.StringFlag{Name: "sample-rate", Value: "keep", Usage: "stem sample `RATE`: keep (the input's) or N Hz"},
		&cli.BoolFlag{Name: "residual", Usage: "also write {stem} other = input − the stems written, so that they add up to the input"},
		&cli.BoolFlag{Name: "midi", Usage: "also write a drum transcription, a MIDI file named with {stem} drums and {ext} mid"},
		&cli.BoolFlag{Name: "overwrite", Usage: "replace existing stem files"},
		&cli.BoolFlag{Name: "skip-existing", Usage: "keep existing stem files; skip inputs whose stems all exist"},
		&cli.BoolFlag{Name: "json", Usage: "print one JSON event per line on standard output"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only errors"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print debug information"},
	}...)
	return append(flags, append(scaleFlags, checkpointFlags...)...)
}

// separateConfig is the checked command line of `separate`.
type separateConfig struct {
	modelPath string
	info      *model.Info
	opts      separator.Options
	job       job.Options
	json      bool
	quiet     bool
	inputs    []string
	devices   []string // one worker each
}

// Bounds of the numeric flags: beyond them a value is a typo, and would
// take all memory (--batch: three batches of chunks are held at once, 1.4 GB
// at 64 for the bundled model) or run for hours (--overlap: UVR offers up
// to 50; the work grows with it) before anything is written.
const (
	maxBatch   = 64
	maxOverlap = 64
)

// maxThreads is the most --threads accepts: 4 per usable CPU. More
// threads than that only slow libtorch down, and starting tens of
// thousands of them takes long enough to ignore Ctrl-C.
func maxThreads() int { return 4 * runtime.NumCPU() }

func separateCmd(c *cli.Context) error {
	// Flags after the first INPUT ("separate song.wav -o out") are parsed
	// again in front of it, as argparse-based tools allow.
	if args, ok := cliargs.FlagsFirst(c.Command.Flags, cliargs.CommandArgs(c)); ok {
		return cliargs.Rerun(c, args)
	}
	// Signals are caught from the start: reading the model and the inputs
	// may take a while.
	sig := interrupt.Catch(c.Context)
	defer sig.Stop()
	c.Context = sig.Context() // a checkpoint's conversion stops on Ctrl-C too
	quiet := anyBool(c, "quiet")
	setLogger(newLogger(ui.Level(quiet, anyBool(c, "verbose") && !quiet), stderrLog{}))

	// The printer exists before the flags are read: a checkpoint's
	// conversion, which may take a minute, is announced as it starts.
	u := separate.New(os.Stderr, c.App.Writer, quiet, c.Bool("json"), ui.IsTerminal(os.Stderr))
	cfg, err := separateFlags(c, u.Event)
	if err != nil {
		if c.Bool("json") {
			// Scripts reading events learn of a usage error too; main
			// prints the line and exits 2.
			separate.New(io.Discard, c.App.Writer, true, true, false).RunError(errorLine("", err))
		}
		return err
	}
	setLogger(newLogger(ui.Level(quiet, anyBool(c, "verbose") && !quiet), u))
	defer setLogger(newLogger(ui.Level(quiet, false), stderrLog{}))

	code := runSeparate(sig.Context(), cfg, u, sig.ExitCode)
	if code != exitOK {
		return cli.Exit("", code)
	}
	return nil
}

// runSeparate separates every input and returns the exit code.
func runSeparate(ctx context.Context, cfg *separateConfig, u *separate.Printer, interrupted func() int) int {
	b := job.Batch{Options: cfg.job, Inputs: cfg.inputs, ModelPath: cfg.modelPath, Info: cfg.info, Separator: cfg.opts, Version: Version,
		Devices: cfg.devices}
	b.Logger = logger // the one in place now, which routes lines through the ui
	b.Separator.Logger = logger
	b.Message = errorLine
	sum, err := job.RunBatch(ctx, b, u.Event)
	if err != nil {
		u.RunError(errorLine("", err))
		if errors.As(err, new(*job.ClashError)) {
			return exitUsage // the inputs and --filename, as given, cannot work
		}
		return exitFailed
	}
	code := exitOK
	switch {
	case sum.Interrupted:
		code = interrupted()
	case sum.Failed > 0:
		code = exitFailed
	}
	u.Summary(sum, code)
	return code
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
// is loaded or written; events hears of a checkpoint's conversion.
func separateFlags(c *cli.Context, events func(job.Event)) (*separateConfig, error) {
	cfg := &separateConfig{
		json:   c.Bool("json"),
		quiet:  anyBool(c, "quiet"),
		inputs: c.Args().Slice(),
	}
	j := &cfg.job
	j.Out = c.String("out")
	j.MIDI = c.Bool("midi")
	j.Residual = c.Bool("residual")
	switch {
	case c.Bool("overwrite") && c.Bool("skip-existing"):
		return nil, usagef("--overwrite and --skip-existing exclude each other")
	case c.Bool("overwrite"):
		j.Existing = job.Overwrite
	case c.Bool("skip-existing"):
		j.Existing = job.Skip
	}
	if strings.TrimSpace(j.Out) == "" {
		return nil, usagef("--out: empty folder name")
	}

	var err error
	if j.Encoding, err = parseEncoding(c.String("format"), c.String("bit-depth")); err != nil {
		return nil, err
	}
	if j.SampleRate, err = parseSampleRate(c.String("sample-rate")); err != nil {
		return nil, err
	}
	if j.Template, err = tracks.Parse(c.String("filename")); err != nil {
		return nil, usagef("--filename: %v", err)
	}
	if cfg.opts, err = separatorOptions(c); err != nil {
		return nil, err
	}
	if cfg.devices, err = parseDevices(c.String("device")); err != nil {
		return nil, err
	}
	if j.Shard, err = parseShard(c); err != nil {
		return nil, err
	}
	if len(cfg.inputs) == 0 {
		return nil, usagef("no INPUT given: name audio files or folders to separate")
	}

	if cfg.modelPath, err = checkpointModel(c, c.String("model"), events); err != nil {
		return nil, err
	}
	if cfg.modelPath, err = findModel(cfg.modelPath); err != nil {
		return nil, err
	}
	if cfg.info, err = readModel(cfg.modelPath); err != nil {
		return nil, err
	}
	if o := cfg.opts.Overlap; o > cfg.info.ChunkSize {
		return nil, usagef("--overlap %d: more than the %d samples of the model's chunk", o, cfg.info.ChunkSize)
	}
	// An int8 model's device and precision are known from its metadata:
	// say so before the output folder is made and the library loaded.
	for _, d := range cfg.devices {
		dev, err := torch.ParseDevice(d) // parseDevices accepted it
		if err != nil {
			return nil, err
		}
		if err := separator.CheckInt8(cfg.info, cfg.opts.Precision, dev); err != nil {
			return nil, usagef("model %q: %v", cfg.modelPath, err)
		}
	}
	j.ModelName = cfg.info.Name
	if j.ModelName == "" {
		j.ModelName = tracks.TrackName(cfg.modelPath)
	}
	if j.Stems, err = selectStems(c.String("stems"), cfg.info.Stems); err != nil {
		return nil, err
	}
	if (len(j.Stems) > 1 || j.Residual) && !j.Template.Uses("stem") {
		return nil, usagef("--filename %q has no {stem}: every stem would go to the same file", j.Template)
	}
	return cfg, nil
}

// separatorOptions reads the flags that configure the separator: the one
// place where the command builds separator.Options.
func separatorOptions(c *cli.Context) (separator.Options, error) {
	var o separator.Options
	var err error
	devs, err := parseDevices(c.String("device"))
	if err != nil {
		return o, err
	}
	o.Device = devs[0] // the first worker's; separateFlags keeps the list
	if o.Precision, err = flagEnum(c, "precision", separator.ParsePrecision); err != nil {
		return o, err
	}
	if o.STFT, err = flagEnum(c, "stft", separator.ParseSTFTPlacement); err != nil {
		return o, err
	}
	if o.Mode, err = flagEnum(c, "mode", separator.ParseMode); err != nil {
		return o, err
	}
	o.TTA = c.Bool("tta")
	for _, f := range []struct {
		name string
		dst  *int
		max  int
		why  string
	}{
		{"overlap", &o.Overlap, maxOverlap, ""},
		{"batch", &o.BatchSize, maxBatch, ""},
		{"threads", &o.Threads, maxThreads(), fmt.Sprintf(" (4 per usable CPU; this machine has %d)", runtime.NumCPU())},
	} {
		if !c.IsSet(f.name) {
			continue
		}
		v := c.Int(f.name)
		if err := checkRange("--"+f.name, v, f.max); err != nil {
			return o, usagef("%v%s", err, f.why)
		}
		*f.dst = v
	}
	return o, nil
}

// checkGrid bounds bench's --overlap and --batch lists and --threads as
// separate's flags are bounded.
func checkGrid(overlaps, batches []int, threads int) error {
	for _, l := range []struct {
		flag string
		vals []int
		most int
	}{{"--overlap", overlaps, maxOverlap}, {"--batch", batches, maxBatch}} {
		for _, v := range l.vals {
			if err := checkRange(l.flag, v, l.most); err != nil {
				return usagef("%v", err)
			}
		}
	}
	if threads > maxThreads() {
		return usagef("--threads %d: must be at most %d (4 per usable CPU; this machine has %d)", threads, maxThreads(), runtime.NumCPU())
	}
	return nil
}

// checkRange checks a numeric flag's value: 1 to most.
func checkRange(flag string, v, most int) error {
	switch {
	case v < 1:
		return fmt.Errorf("%s %d: must be at least 1", flag, v)
	case v > most:
		return fmt.Errorf("%s %d: must be at most %d", flag, v, most)
	}
	return nil
}

// flagEnum parses the value of flag with the separator's own parser and
// turns a wrong value into a usage error listing the valid ones.
func flagEnum[T ~string](c *cli.Context, flag string, parse func(string) (T, error)) (T, error) {
	v, err := parse(c.String(flag))
	var ve *separator.ValueError
	if errors.As(err, &ve) {
		return v, usagef("--%s %q: want %s", flag, strings.ToLower(strings.TrimSpace(ve.Value)), strings.Join(ve.Valid, ", "))
	}
	return v, err
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

// parseSampleRate checks --sample-rate: "keep" (0, the input's rate) or a
// rate in Hz the resampler takes.
func parseSampleRate(v string) (int, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "keep" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(v, "hz")))
	if err != nil || n < audio.MinSampleRate || n > audio.MaxSampleRate {
		return 0, usagef("--sample-rate %q: want keep or a rate in Hz from %d to %d", v, audio.MinSampleRate, audio.MaxSampleRate)
	}
	return n, nil
}

// findModel returns the model to use: the flag, else the bundled model
// (model.FindBundled).
func findModel(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	p, looked := model.FindBundled()
	if p == "" {
		return "", usagef("no --model given and the bundled model was not found ($DRUMSPLIT_MODEL is unset; looked for %s): pass -m MODEL",
			strings.Join(looked, " and "))
	}
	return p, nil
}

// readModel reads the model's metadata (job.ReadModel); a missing file is
// a mistake of the command line.
func readModel(path string) (*model.Info, error) {
	// model.ReadInfo refuses a FIFO or device before it could block, and
	// its errors name the file.
	info, err := model.ReadInfo(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usagef("model %q: no such file", path)
	}
	return info, err
}

// selectStems turns --stems into indices of the model's stems
// (tracks.SelectStems).
func selectStems(flag string, stems []string) ([]int, error) {
	idx, err := tracks.SelectStems(flag, stems)
	switch {
	case errors.Is(err, tracks.ErrNoStemNamed):
		return nil, usagef("--stems %q names no stem (the model's stems: %s)", flag, strings.Join(stems, ", "))
	case err != nil:
		return nil, usagef("--stems: %v", err)
	}
	return idx, nil
}

// engineFlags are the flags that say how the model runs, shared by
// separate and serve (separatorOptions reads them); deviceUsage is
// --device's help line, as the commands take different device lists.
func engineFlags(deviceUsage string) []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "overlap", DefaultText: "the model's", Usage: "`N` chunks cover each sample"},
		&cli.IntFlag{Name: "batch", DefaultText: "the model's", Usage: "`N` chunks run at once (halved on out-of-memory)"},
		&cli.StringFlag{Name: "device", Value: "auto", Usage: deviceUsage},
		&cli.StringFlag{Name: "precision", Value: "auto", Usage: "network precision `P`: auto (fp16 on CUDA, else fp32; int8 for an int8 model), fp32, fp16, bf16 or int8 (int8 models only, CPU only)"},
		&cli.StringFlag{Name: "stft", Value: "auto", Usage: "`WHERE` the STFT runs: auto, model (inside the model) or go"},
		&cli.StringFlag{Name: "mode", Value: "msst", Usage: "overlap-add `MODE`: msst (fades, weighted average) or uvr (plain average)"},
		&cli.BoolFlag{Name: "tta", Usage: "test-time augmentation as MSST's --use_tta: also separate the input channel-swapped and polarity-inverted, and average (3× the time)"},
		&cli.IntFlag{Name: "threads", DefaultText: "every CPU this process may use", Usage: "`N` libtorch CPU threads"},
	}
}
