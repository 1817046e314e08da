// Package job runs a batch of separations, as `drumsplit separate` does: it
// names each input's stem files (Plan), applies the policy for files that
// exist, locks the files against other runs, decodes and resamples the
// input, separates it into temporary files and puts the new set of stem
// files in place all together, or leaves the old set as it was. A bad input
// fails alone and the next one is started; cancelling the context stops the
// run after the current input's stem files are discarded.
//
// What happens is told by Events, which the command line renders as lines,
// a progress bar or JSON. The separator is an interface, so that the job
// logic runs with a fake in tests; Open adapts a *separator.Separator.
package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/internal/tracks"
	"github.com/drumsplit/drumsplit/separator"
	"github.com/drumsplit/drumsplit/transcribe"
)

// Separator separates one source at a time into stems.
type Separator interface {
	// Stems names the stems, in the order Separate delivers them.
	Stems() []string
	// SampleRate is the rate sources must have; stems come at this rate.
	SampleRate() int
	// Separate reads src and writes every stem to dst, calling progress
	// (if not nil) after every batch from the calling goroutine. It stops
	// with an error soon after ctx is cancelled.
	Separate(ctx context.Context, src separator.Source, dst separator.Sink, progress func(separator.Progress)) error
}

// Options configure Run. Template and Encoding are required.
type Options struct {
	Out       string           // the output folder
	Template  *tracks.Template // stem file names under Out
	Encoding  audio.Encoding
	Stems     []int  // indices into the separator's Stems to write, in its order; nil writes all
	ModelName string // the {model} of the template
	Existing  Existing
	// MIDI also writes a drum transcription of the stems (package
	// transcribe, General MIDI, 120 BPM) as a Standard MIDI File named by
	// Template with {stem} MIDIStem and {ext} MIDIExt. It is part of the
	// input's set of files: committed with the stem files, all or none,
	// under the same Existing policy and locks. It is transcribed from
	// every stem of the separator that transcribe reads, whether written
	// or not (Stems), kept in memory as a mono mix while the separator
	// streams: 4 bytes per sample per stem, 635 MB per stem for an hour at
	// 44.1 kHz (3.8 GB for six stems).
	MIDI bool
	// Message turns an error about file ("" for none) into the message of
	// a FileFailed event; nil uses err.Error().
	Message func(file string, err error) string
	// Logger receives debug records; nil discards them.
	Logger *slog.Logger
}

