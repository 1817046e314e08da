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
	"sync"
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
	// SampleRate is the rate of the stem files: 0 writes them at each
	// input's own rate (resampled from the model's on the way out).
	SampleRate int
	// Residual also writes the input minus the sum of the selected stems,
	// named by Template with {stem} ResidualStem, so that the files written
	// add up to the input (separator.Output). It is part of the input's
	// set of files, committed with the stems.
	Residual bool
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
	// Shard is the part of the inputs the run takes (RunBatch selects
	// them); it is written in the lock files, so that a rerun of the shard
	// on another host takes over the locks its killed predecessor left.
	Shard Shard
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
	return RunParallel(ctx, []Separator{sep}, items, o, emit)
}

// RunParallel is Run with several separators of one model (one per
// device): each is a worker that takes the next item as soon as it is
// free, so items start in order but may end out of order. The file events
// name the worker (its index in seps) and its device. emit is still called
// from the goroutine that called RunParallel, one event at a time, and
// the stem files are those Run writes with any one of the separators.
func RunParallel(ctx context.Context, seps []Separator, items []tracks.Item, o Options, emit func(Event)) Summary {
	return newRunner(seps, o, emit, osFS).run(ctx, items)
}

// runner is one run.
type runner struct {
	seps  []Separator
	stems []string
	o     Options
	emit  func(Event)
	fs    fileSystem
	log   *slog.Logger

	mu sync.Mutex
	// written maps each stem file written (or being written) in this run
	// to its input, so that two inputs with the same name cannot overwrite
	// each other's stems unnoticed.
	written map[string]string
}

func newRunner(seps []Separator, o Options, emit func(Event), fsys fileSystem) *runner {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if emit == nil {
		emit = func(Event) {}
	}
	return &runner{seps: seps, stems: seps[0].Stems(), o: o, emit: emit, fs: fsys, log: log, written: map[string]string{}}
}

// worker runs one separator; its events go to the run's goroutine.
type worker struct {
	id     int
	device string
	sep    Separator
	events chan<- message
	// handled is signalled once emit has returned for the worker's event:
	// the worker waits for it, so that it goes on only after its event was
	// handled, as with one separator (a printer that fails on a closed
	// pipe cancels the run before more work is done).
	handled chan struct{}
}

// message is an event on its way to emit, with what the summary counts.
type message struct {
	ev          Event
	seconds     float64 // of a FileDone: unrounded
	interrupted bool    // a worker stopped because ctx was cancelled
	handled     chan struct{}
}

// send hands m to the run's goroutine and waits until it was handled.
func (w *worker) send(m message) {
	m.handled = w.handled
	w.events <- m
	<-w.handled
}

func (w *worker) emit(ev Event)         { w.send(message{ev: ev}) }
func (w *worker) warn(file, msg string) { w.emit(Warning{Kind: KindWarning, File: file, Message: msg}) }
func (w *worker) tag() (int, string)    { return w.id, w.device }

// deviceOf is the device sep runs on (a Model's), or "" if it does not say.
func deviceOf(sep Separator) string {
	if d, ok := sep.(interface{ Device() string }); ok {
		return d.Device()
	}
	return ""
}

func (r *runner) run(ctx context.Context, items []tracks.Item) Summary {
	start := time.Now()
	sum := Summary{Kind: KindSummary, Inputs: len(items)}
	events := make(chan message)
	var (
		mu   sync.Mutex
		next int  // the next item to take
		stop bool // no more items are taken
	)
	// take hands out the next item, or none once ctx is cancelled
	// (interrupted: items were left).
	take := func() (i int, ok, interrupted bool) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case stop || next == len(items):
			return 0, false, false
		case ctx.Err() != nil:
			stop = true
			return 0, false, true
		}
		next++
		return next - 1, true, false
	}
	var wg sync.WaitGroup
	for id, sep := range r.seps {
		w := &worker{id: id, device: deviceOf(sep), sep: sep, events: events, handled: make(chan struct{})}
		wg.Go(func() {
			for {
				i, ok, interrupted := take()
				if interrupted {
					w.send(message{interrupted: true})
				}
				if !ok {
					return
				}
				w.send(r.item(ctx, w, items[i], i+1, len(items)))
			}
		})
	}
	go func() {
		wg.Wait()
		close(events)
	}()
	seconds := 0.0
	for m := range events {
		switch ev := m.ev.(type) {
		case nil:
			sum.Interrupted = sum.Interrupted || m.interrupted
		case FileFailed:
			sum.Failed++
			if errors.Is(ev.Err, ErrInterrupted) {
				sum.Interrupted = true
			}
		case FileDone:
			if ev.Status == StatusSkipped {
				sum.Skipped++
			} else {
				sum.Done++
				seconds += m.seconds
			}
		}
		if m.ev != nil {
			r.emit(m.ev)
		}
		m.handled <- struct{}{}
	}
	elapsed := time.Since(start).Seconds()
	sum.Seconds, sum.Elapsed = round3(seconds), round3(elapsed)
	if seconds > 0 {
		sum.RTF = round3(elapsed / seconds)
	}
	r.emit(sum)
	return sum
}

