package job

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/drumsplit/drumsplit/internal/tracks"
)

// ClashError refuses a run in which two inputs would write the same file:
// same-named files of different folders (a/song.wav and b/song.wav) under a
// template without {dir}. Had the run started, the second input would have
// failed after the first was separated, or with Skip been skipped as done.
type ClashError struct {
	Template string  // the --filename template
	Clashes  []Clash // every file two or more inputs would write, by first input
	dirHint  bool    // the template lacks {dir} and a clashing input came from a folder
}

// Clash is one file that more than one input would write.
type Clash struct {
	Path   string   // the output file
	Inputs []string // the inputs that would write it, in run order
}

// Error names the inputs of the first clash, the file they share and the
// way out, in one line.
func (e *ClashError) Error() string {
	c := e.Clashes[0]
	quoted := make([]string, len(c.Inputs))
	for i, in := range c.Inputs {
		quoted[i] = strconv.Quote(in)
	}
	inputs := quoted[0] + " and " + quoted[1] + " would both write"
	if len(quoted) > 2 {
		inputs = strings.Join(quoted[:len(quoted)-1], ", ") + " and " + quoted[len(quoted)-1] + " would all write"
	}
	more := ""
	if n := e.inputCount() - len(c.Inputs); n > 0 {
		more = fmt.Sprintf(" (and %d more inputs clash)", n)
	}
	fix := "rename one of them, or separate them in runs with different -o folders"
	if e.dirHint {
		fix = fmt.Sprintf("add {dir} (the input's folder) to --filename, e.g. --filename %q", "{dir}/"+e.Template)
	}
	return fmt.Sprintf("%s %s with --filename %q%s: nothing was separated; %s",
		inputs, strconv.Quote(c.Path), e.Template, more, fix)
}

// inputCount counts the distinct inputs of all clashes.
func (e *ClashError) inputCount() int {
	seen := map[string]bool{}
	for _, c := range e.Clashes {
		for _, in := range c.Inputs {
			seen[in] = true
		}
	}
	return len(seen)
}

// CheckClashes plans the files of every input of items (Plan) and returns a
// *ClashError when two inputs would write the same file, so that a run is
// refused before anything is separated or written. On macOS and Windows,
// whose file systems ignore case by default, names differing only in case
// clash too. Inputs whose files cannot be planned are left to fail in the
// run.
func CheckClashes(items []tracks.Item, stems []string, o *Options) error {
	type owner struct {
		inputs []string
		dirs   []string
		path   string
	}
	byKey := map[string]*owner{}
	var keys []string
	for _, it := range items {
		if it.Err != nil {
			continue
		}
		outs, err := Plan(it, stems, o)
		if err != nil {
			continue
		}
		for _, out := range outs {
			key := out.Path
			if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
				key = strings.ToLower(key)
			}
			w := byKey[key]
			if w == nil {
				w = &owner{path: out.Path}
				byKey[key] = w
				keys = append(keys, key)
			}
			if n := len(w.inputs); n > 0 && w.inputs[n-1] == it.Path {
				continue // two of its own files differ in case only: Plan's affair
			}
			w.inputs = append(w.inputs, it.Path)
			w.dirs = append(w.dirs, it.Dir)
		}
	}
	e := &ClashError{Template: o.Template.String()}
	for _, k := range keys {
		w := byKey[k]
		if len(w.inputs) < 2 {
			continue
		}
		e.Clashes = append(e.Clashes, Clash{Path: w.path, Inputs: w.inputs})
		for _, d := range w.dirs[1:] {
			if d != w.dirs[0] && !o.Template.Uses("dir") {
				e.dirHint = true // {dir} tells them apart
			}
		}
	}
	if len(e.Clashes) == 0 {
		return nil
	}
	return e
}