func (o *Options) selected(n int) []int {
	if o.Stems != nil {
		return o.Stems
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	return all
}

// ErrInterrupted is the error of the input being separated when the run's
// context is cancelled.
var ErrInterrupted = errors.New("interrupted; its stems were not written")

// errNoAudio is the error of an input without samples.
var errNoAudio = errors.New("no audio in the file (0 samples)")

// Run separates the files of items in order with sep, calling emit with
// every event (see Event), and returns the Summary it emits last. Items
// with Err set fail with that error. Run stops before the next item once
// ctx is cancelled.
func Run(ctx context.Context, sep Separator, items []tracks.Item, o Options, emit func(Event)) Summary {
	return newRunner(sep, o, emit, osFS).run(ctx, items)
}

// runner is one run.
type runner struct {
	sep   Separator
	stems []string
	o     Options
	emit  func(Event)
	fs    fileSystem
	log   *slog.Logger

	// written maps each stem file written in this run to its input, so
	// that two inputs with the same name cannot overwrite each other's
	// stems unnoticed.
	written map[string]string
}

func newRunner(sep Separator, o Options, emit func(Event), fsys fileSystem) *runner {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if emit == nil {
		emit = func(Event) {}
	}
	return &runner{sep: sep, stems: sep.Stems(), o: o, emit: emit, fs: fsys, log: log, written: map[string]string{}}
}

func (r *runner) run(ctx context.Context, items []tracks.Item) Summary {
	start := time.Now()
	sum := Summary{Kind: KindSummary, Inputs: len(items)}
	seconds := 0.0
	for i, it := range items {
		if ctx.Err() != nil {
			sum.Interrupted = true
			break
		}
		if it.Err != nil {
			sum.Failed++
			r.fail(it.Path, i+1, it.Err)
			continue
		}
		done, secs, err := r.file(ctx, it, i+1, len(items))
		switch {
		case err != nil:
			sum.Failed++
			sum.Interrupted = errors.Is(err, ErrInterrupted)
			r.fail(it.Path, i+1, err)
		case done.Status == StatusSkipped:
			sum.Skipped++
			r.emit(done)
		default:
			sum.Done++
			seconds += secs
			r.emit(done)
		}
		if sum.Interrupted {
			break
		}
	}
	elapsed := time.Since(start).Seconds()
	sum.Seconds, sum.Elapsed = round3(seconds), round3(elapsed)
	if seconds > 0 {
		sum.RTF = round3(elapsed / seconds)
	}
	r.emit(sum)
	return sum
}

func (r *runner) fail(file string, index int, err error) {
	msg := err.Error()
	if r.o.Message != nil {
		msg = r.o.Message(file, err)
	}
	r.emit(FileFailed{Kind: KindFileFailed, File: file, Index: index, Message: msg, Err: err})
}

func (r *runner) warn(file, msg string) {
	r.emit(Warning{Kind: KindWarning, File: file, Message: msg})
}

// file separates one input into its stem files and returns its FileDone
// event and its length in seconds. On any error, or when ctx is cancelled,
// none of its stem files appears or is replaced.
func (r *runner) file(ctx context.Context, it tracks.Item, index, total int) (done FileDone, seconds float64, err error) {
	start := time.Now()
	path := it.Path
	outs, err := Plan(it, r.stems, &r.o)
	if err != nil {
		return done, 0, err
	}
	for _, o := range outs {
		// RunBatch refuses such runs before they start (CheckClashes);
		// this guards callers of Run.
		if other, ok := r.written[o.Path]; ok {
			return done, 0, fmt.Errorf("%q was already written for %q in this run (two inputs named %q? put {track} in a folder per input or rename one)",
				o.Path, other, tracks.TrackName(path))
		}
	}

	var newDirs []string // folders made for this input, removed again on failure
	defer func() {
		if err != nil {
			for i := len(newDirs) - 1; i >= 0; i-- {
				os.Remove(newDirs[i]) // only if empty
			}
		}
	}()
	listings := map[string][]os.DirEntry{}
	for _, o := range outs {
		dir := filepath.Dir(o.Path)
		if _, ok := listings[dir]; ok {
			continue
		}
		made, err := mkdirs(dir)
		newDirs = append(newDirs, made...)
		if err != nil {
			return done, 0, fmt.Errorf("cannot create folder %q: %w", dir, causeOf(err))
		}
		listings[dir], _ = os.ReadDir(dir)
	}
	for _, o := range outs {
		unlock, err := lock(o.Path)
		if err != nil {
			return done, 0, err
		}
		defer unlock()
	}
	for _, o := range outs {
		for _, w := range r.fs.cleanStale(o.Path, listings[filepath.Dir(o.Path)]) {
			r.warn(path, w)
		}
	}
	if err := check(path, outs); err != nil {
		return done, 0, err
	}
	if outs, err = applyPolicy(outs, r.o.Existing); err != nil {
		return done, 0, err
	}
	done = FileDone{Kind: KindFileDone, File: path, Index: index, Status: StatusDone, Stems: []Stem{}}
	if len(outs) == 0 {
		done.Status = StatusSkipped
		return done, 0, nil
	}

	src, in, err := openInput(path, r.sep.SampleRate())
	if err != nil {
		return done, 0, err
	}
	defer src.Close()
	sink := &stemSink{}
	defer sink.abort()
	rate := r.sep.SampleRate()
	var midi dataWriter // the MIDI file's, last in outs if any
	for _, o := range outs {
		if o.Index == MIDIIndex {
			if midi, err = r.fs.createFile(o.Path); err != nil {
				return done, 0, err
			}
			defer midi.Abort()
			sink.keepMono(r.stems, src.Frames())
			continue
		}
		w, err := r.fs.create(o.Path, rate, 2, r.o.Encoding)
		if err != nil {
			return done, 0, err
		}
		sink.add(o.Index, w)
	}

	secs := -1.0
	if n := src.Frames(); n >= 0 {
		secs = round3(float64(n) / float64(rate))
	}
	r.emit(FileStarted{Kind: KindFileStarted, File: path, Index: index, Total: total, Seconds: secs, SampleRate: in.SampleRate, Outputs: outs})
	if in.Channels > 2 {
		r.warn(path, fmt.Sprintf("%d-channel input: using the first two channels only", in.Channels))
	}
	progress := func(p separator.Progress) { r.emit(progressEvent(path, index, rate, p)) }
	err = r.sep.Separate(ctx, src, sink, progress)
	switch {
	case err != nil && ctx.Err() != nil:
		return done, 0, ErrInterrupted
	case err != nil:
		return done, 0, err
	case sink.frames == 0:
		return done, 0, errNoAudio
	}
	ws := make([]pending, 0, len(outs))
	for i, w := range sink.writers {
		done.Stems = append(done.Stems, Stem{Stem: outs[i].Stem, Path: outs[i].Path, Clipped: w.Clipped()})
		ws = append(ws, w)
	}
	if midi != nil {
		o := outs[len(outs)-1]
		n, err := writeMIDI(midi, sink, r.stems, rate)
		if err != nil {
			return done, 0, fmt.Errorf("%q: %w", o.Path, err)
		}
		done.MIDI = &MIDIFile{Path: o.Path, Notes: n}
		ws = append(ws, midi)
	}
	warnings, err := r.fs.commit(outs, ws)
	if err != nil {
		return done, 0, err
	}
	sink.writers = nil // committed: nothing to abort
	for _, w := range warnings {
		r.warn(path, w)
	}
	for _, st := range done.Stems {
		if st.Clipped > 0 {
			r.warn(path, fmt.Sprintf("%q: %d samples clipped", st.Path, st.Clipped))
		}
	}
	for _, o := range outs {
		r.written[o.Path] = path
	}
	seconds = float64(sink.frames) / float64(rate)
	elapsed := time.Since(start).Seconds()
	done.Seconds, done.Elapsed = round3(seconds), round3(elapsed)
	if seconds > 0 {
		done.RTF = round3(elapsed / seconds)
	}
	r.log.Debug("separated", "file", path, "seconds", done.Seconds, "elapsed", done.Elapsed)
	return done, seconds, nil
}

// input is an opened input file, resampled to the separator's rate.
type input struct {
	separator.Source
	rd audio.Reader
}

func (in input) Close() error { return in.rd.Close() }

// openInput opens the audio file at path as a stereo source at rate.
// audio.Open refuses anything but a regular file before it could block
// (a FIFO would wait for a writer).
func openInput(path string, rate int) (input, audio.Info, error) {
	rd, err := audio.Open(path)
	if err != nil {
		return input{}, audio.Info{}, err
	}
	info := rd.Info()
	if info.Frames == 0 {
		rd.Close()
		return input{}, info, errNoAudio
	}
	chain, err := audio.ResampleReader(audio.Stereo(rd), rate)
	if err == nil {
		var src separator.Source
		if src, err = separator.ReaderSource(chain); err == nil {
			return input{Source: src, rd: rd}, info, nil
		}
	}
	rd.Close()
	return input{}, info, err
}

// progressEvent converts a separator's report into an event.
func progressEvent(path string, index, rate int, p separator.Progress) Progress {
	ev := Progress{Kind: KindProgress, File: path, Index: index, Done: round3(float64(p.SamplesDone) / float64(rate)),
		Total: -1, Fraction: -1, Elapsed: round3(p.Elapsed.Seconds()), ETA: -1}
	if p.SamplesTotal >= 0 {
		ev.Total = round3(float64(p.SamplesTotal) / float64(rate))
		ev.Fraction = 1
		if p.SamplesTotal > 0 {
			ev.Fraction = round3(math.Min(1, float64(p.SamplesDone)/float64(p.SamplesTotal)))
		}
		if p.ETA > 0 || ev.Fraction == 1 {
			ev.ETA = round3(p.ETA.Seconds())
		}
	}
	return ev
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// writeMIDI transcribes the mono stems a sink kept and writes them to w
// as a Standard MIDI File; it returns the number of notes.
func writeMIDI(w io.Writer, sink *stemSink, names []string, rate int) (int, error) {
	in := transcribe.Input{SampleRate: rate}
	for s, m := range sink.mono {
		if m != nil {
			in.Stems = append(in.Stems, transcribe.Stem{Name: names[s], Data: [][]float32{m}})
		}
	}
	notes, err := transcribe.Transcribe(in, transcribe.Options{})
	sink.mono = nil // the notes are all that is needed now
	if err != nil {
		return 0, fmt.Errorf("transcription: %w", err)
	}
	if err := transcribe.WriteSMF(w, notes, transcribe.SMFOptions{}); err != nil {
		return 0, err
	}
	return len(notes), nil
}

// stemSink writes the selected stems of a separation, each to its writer.
type stemSink struct {
	stems   []int // the separator's stem index of each writer
	writers []stemWriter
	frames  int64
	// mono holds, after keepMono, the mono mix of every stem transcribe
	// reads, by the separator's stem index (nil for the others).
	mono [][]float32
}

// keepMono makes the sink keep the mono mix of every stem of names that
// transcribe reads; frames (if not -1) is how many are expected, so that
// the memory is taken once rather than grown by doubling.
func (s *stemSink) keepMono(names []string, frames int64) {
	s.mono = make([][]float32, len(names))
	for i, n := range names {
		if transcribe.Known(n) {
			s.mono[i] = make([]float32, 0, max(0, frames))
		}
	}
}

func (s *stemSink) add(stem int, w stemWriter) {
	s.stems = append(s.stems, stem)
	s.writers = append(s.writers, w)
}

// Write implements separator.Sink.
func (s *stemSink) Write(stems [][][]float32) error {
	for i, w := range s.writers {
		if err := w.Write(stems[s.stems[i]]); err != nil {
			return err
		}
	}
	for i, m := range s.mono {
		if m == nil || i >= len(stems) || len(stems[i]) == 0 {
			continue
		}
		// The mix transcribe.Transcribe makes of planar channels: the
		// sum of each channel divided by their number.
		chans := stems[i]
		g := 1 / float32(len(chans))
		for k := range chans[0] {
			var v float32
			for _, ch := range chans {
				v += ch[k] * g
			}
			m = append(m, v)
		}
		s.mono[i] = m
	}
	if len(stems) > 0 && len(stems[0]) > 0 {
		s.frames += int64(len(stems[0][0]))
	}
	return nil
}

// abort discards the temporary files of writers not committed.
func (s *stemSink) abort() {
	for _, w := range s.writers {
		w.Abort()
	}
}