// item runs one item on worker w and returns its last event (FileDone or
// FileFailed) for the run's goroutine; the events before it are sent by
// the worker as they come.
func (r *runner) item(ctx context.Context, w *worker, it tracks.Item, index, total int) message {
	if it.Err != nil {
		return message{ev: r.failed(w, it.Path, index, it.Err)}
	}
	done, secs, err := r.file(ctx, w, it, index, total)
	if err != nil {
		return message{ev: r.failed(w, it.Path, index, err)}
	}
	return message{ev: done, seconds: secs}
}

func (r *runner) failed(w *worker, file string, index int, err error) FileFailed {
	msg := err.Error()
	if r.o.Message != nil {
		msg = r.o.Message(file, err)
	}
	ev := FileFailed{Kind: KindFileFailed, File: file, Index: index, Message: msg, Err: err}
	ev.Worker, ev.Device = w.tag()
	return ev
}

// claim reserves the stem files outs for the input at path in this run,
// or says which input has them already; release gives them back.
func (r *runner) claim(path string, outs []Output) (release func(), err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, o := range outs {
		if other, ok := r.written[o.Path]; ok {
			return nil, fmt.Errorf("%q was already written for %q in this run (two inputs named %q? put {track} in a folder per input or rename one)",
				o.Path, other, tracks.TrackName(path))
		}
	}
	for _, o := range outs {
		r.written[o.Path] = path
	}
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, o := range outs {
			delete(r.written, o.Path)
		}
	}, nil
}

