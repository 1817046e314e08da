package serve

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/drumsplit/drumsplit/internal/atomicfile"
)

// The states of a job.
const (
	StateQueued  = "queued"  // waiting for the jobs before it
	StateRunning = "running" // being separated
	StateDone    = "done"    // its files are there
	StateFailed  = "failed"  // it could not be separated: see its Error
)

// The layout of a job's folder: the state file, the uploaded file in
// inputDir, the outputs in outputDir.
const (
	stateFile = "job.json"
	inputDir  = "in"
	outputDir = "out"
)

// File is one output of a job.
type File struct {
	Name string `json:"name"` // the file's name in the job's output folder
	Stem string `json:"stem"` // the stem it holds; "drums" for the MIDI file
	MIDI bool   `json:"midi,omitempty"`
	URL  string `json:"url,omitempty"` // where GET fetches it (in a View)
}

// record is a job, as its state file holds it.
type record struct {
	ID      string    `json:"id"`
	Seq     int64     `json:"seq"` // arrival order
	Created time.Time `json:"created"`
	Name    string    `json:"name"`  // the uploaded file's name
	Input   string    `json:"input"` // its name in inputDir
	Stems   []int     `json:"stems"` // indices into the separator's stems
	MIDI    bool      `json:"midi"`
	// Residual asks for "other" too: the input less the stems asked for.
	Residual bool   `json:"residual,omitempty"`
	State    string `json:"state"`
	Error    string `json:"error,omitempty"`
	Files    []File `json:"files,omitempty"`

	progress float64 // of a running job, not saved
}

// View is a job as GET /api/jobs/{id} shows it.
type View struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	State    string  `json:"state"`
	Progress float64 `json:"progress"` // 0 to 1
	// Position is the job's place in the queue: 1 for the next to run, 0
	// when it is not waiting.
	Position int      `json:"position"`
	Error    string   `json:"error"`
	Stems    []string `json:"stems"` // the stems asked for, in the model's order
	MIDI     bool     `json:"midi"`
	Residual bool     `json:"residual"`
	Files    []File   `json:"files"`
	Zip      string   `json:"zip,omitempty"` // where GET fetches all files, once done
}

// view returns the View of job id; s.mu is held.
func (s *Server) view(id string) (View, bool) {
	r, ok := s.byID[id]
	if !ok {
		return View{}, false
	}
	v := View{ID: r.ID, Name: r.Name, State: r.State, Progress: r.progress, Position: s.position(id),
		Error: r.Error, MIDI: r.MIDI, Residual: r.Residual, Files: []File{}, Stems: []string{}}
	for _, i := range r.Stems {
		v.Stems = append(v.Stems, s.stems[i])
	}
	base := "/api/jobs/" + r.ID
	for _, f := range r.Files {
		f.URL = base + "/files/" + url.PathEscape(f.Name)
		v.Files = append(v.Files, f)
	}
	if r.State == StateDone {
		v.Progress = 1
		v.Zip = base + "/zip"
	}
	return v, true
}

// save writes the state file of r atomically; s.mu is held. A failure is
// logged: the job goes on, and only a restart would not know its state.
func (s *Server) save(r *record) {
	b, err := json.MarshalIndent(r, "", "\t")
	if err == nil {
		err = atomicfile.WriteFile(filepath.Join(s.jobs, r.ID, stateFile), append(b, '\n'))
	}
	if err != nil {
		s.log.Error("cannot save the job's state", "job", r.ID, "err", err)
	}
}

// load reads the state files of the data folder. A job that was queued or
// running is queued again, in its arrival order; a folder without a state
// file is an upload the server did not finish and is removed.
func (s *Server) load() error {
	entries, err := os.ReadDir(s.jobs)
	if err != nil {
		return err
	}
	var queued []*record
	for _, e := range entries {
		if !e.IsDir() || !validID(e.Name()) {
			continue
		}
		dir := filepath.Join(s.jobs, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, stateFile))
		if os.IsNotExist(err) {
			os.RemoveAll(dir)
			continue
		}
		var r record
		if err == nil {
			err = json.Unmarshal(b, &r)
		}
		if err == nil && (r.ID != e.Name() || !s.validRecord(&r)) {
			err = errBadState
		}
		if err != nil {
			s.log.Warn("ignoring a job whose state cannot be read", "job", e.Name(), "err", err)
			continue
		}
		s.byID[r.ID] = &r
		s.seq = max(s.seq, r.Seq)
		switch r.State {
		case StateQueued, StateRunning:
			r.State = StateQueued
			queued = append(queued, &r)
		}
	}
	slices.SortFunc(queued, func(a, b *record) int { return int(a.Seq - b.Seq) })
	for _, r := range queued {
		s.queue = append(s.queue, r.ID)
	}
	if len(s.queue) > 0 {
		s.wake <- struct{}{}
	}
	return nil
}

// validRecord checks what a state file says before it is used to name
// files: it could have been edited by hand.
func (s *Server) validRecord(r *record) bool {
	switch r.State {
	case StateQueued, StateRunning, StateDone, StateFailed:
	default:
		return false
	}
	if !safeName(r.Input) {
		return false
	}
	for _, i := range r.Stems {
		if i < 0 || i >= len(s.stems) {
			return false
		}
	}
	for _, f := range r.Files {
		if !safeName(f.Name) {
			return false
		}
	}
	return true
}
