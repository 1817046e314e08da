// Package serve is the web app of `drumsplit serve`: an HTTP server that
// takes uploads, separates them one at a time in arrival order with the
// model it was started with (package job), and serves a page, embedded in
// the binary, that plays the stems in sync and offers them for download.
//
// The HTTP contract:
//
//	GET  /                           the page (text/html)
//	POST /api/jobs                   multipart form: file, and optionally stems, midi, residual → 202 {"id"}
//	GET  /api/jobs/{id}              the job as JSON (View)
//	GET  /api/jobs/{id}/events       the job as Server-Sent Events, one View per change, until it ends
//	GET  /api/jobs/{id}/files/{name} one output file
//	GET  /api/jobs/{id}/zip          all output files in one zip file
//
// Every job lives in a folder of its own under the data folder, with a
// state file written atomically at every change of state, so that a server
// started again on the same folder knows its jobs: those done or failed
// stay, those queued or running are queued again.
package serve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/internal/job"
	"github.com/drumsplit/drumsplit/internal/tracks"
)

// DefaultMaxUpload is the largest upload a Config without MaxUpload takes:
// 1 GB, about 115 minutes of 24-bit stereo WAV at 48 kHz.
const DefaultMaxUpload = 1_000_000_000

// stopWait is how long Serve waits, once its context is cancelled, for the
// running job to stop. The separator stops between batches, which take a
// fraction of a second to a few seconds; `drumsplit serve` promises to stop
// within 10 s of SIGTERM.
const stopWait = 7 * time.Second

// ErrJobRunning is the error of Serve when the running job did not stop in
// the time given after its context was cancelled: it may still be using
// the separator, which must not be closed then.
var ErrJobRunning = errors.New("the running job did not stop in time")

// Config configures a Server.
type Config struct {
	// Data is the folder holding the jobs, made if missing. Jobs found
	// there are taken up again.
	Data string
	// MaxUpload is the largest file accepted, in bytes; 0 means
	// DefaultMaxUpload.
	MaxUpload int64
	// Separator separates every job: the model is chosen when the server
	// starts, never by a request.
	Separator job.Separator
	// ModelName is the {model} of stem file names (unused by the default
	// names) and is shown on the page.
	ModelName string
	// Encoding of the stem files; the zero value is 24-bit WAV.
	Encoding audio.Encoding
	// Logger receives what the server does; nil discards it.
	Logger *slog.Logger
}

// Server is the web app. It is an http.Handler; Serve also runs the jobs.
type Server struct {
	cfg   Config
	jobs  string // the folder of job folders
	stems []string
	log   *slog.Logger
	mux   *http.ServeMux
	tmpl  *tracks.Template
	wake  chan struct{} // a job was queued

	// localOnly: the listener is on the loopback, so that only requests
	// naming a loopback host are answered (see ServeHTTP).
	localOnly bool

	mu      sync.Mutex
	byID    map[string]*record
	queue   []string // ids of queued jobs, in arrival order
	seq     int64    // the Seq of the last job made
	changed chan struct{}
}

// New opens (or makes) the data folder and loads the jobs it holds.
func New(cfg Config) (*Server, error) {
	if cfg.Separator == nil {
		return nil, errors.New("serve: no separator")
	}
	if cfg.Data == "" {
		return nil, errors.New("serve: no data folder")
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = DefaultMaxUpload
	}
	if cfg.Encoding.Format == "" {
		cfg.Encoding = audio.Encoding{Format: "wav", BitDepth: 24}
	}
	tmpl, err := tracks.Parse("{stem}.{ext}")
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		jobs:    filepath.Join(cfg.Data, "jobs"),
		stems:   cfg.Separator.Stems(),
		log:     cfg.Logger,
		tmpl:    tmpl,
		wake:    make(chan struct{}, 1),
		byID:    map[string]*record{},
		changed: make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(s.jobs, 0o755); err != nil {
		return nil, fmt.Errorf("data folder %q: %w", cfg.Data, errors.Unwrap(err))
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// Serve answers requests on l and runs the queued jobs one at a time until
// ctx is cancelled; then it stops the running job, whose partial files are
// removed and which is queued again, closes every connection and returns
// nil. Any other error is the listener's.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		// Requests (an upload, an event stream) end when the server stops.
		BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.localOnly = isLoopback(l.Addr())
	served := make(chan error, 1)
	go func() { served <- hs.Serve(l) }()
	worked := make(chan struct{})
	go func() {
		defer close(worked)
		s.work(ctx)
	}()

	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
		cancel()
	}
	sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer scancel()
	if hs.Shutdown(sctx) != nil {
		hs.Close()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	select {
	case <-worked:
	case <-time.After(stopWait):
		return ErrJobRunning
	}
	return err
}

// notify wakes everyone waiting for a change of a job; s.mu is held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// work runs the queued jobs in order until ctx is cancelled.
func (s *Server) work(ctx context.Context) {
	for {
		s.mu.Lock()
		var r *record
		if len(s.queue) > 0 {
			r = s.byID[s.queue[0]]
			s.queue = s.queue[1:]
			r.State, r.progress = StateRunning, 0
			s.save(r)
			s.notify()
		}
		s.mu.Unlock()
		if r == nil {
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
				continue
			}
		}
		s.run(ctx, r)
		if ctx.Err() != nil {
			return
		}
	}
}