// file separates one input into its stem files and returns its FileDone
// event and its length in seconds. On any error, or when ctx is cancelled,
// none of its stem files appears or is replaced.
func (r *runner) file(ctx context.Context, w *worker, it tracks.Item, index, total int) (done FileDone, seconds float64, err error) {
	start := time.Now()
	path := it.Path
	outs, err := Plan(it, r.stems, &r.o)
	if err != nil {
		return done, 0, err
	}
	// RunBatch refuses clashing runs before they start (CheckClashes);
	// claim guards callers of Run and inputs that workers run at once.
	release, err := r.claim(path, outs)
	if err != nil {
		return done, 0, err
	}
	defer func() {
		if err != nil || done.Status == StatusSkipped {
			release()
		}
	}()

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
		unlock, err := lock(o.Path, r.o.Shard.String())
		if err != nil {
			return done, 0, err
		}
		defer unlock()
	}
	for _, o := range outs {
		for _, msg := range r.fs.cleanStale(o.Path, listings[filepath.Dir(o.Path)]) {
			w.warn(path, msg)
		}
	}
	if err := check(path, outs); err != nil {
		return done, 0, err
	}
	if outs, err = applyPolicy(outs, r.o.Existing); err != nil {
		return done, 0, err
	}
	done = FileDone{Kind: KindFileDone, File: path, Index: index, Status: StatusDone, Stems: []Stem{}}
	done.Worker, done.Device = w.tag()
	if len(outs) == 0 {
		done.Status = StatusSkipped
		return done, 0, nil
	}

	rd, in, err := openInput(path)
	if err != nil {
		return done, 0, err
	}
	defer rd.Close()
	rate := w.sep.SampleRate()
	sink := &stemSink{}
	defer sink.abort()
	var midi dataWriter // the MIDI file's, last in outs if any
	residual := false
	for _, o := range outs {
		if o.Index == ResidualIndex {
			residual = true
		}
	}
	// Every selected stem is resampled and summed for the residual, even
	// one kept by Skip: the residual completes the set on disk.
	selected := r.o.selected(len(r.stems))
	sink.slot = make(map[int]int, len(selected))
	for k, si := range selected {
		sink.slot[si] = k
	}
	out, src, err := separator.NewOutput(rd, rate, r.o.SampleRate, selected, residual, sink.emit)
	if err != nil {
		return done, 0, fmt.Errorf("%q: %w", path, err)
	}
	sink.out = out
	for _, o := range outs {
		if o.Index == MIDIIndex {
			if midi, err = r.fs.createFile(o.Path); err != nil {
				return done, 0, err
			}
			defer midi.Abort()
			sink.keepMono(r.stems, src.Frames())
			continue
		}
		sw, err := r.fs.create(o.Path, out.Rate(), 2, r.o.Encoding)
		if err != nil {
			return done, 0, err
		}
		k := len(selected) // the residual's slot
		if o.Index != ResidualIndex {
			k = sink.slot[o.Index]
		}
		sink.add(k, sw)
	}

	secs := -1.0
	if n := src.Frames(); n >= 0 {
		secs = round3(float64(n) / float64(rate))
	}
	started := FileStarted{Kind: KindFileStarted, File: path, Index: index, Total: total, Seconds: secs, SampleRate: in.SampleRate,
		OutSampleRate: out.Rate(), Outputs: outs}
	started.Worker, started.Device = w.tag()
	w.emit(started)
	if in.Channels > 2 {
		w.warn(path, fmt.Sprintf("%d-channel input: using the first two channels only", in.Channels))
	}
	progress := func(p separator.Progress) {
		ev := progressEvent(path, index, rate, p)
		ev.Worker, ev.Device = w.tag()
		w.emit(ev)
	}
	err = w.sep.Separate(ctx, src, sink, progress)
	switch {
	case err != nil && ctx.Err() != nil:
		return done, 0, ErrInterrupted
	case err != nil:
		return done, 0, err
	case sink.frames == 0:
		return done, 0, errNoAudio
	}
	if err := out.Finish(); err != nil {
		return done, 0, err
	}
	ws := make([]pending, 0, len(outs))
	for i, sw := range sink.writers {
		done.Stems = append(done.Stems, Stem{Stem: outs[i].Stem, Path: outs[i].Path, Clipped: sw.Clipped()})
		ws = append(ws, sw)
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
	for _, msg := range warnings {
		w.warn(path, msg)
	}
	for _, st := range done.Stems {
		if st.Clipped > 0 {
			w.warn(path, fmt.Sprintf("%q: %d samples clipped", st.Path, st.Clipped))
		}
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

// openInput opens the audio file at path as a stereo reader at its own
// rate (separator.NewOutput resamples it for the model). audio.Open
// refuses anything but a regular file before it could block (a FIFO
// would wait for a writer).
func openInput(path string) (audio.Reader, audio.Info, error) {
	rd, err := audio.Open(path)
	if err != nil {
		return nil, audio.Info{}, err
	}
	info := rd.Info()
	if info.Frames == 0 {
		rd.Close()
		return nil, info, errNoAudio
	}
	return audio.Stereo(rd), info, nil
}

// progressEvent converts a separator's report into an event.
func progressEvent(path string, index, rate int, p separator.Progress) Progress {
	ev := Progress{Kind: KindProgress, File: path, Index: index, Done: round3(float64(p.SamplesDone) / float64(rate)),
		Total: -1, Fraction: -1, Elapsed: round3(p.Elapsed.Seconds()), ETA: -1, Speed: -1}
	if e := p.Elapsed.Seconds(); e > 0 {
		ev.Speed = round3(float64(p.SamplesDone) / float64(rate) / e)
	}
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

// stemSink takes the stems of a separation at the model's rate: it counts
// them, keeps the mono mixes transcribe reads and hands them to out, which
// gives back through emit the selected stems and the residual at the
// output rate, each written to its writer.
type stemSink struct {
	out     *separator.Output
	slot    map[int]int // the separator's stem index → its slot in out's output
	slots   []int       // the slot of out's output each writer writes
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

// add makes w write slot k of out's output.
func (s *stemSink) add(k int, w stemWriter) {
	s.slots = append(s.slots, k)
	s.writers = append(s.writers, w)
}

// emit writes the output of s.out to the writers.
func (s *stemSink) emit(out [][][]float32) error {
	for i, w := range s.writers {
		if err := w.Write(out[s.slots[i]]); err != nil {
			return err
		}
	}
	return nil
}

// Write implements separator.Sink.
func (s *stemSink) Write(stems [][][]float32) error {
	if err := s.out.Write(stems); err != nil {
		return err
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
