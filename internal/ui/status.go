package ui

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// StatusEvery is how often Status redraws its line at most, besides the
// draws that are forced (a file's last report).
const StatusEvery = 100 * time.Millisecond

// Status writes lines to w (standard error) below which a status line —
// a progress bar — is drawn when w is a terminal. A line written clears
// the status line first, so that the two never tear. It is safe for
// concurrent use: log records come from any goroutine.
type Status struct {
	mu   sync.Mutex
	w    io.Writer
	tty  bool      // draw the status line
	on   bool      // a status line is drawn on the current line
	last time.Time // when it was last drawn
}

// NewStatus returns a Status writing to w; the status line is drawn only
// if tty is true (w is a terminal and the user wants it).
func NewStatus(w io.Writer, tty bool) *Status { return &Status{w: w, tty: tty} }

// Println writes one line, clearing the status line first.
func (s *Status) Println(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
	fmt.Fprintln(s.w, line)
}

// Clear removes the status line.
func (s *Status) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
}

// clear removes the status line; s.mu is held.
func (s *Status) clear() {
	if s.on {
		io.WriteString(s.w, "\r\x1b[K")
		s.on = false
	}
}

// Reset makes the next Draw draw whatever the time since the last one
// (a new file's first report).
func (s *Status) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = time.Time{}
}

// Draw replaces the status line with line(width), width being the
// terminal's columns, unless a line was drawn less than StatusEvery ago
// and force is false. It draws nothing where the status line is off.
func (s *Status) Draw(force bool, line func(width int) string) {
	if !s.tty {
		return
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !force && !s.last.IsZero() && now.Sub(s.last) < StatusEvery {
		return
	}
	s.last = now
	io.WriteString(s.w, "\r"+line(Width(s.w))+"\x1b[K")
	s.on = true
}

// Width is the number of columns of the terminal w is, 80 if w is not a
// terminal or a narrow one (20 columns or fewer).
func Width(w io.Writer) int {
	if fd, ok := w.(interface{ Fd() uintptr }); ok {
		if n, _, err := term.GetSize(int(fd.Fd())); err == nil && n > 20 {
			return n
		}
	}
	return 80
}

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// JSONLines writes values as JSON, one per line, to w (standard output).
// After a failed write (its reader has gone: a closed pipe) it writes
// nothing more; SIGPIPE ends the run. It is safe for concurrent use.
type JSONLines struct {
	mu     sync.Mutex
	w      io.Writer
	broken bool // a write failed
}

// NewJSONLines returns a JSONLines writing to w.
func NewJSONLines(w io.Writer) *JSONLines { return &JSONLines{w: w} }

// Encode writes v as one line of JSON. v must marshal: the values written
// are the commands' own event types, and one that does not is a bug.
func (j *JSONLines) Encode(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.broken {
		return
	}
	if _, err := j.w.Write(append(b, '\n')); err != nil {
		j.broken = true
	}
}
