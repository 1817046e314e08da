package job

// An Event is something a run reports while it goes: a file started,
// progressed, was done, skipped or failed, a warning, and the summary that
// ends the run. Every event is one of the struct types of this file and
// marshals with encoding/json to the line `drumsplit separate --json`
// prints (its "event" field says which); times and lengths are seconds
// rounded to the millisecond, and -1 means unknown.
//
// Run calls its emit function with each event, in order, from the
// goroutine that called Run. The events about a file (FileStarted,
// Progress, FileDone, FileFailed) name the worker that ran it and its
// device: with several workers (RunParallel) the events of files in
// flight at once interleave, and Index tells them apart.
type Event interface{ event() }

// The values of the "event" field of each event type.
const (
	KindConverting  = "converting"
	KindLoading     = "loading"
	KindFileStarted = "file_start"
	KindProgress    = "progress"
	KindFileDone    = "file_done"
	KindFileFailed  = "error"
	KindWarning     = "warning"
	KindSummary     = "summary"
)

// The Status of a FileDone.
const (
	StatusDone    = "done"    // the stems were written
	StatusSkipped = "skipped" // every stem file existed (Options.Existing is Skip)
)

// Converting: a training checkpoint is being converted to a model file
// (once: later runs load it from the cache), which runs Python and may
// take a minute. The command line emits it before Loading; Run never does.
type Converting struct {
	Kind       string `json:"event"` // KindConverting
	Checkpoint string `json:"checkpoint"`
	Config     string `json:"config"`
	Python     string `json:"python"` // the interpreter that converts it
	Cache      string `json:"cache"`  // the folder the model is kept in
}

// Loading: the model is being loaded, which may take seconds (RunBatch
// emits it before Started, when it loads a model).
type Loading struct {
	Kind      string `json:"event"` // KindLoading
	Model     string `json:"model"` // the model file's path
	ModelName string `json:"model_name"`
	Device    string `json:"device"` // the one asked for, e.g. "auto"
}

// FileStarted: the separation of a file begins (after its input was opened
// and its stem files were planned and locked).
type FileStarted struct {
	Kind       string  `json:"event"` // KindFileStarted
	File       string  `json:"file"`
	Index      int     `json:"index"` // 1-based position among the run's items
	Total      int     `json:"total"` // the run's items
	Seconds    float64 `json:"seconds"`
	SampleRate int     `json:"sample_rate"` // the input's
	// OutSampleRate is the stem files' (Options.SampleRate, else the
	// input's).
	OutSampleRate int    `json:"out_sample_rate"`
	Worker        int    `json:"worker"`           // the worker that ran it: its index among RunParallel's separators
	Device        string `json:"device,omitempty"` // the worker's device, if it says
	// Outputs are the stem files that will be written for it.
	Outputs []Output `json:"-"`
}

// Progress reports how far the separation of a file has come, after every
// batch of the separator (consumers thin them out as they like).
type Progress struct {
	Kind     string  `json:"event"` // KindProgress
	File     string  `json:"file"`
	Index    int     `json:"index"`
	Done     float64 `json:"done"`     // seconds of audio separated
	Total    float64 `json:"total"`    // seconds of audio in all, -1 if unknown
	Fraction float64 `json:"fraction"` // Done / Total, -1 if unknown
	Elapsed  float64 `json:"elapsed"`
	ETA      float64 `json:"eta"` // seconds left, -1 if unknown
	// Speed is seconds of audio separated per second (× real time), -1
	// until any time has passed.
	Speed  float64 `json:"speed"`
	Worker int     `json:"worker"`           // the worker that ran it: its index among RunParallel's separators
	Device string  `json:"device,omitempty"` // the worker's device, if it says
}

// Stem is one stem file of a FileDone.
type Stem struct {
	Stem    string `json:"stem"`
	Path    string `json:"path"`
	Clipped int64  `json:"clipped"` // samples clipped to the integer range
}

// FileDone: a file was separated (Status StatusDone) or skipped because
// its stem files exist (StatusSkipped).
type FileDone struct {
	Kind   string `json:"event"` // KindFileDone
	File   string `json:"file"`
	Index  int    `json:"index"`
	Status string `json:"status"`
	Stems  []Stem `json:"stems"` // the files written, in model order
	// MIDI is the MIDI file written (Options.MIDI), absent if none.
	MIDI    *MIDIFile `json:"midi,omitempty"`
	Seconds float64   `json:"seconds"` // audio, at the separator's rate
	Elapsed float64   `json:"elapsed"`
	RTF     float64   `json:"rtf"`              // Elapsed / Seconds
	Worker  int       `json:"worker"`           // the worker that ran it: its index among RunParallel's separators
	Device  string    `json:"device,omitempty"` // the worker's device, if it says
}

// MIDIFile is the MIDI file of a FileDone.
type MIDIFile struct {
	Path  string `json:"path"`
	Notes int    `json:"notes"` // how many notes it holds
}

// FileFailed: a file was not separated; none of its stem files was
// written (or replaced).
type FileFailed struct {
	Kind    string `json:"event"` // KindFileFailed
	File    string `json:"file,omitempty"`
	Index   int    `json:"index,omitempty"`
	Message string `json:"message"`          // Options.Message(File, Err)
	Worker  int    `json:"worker"`           // the worker that ran it: its index among RunParallel's separators
	Device  string `json:"device,omitempty"` // the worker's device, if it says
	Err     error  `json:"-"`
}

// Warning is a problem that did not stop anything.
type Warning struct {
	Kind    string `json:"event"`          // KindWarning
	File    string `json:"file,omitempty"` // the input it concerns, if any
	Message string `json:"message"`
}

// Summary ends a run.
type Summary struct {
	Kind        string  `json:"event"` // KindSummary
	Inputs      int     `json:"inputs"`
	Done        int     `json:"done"`
	Skipped     int     `json:"skipped"`
	Failed      int     `json:"failed"`
	Seconds     float64 `json:"seconds"` // audio separated
	Elapsed     float64 `json:"elapsed"`
	RTF         float64 `json:"rtf"`
	Interrupted bool    `json:"interrupted"` // the context was cancelled
}

func (Converting) event()  {}
func (Loading) event()     {}
func (FileStarted) event() {}
func (Progress) event()    {}
func (FileDone) event()    {}
func (FileFailed) event()  {}
func (Warning) event()     {}
func (Summary) event()     {}
