package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/internal/tracks"
	"github.com/drumsplit/drumsplit/separator"
)

// runner separates the inputs of one `separate` run with one model.
type runner struct {
	cfg *separateConfig
	ui  *ui
	sep *separator.Separator

	// written maps each stem file written in this run to its input, so
	// that two inputs with the same name cannot overwrite each other's
	// stems unnoticed.
	written map[string]string

	cur *fileState // the input being separated, for progress reports
}

// fileState is what the progress reports of one input need.
type fileState struct {
	path         string
	index, total int
	rate         int
}

// stemFile is one stem file planned for an input.
type stemFile struct {
	stem    int    // index into the model's stems
	name    string // the stem's name
	path    string
	existed bool
}

// fileResult describes a separated input.
type fileResult struct {
	files   []stemFile
	clipped []int64 // per file
	seconds float64 // audio at the model's rate
	elapsed time.Duration
	skipped bool
}

// errInterrupted is returned for the input being separated when the run is
// interrupted.
var errInterrupted = errors.New("interrupted; its stems were not written")

// counts are the run's tallies.
type counts struct {
	done, skipped, failed int
	seconds               float64
}

// run processes items in order and returns the exit code.
func (r *runner) run(ctx context.Context, items []tracks.Item) int {
	start := time.Now()
	r.ui.start(r.cfg, r.sep, len(items))
	var n counts
	interrupted := false
	for i, it := range items {
		if ctx.Err() != nil {
			interrupted = true
			break
		}
		if it.Err != nil {
			n.failed++
			r.ui.fileError(it.Path, i+1, errorLine(it.Err, it.Path))
			continue
		}
		res, err := r.separateFile(ctx, it.Path, i+1, len(items))
		switch {
		case errors.Is(err, errInterrupted):
			interrupted = true
			n.failed++
			r.ui.fileError(it.Path, i+1, err.Error())
		case err != nil:
			n.failed++
			r.ui.fileError(it.Path, i+1, errorLine(err, it.Path))
		case res.skipped:
			n.skipped++
			r.ui.fileDone(it.Path, i+1, res)
		default:
			n.done++
			n.seconds += res.seconds
			r.ui.fileDone(it.Path, i+1, res)
		}
		if interrupted {
			break
		}
	}
	code := exitOK
	switch {
	case interrupted:
		code = exitInterrupted
	case n.failed > 0:
		code = exitFailed
	}
	r.ui.summary(len(items), n, time.Since(start), interrupted, code)
	return code
}

// plan names the stem files of an input and applies the overwrite policy.
// It returns the files to write (none when the input is to be skipped).
func (r *runner) plan(path string) ([]stemFile, error) {
	cfg := r.cfg
	vars := tracks.Vars{Track: tracks.TrackName(path), Ext: cfg.enc.Format, Model: cfg.modelName}
	inSt, _ := os.Stat(path)
	var files []stemFile
	seen := map[string]bool{}
	for _, si := range cfg.stems {
		vars.Stem = cfg.info.Stems[si]
		rel, err := cfg.tpl.Expand(vars)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(cfg.out, rel)
		if seen[p] {
			return nil, fmt.Errorf("--filename %q gives %s for two stems", cfg.tpl, p)
		}
		seen[p] = true
		if other, ok := r.written[p]; ok {
			return nil, fmt.Errorf("%s was already written for %s in this run (two inputs named %q? put {track} in a folder per input or rename one)",
				p, other, vars.Track)
		}
		f := stemFile{stem: si, name: vars.Stem, path: p}
		if st, err := os.Lstat(p); err == nil {
			if st.IsDir() {
				return nil, fmt.Errorf("%s is a folder", p)
			}
			if inSt != nil && os.SameFile(inSt, st) {
				return nil, fmt.Errorf("%s is the input itself", p)
			}
			f.existed = true
		}
		files = append(files, f)
	}

	var exist []string
	for _, f := range files {
		if f.existed {
			exist = append(exist, f.path)
		}
	}
	switch {
	case len(exist) == 0 || cfg.overwrite:
		return files, nil
	case cfg.skip:
		var missing []stemFile
		for _, f := range files {
			if !f.existed {
				missing = append(missing, f)
			}
		}
		return missing, nil
	}
	more := ""
	if len(exist) > 1 {
		more = fmt.Sprintf(" (and %d more)", len(exist)-1)
	}
	return nil, fmt.Errorf("%s exists%s: not replaced (pass --overwrite to replace, --skip-existing to keep)", exist[0], more)
}