// run separates the input of r into its output folder.
func (s *Server) run(ctx context.Context, r *record) {
	dir := filepath.Join(s.jobs, r.ID)
	in := filepath.Join(dir, inputDir, r.Input)
	o := job.Options{
		Out:       filepath.Join(dir, outputDir),
		Template:  s.tmpl,
		Encoding:  s.cfg.Encoding,
		Stems:     r.Stems,
		ModelName: s.cfg.ModelName,
		// A job run again after a crash finds the files it committed.
		Existing: job.Overwrite,
		MIDI:     r.MIDI,
		Residual: r.Residual,
		Message:  func(_ string, err error) string { return s.message(dir, err) },
		Logger:   s.log,
	}
	var files []File
	var failure string
	emit := func(ev job.Event) {
		switch ev := ev.(type) {
		case job.Progress:
			if ev.Fraction >= 0 {
				s.setProgress(r, ev.Fraction)
			}
		case job.FileDone:
			for _, st := range ev.Stems {
				files = append(files, File{Name: filepath.Base(st.Path), Stem: st.Stem})
			}
			if ev.MIDI != nil {
				files = append(files, File{Name: filepath.Base(ev.MIDI.Path), Stem: job.MIDIStem, MIDI: true})
			}
		case job.FileFailed:
			failure = ev.Message
		case job.Warning:
			s.log.Warn(s.message(dir, errors.New(ev.Message)), "job", r.ID)
		}
	}
	s.log.Info("job started", "job", r.ID, "file", r.Name)
	sum := job.Run(ctx, s.cfg.Separator, []tracks.Item{{Path: in}}, o, emit)

	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case sum.Interrupted:
		// Taken up again when the server starts next on this folder.
		r.State, r.progress = StateQueued, 0
		s.log.Info("job interrupted", "job", r.ID)
	case sum.Failed > 0:
		r.State, r.Error = StateFailed, failure
		s.log.Info("job failed", "job", r.ID, "error", failure)
	default:
		r.State, r.Files, r.progress = StateDone, files, 1
		s.log.Info("job done", "job", r.ID, "seconds", sum.Seconds, "elapsed", sum.Elapsed)
	}
	s.save(r)
	s.notify()
}

// message is the one-line error of a job whose folder is dir, with the
// server's folders left out: the user knows the file by the name it had.
func (s *Server) message(dir string, err error) string {
	msg := err.Error()
	for _, sub := range []string{inputDir, outputDir} {
		msg = strings.ReplaceAll(msg, filepath.Join(dir, sub)+string(filepath.Separator), "")
	}
	msg = strings.ReplaceAll(msg, dir, "")
	if i := strings.IndexAny(msg, "\r\n"); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// setProgress records how far r has come. Changes under one percent
// wake no one: the page needs no more.
func (s *Server) setProgress(r *record, f float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f-r.progress < 0.01 && f < 1 {
		return
	}
	r.progress = f
	s.notify()
}

// enqueue queues r, which is new; s.mu is held.
func (s *Server) enqueue(r *record) {
	s.byID[r.ID] = r
	s.queue = append(s.queue, r.ID)
	s.notify()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// position is the place of job id in the queue, 1 for the next to run, 0
// when it is not queued; s.mu is held.
func (s *Server) position(id string) int {
	return slices.Index(s.queue, id) + 1
}

// newID returns a new random job id: 16 hex digits.
func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validID reports whether id has the form newID makes, so that no other
// text is ever joined to a folder name.
func validID(id string) bool {
	if len(id) != 16 {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
