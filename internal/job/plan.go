package job

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/drumsplit/drumsplit/internal/tracks"
	"github.com/drumsplit/drumsplit/transcribe"
)

// Existing says what a run does with stem files that already exist.
type Existing int

const (
	// Refuse fails an input any of whose stem files exists (an *ExistsError).
	Refuse Existing = iota
	// Overwrite replaces them. The input's stem files are replaced all
	// together or not at all.
	Overwrite
	// Skip keeps them and writes the missing ones; an input whose stem files
	// all exist is skipped.
	Skip
)

// Output is one stem file planned for an input, or its MIDI file.
type Output struct {
	Stem    string // the stem's name; MIDIStem for the MIDI file
	Index   int    // the stem's index in the separator's Stems; ResidualIndex, MIDIIndex for those files
	Path    string // under Options.Out
	Existed bool   // a file was at Path when the run checked (under its lock)
}

// The {stem} of the residual Options.Residual asks for, and its Output's
// Index.
const (
	ResidualStem  = "other"
	ResidualIndex = -2
)

// The {stem} and {ext} of the MIDI file Options.MIDI asks for, and its
// Output's Index.
const (
	MIDIStem  = "drums"
	MIDIExt   = "mid"
	MIDIIndex = -1
)

// ExistsError refuses an input whose stem files exist (Options.Existing is
// Refuse).
type ExistsError struct {
	Paths []string // the existing files, in model order
}

func (e *ExistsError) Error() string {
	more := ""
	if len(e.Paths) > 1 {
		more = fmt.Sprintf(" (and %d more)", len(e.Paths)-1)
	}
	return strconv.Quote(e.Paths[0]) + " exists" + more + ": not replaced"
}

// Plan names the stem files of the input it: one per selected stem, under
// o.Out as o.Template says ({track} from it.Path, {dir} it.Dir), then,
// with o.Residual, the residual ({stem} ResidualStem), and last, with
// o.MIDI, the MIDI file (the template with {stem} MIDIStem and {ext}
// MIDIExt). It only computes names; Existed is set later, under the files'
// locks.
func Plan(it tracks.Item, stems []string, o *Options) ([]Output, error) {
	vars := tracks.Vars{Track: tracks.TrackName(it.Path), Dir: it.Dir, Ext: o.Encoding.Format, Model: o.ModelName}
	var outs []Output
	seen := map[string]bool{}
	for _, si := range o.selected(len(stems)) {
		vars.Stem = stems[si]
		rel, err := o.Template.Expand(vars)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(o.Out, rel)
		if seen[p] {
			return nil, fmt.Errorf("--filename %q gives %q for two stems", o.Template, p)
		}
		seen[p] = true
		outs = append(outs, Output{Stem: vars.Stem, Index: si, Path: p})
	}
	if o.Residual {
		vars.Stem = ResidualStem
		rel, err := o.Template.Expand(vars)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(o.Out, rel)
		if seen[p] {
			return nil, fmt.Errorf("--filename %q gives %q for a stem and the residual (a model stem named %q?)", o.Template, p, ResidualStem)
		}
		seen[p] = true
		outs = append(outs, Output{Stem: ResidualStem, Index: ResidualIndex, Path: p})
	}
	if o.MIDI {
		if !slices.ContainsFunc(stems, transcribe.Known) {
			return nil, fmt.Errorf("no MIDI file: none of the model's stems (%s) is one transcribe reads (%s)",
				strings.Join(stems, ", "), strings.Join(transcribe.StemNames, ", "))
		}
		vars.Stem, vars.Ext = MIDIStem, MIDIExt
		rel, err := o.Template.Expand(vars)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(o.Out, rel)
		if seen[p] {
			return nil, fmt.Errorf("--filename %q gives %q for a stem and the MIDI file", o.Template, p)
		}
		outs = append(outs, Output{Stem: MIDIStem, Index: MIDIIndex, Path: p})
	}
	return outs, nil
}

// check sets Existed on each output and refuses outputs that are folders or
// the input itself.
func check(input string, outs []Output) error {
	inSt, _ := os.Stat(input)
	for i := range outs {
		st, err := os.Lstat(outs[i].Path)
		if err != nil {
			continue
		}
		if st.IsDir() {
			return fmt.Errorf("%q is a folder", outs[i].Path)
		}
		if inSt != nil && os.SameFile(inSt, st) {
			return fmt.Errorf("%q is the input itself", outs[i].Path)
		}
		outs[i].Existed = true
	}
	return nil
}

// applyPolicy returns the outputs to write under policy p: none when the
// input is to be skipped.
func applyPolicy(outs []Output, p Existing) ([]Output, error) {
	var exist []string
	var missing []Output
	for _, o := range outs {
		if o.Existed {
			exist = append(exist, o.Path)
		} else {
			missing = append(missing, o)
		}
	}
	switch {
	case len(exist) == 0 || p == Overwrite:
		return outs, nil
	case p == Skip:
		return missing, nil
	}
	return nil, &ExistsError{Paths: exist}
}

// CheckOut creates the output folder if needed and checks that files can be
// created in it, so that an unusable folder is one error up front rather
// than one failure per input.
func CheckOut(dir string) error {
	if strings.TrimSpace(dir) == "" {
		return errors.New("output folder: empty name")
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return fmt.Errorf("output folder %q: is not a folder", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output folder %q: cannot create it: %w", dir, causeOf(err))
	}
	f, err := os.CreateTemp(dir, ".drumsplit-check-*")
	if err != nil {
		return fmt.Errorf("output folder %q: not writable: %w", dir, causeOf(err))
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// causeOf is an OS error without the operation and path an *fs.PathError
// adds, for messages that name the file themselves.
func causeOf(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// mkdirs creates dir and its missing parents, like os.MkdirAll, and returns
// the folders it created, outermost first, so that a failed input can remove
// them again.
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