// separateFile separates one input into its stem files. On any error, or
// when ctx is cancelled, every stem file of the input is aborted: none of
// them appears.
func (r *runner) separateFile(ctx context.Context, path string, index, total int) (res fileResult, err error) {
	files, err := r.plan(path)
	if err != nil {
		return res, err
	}
	if len(files) == 0 {
		res.skipped = true
		return res, nil
	}
	start := time.Now()

	rd, err := audio.Open(path)
	if err != nil {
		return res, err
	}
	defer rd.Close()
	in := rd.Info()
	if in.Frames == 0 {
		return res, errors.New("no audio in the file (0 samples)")
	}
	var chain audio.Reader = audio.Stereo(rd)
	rate := r.sep.SampleRate()
	if chain, err = audio.ResampleReader(chain, rate); err != nil {
		return res, err
	}
	src, err := separator.ReaderSource(chain)
	if err != nil {
		return res, err
	}

	sink := &stemSink{}
	var newDirs []string // folders made for this input, removed again on failure
	defer func() {
		if err != nil {
			sink.abort()
			for i := len(newDirs) - 1; i >= 0; i-- {
				os.Remove(newDirs[i]) // only if empty
			}
		}
	}()
	for _, f := range files {
		dir := filepath.Dir(f.path)
		made, err := mkdirs(dir)
		newDirs = append(newDirs, made...)
		if err != nil {
			return res, fmt.Errorf("cannot create folder %s: %s", dir, causeOf(err))
		}
		w, err := audio.Create(f.path, rate, 2, r.cfg.enc)
		if err != nil {
			return res, err
		}
		sink.add(f.stem, w)
	}

	r.cur = &fileState{path: path, index: index, total: total, rate: rate}
	frames := src.Frames()
	secs := -1.0
	if frames >= 0 {
		secs = float64(frames) / float64(rate)
	}
	r.ui.fileStart(path, index, total, secs, in.SampleRate)
	err = r.sep.Separate(ctx, src, sink)
	r.cur = nil
	r.ui.endProgress()
	switch {
	case err != nil && ctx.Err() != nil:
		return res, errInterrupted
	case err != nil:
		return res, err
	case sink.frames == 0:
		return res, errors.New("no audio in the file (0 samples)")
	}
	if err := sink.close(files); err != nil {
		return res, err
	}
	for _, f := range files {
		r.written[f.path] = path
	}
	res.files = files
	res.clipped = sink.clipped()
	res.seconds = float64(sink.frames) / float64(rate)
	res.elapsed = time.Since(start)
	return res, nil
}

// mkdirs creates dir and its missing parents, like os.MkdirAll, and
// returns the folders it created, outermost first.
func mkdirs(dir string) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	var made []string
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil && !os.IsExist(err) {
			return made, err
		} else if err == nil {
			made = append(made, missing[i])
		}
	}
	return made, nil
}

// progress receives the separator's progress reports.
func (r *runner) progress(p separator.Progress) {
	if f := r.cur; f != nil {
		r.ui.progress(f, p)
	}
}

// stemSink writes the selected stems of a separation, each to its Writer.
type stemSink struct {
	stems   []int // model stem index of each writer
	writers []*audio.Writer
	frames  int64
	closed  bool
}

func (s *stemSink) add(stem int, w *audio.Writer) {
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
	if len(stems) > 0 && len(stems[0]) > 0 {
		s.frames += int64(len(stems[0][0]))
	}
	return nil
}

// close completes every file. If one fails, the others are aborted, and
// those already renamed into place are removed again unless they replaced
// a file that existed before (which is gone either way).
func (s *stemSink) close(files []stemFile) error {
	for i, w := range s.writers {
		if err := w.Close(); err != nil {
			for j := range i {
				if !files[j].existed {
					os.Remove(files[j].path)
				}
			}
			s.abort()
			return err
		}
	}
	s.closed = true
	return nil
}

// abort removes the temporary files of every writer not closed.
func (s *stemSink) abort() {
	if s.closed {
		return
	}
	for _, w := range s.writers {
		w.Abort()
	}
}

func (s *stemSink) clipped() []int64 {
	c := make([]int64, len(s.writers))
	for i, w := range s.writers {
		c[i] = w.Clipped()
	}
	return c
}

// errorLine turns an error about input into one line for the user: the
// input's own name is not repeated, multi-line messages (libtorch's) are
// cut to their first meaningful line, and package prefixes are dropped.
func errorLine(err error, input string) string {
	msg := firstLine(err.Error())
	// The audio package names files as "audio: <file>: …"; the part
	// after the input's own name is the cause.
	if i := strings.Index(msg, "audio: "+input+": "); i >= 0 {
		return msg[i+len("audio: "+input+": "):]
	}
	for _, p := range []string{"separator: ", "torch: ", "audio: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}

// firstLine returns the line of a possibly multi-line message that says
// what went wrong: libtorch's messages start with framing ("The following
// operation failed in the TorchScript interpreter.", tracebacks) and put
// the error itself on a line such as "RuntimeError: …".
func firstLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) == 1 {
		return clip(s)
	}
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if strings.Contains(l, "Error: ") && !strings.HasPrefix(l, "File ") {
			// Keep what the first line says was being done ("run
			// forward: "), without libtorch's framing sentence.
			if k := strings.Index(lines[0], "The following operation failed"); k > 0 {
				l = strings.TrimSpace(lines[0][:k]) + " " + l
			}
			return clip(l)
		}
	}
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			return clip(l)
		}
	}
	return ""
}

// clip shortens a line to at most 300 characters.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 300 {
		return string(r[:299]) + "…"
	}
	return s
}
