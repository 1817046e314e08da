// Package tracks finds the audio files a separation run works on and names
// the files it writes for them.
//
// It holds the parts of `drumsplit separate` that are policy rather than
// wiring: which files a folder contributes (Find) and where each stem of
// each track goes (Template).
package tracks

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Extensions are the file name extensions Find collects from folders,
// matched without regard to case. Files named on the command line are taken
// whatever their extension: the decoders recognise formats by content.
var Extensions = []string{".wav", ".aif", ".aiff", ".aifc", ".flac", ".mp3"}

// ErrNoAudio is the error of an Item for a folder that holds no audio file.
var ErrNoAudio = errors.New("no .wav, .aif(f), .aifc, .flac or .mp3 file in this folder")

// IsAudioName reports whether name ends in one of Extensions, in any case.
func IsAudioName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range Extensions {
		if ext == e {
			return true
		}
	}
	return false
}

// Item is one entry of a run: a file to separate, or a problem with an
// argument or a part of a folder (Err != nil), which the run reports in
// its place.
type Item struct {
	Path string // the file (or the argument or folder Err is about)
	// Dir is the folder of a file found in a folder argument, relative to
	// that argument, with "/" separators ("live/set1" for
	// lib/live/set1/song.wav found in lib): the {dir} of Template. It is ""
	// for a file at the top of the folder and for a file named itself.
	Dir string
	Err error // why Path cannot be used; nil for a file to separate
}

// Find expands command-line arguments into the files to separate, in
// order: a file argument is taken as it is; a folder is walked recursively
// and contributes its files whose names IsAudioName accepts, sorted by path.
// Names starting with "." (hidden files and folders, editors' and our own
// temporary files) are passed over in folders, and so is every folder that
// is the same as one in skip (the output folder, so that a second run over
// "." does not separate the stems of the first).
//
// Symbolic links are followed, to files and to folders alike, as the
// arguments themselves are: a music library arranged with links (a folder
// of links to albums) is what its owner sees in a file manager. Each real
// folder is walked at most once per argument, so a link back up the tree
// (or two links to one album) neither loops nor lists a file twice; a
// broken link, or one that loops onto itself, is passed over like any
// other file that is not audio. A link to a file keeps its own name, which
// names its stems (link.wav gives the track "link").
//
// A missing argument, an unreadable folder or a folder without audio gives
// an Item with Err set rather than stopping the search; a file reached
// twice (named twice, or inside two folders named, or through a linked
// folder and its target) is listed once, under the first path found.
func Find(args []string, skip ...string) []Item {
	f := finder{seen: map[string]bool{}}
	for _, s := range skip {
		if st, err := os.Stat(s); err == nil && st.IsDir() {
			f.skip = append(f.skip, st)
		}
	}
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil {
			f.items = append(f.items, Item{Path: arg, Err: statError(err)})
			continue
		}
		if !st.IsDir() {
			f.add(Item{Path: arg}, fileKey(arg))
			continue
		}
		if f.skipped(st) {
			f.items = append(f.items, Item{Path: arg, Err: errors.New("is the output folder")})
			continue
		}
		f.walk(arg)
	}
	return f.items
}

// finder holds the state of one Find call.
type finder struct {
	skip  []os.FileInfo   // folders never walked into
	seen  map[string]bool // fileKey of every file listed
	items []Item
}

func (f *finder) skipped(st os.FileInfo) bool {
	for _, s := range f.skip {
		if os.SameFile(s, st) {
			return true
		}
	}
	return false
}

// add lists it unless a file with the same key is listed already.
func (f *finder) add(it Item, key string) {
	if !f.seen[key] {
		f.seen[key] = true
		f.items = append(f.items, it)
	}
}

// found is an audio file found in a walk, with its key for add.
type found struct{ path, key string }

// walker is the state of the walk of one folder argument.
type walker struct {
	f        *finder
	files    []found
	problems []Item
	// visited holds the real path of every folder entered, so that each
	// is read once however many links lead to it.
	visited map[string]bool
}

// walk adds the audio files of the folder root, which os.Stat found to be
// a folder (root may be a link to one).
func (f *finder) walk(root string) {
	real, err := realPath(root)
	if err == nil {
		w := &walker{f: f, visited: map[string]bool{real: true}}
		if err = w.visit(root, real); err == nil {
			sort.Slice(w.files, func(i, j int) bool { return w.files[i].path < w.files[j].path })
			for _, file := range w.files {
				f.add(Item{Path: file.path, Dir: relDir(root, file.path)}, file.key)
			}
			f.items = append(f.items, w.problems...)
			if len(w.files) == 0 && len(w.problems) == 0 {
				f.items = append(f.items, Item{Path: root, Err: ErrNoAudio})
			}
			return
		}
	}
	f.items = append(f.items, Item{Path: root, Err: statError(err)})
}

// visit collects the audio files under dir, whose real path is real.
func (w *walker) visit(dir, real string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(dir, name)
		mode := e.Type()
		switch {
		case mode.IsRegular():
			if IsAudioName(name) {
				w.files = append(w.files, found{path, filepath.Join(real, name)})
			}
		case mode.IsDir():
			if st, err := e.Info(); err == nil && w.f.skipped(st) {
				continue
			}
			w.enter(path, filepath.Join(real, name))
		default:
			// A link (or a Windows junction, or a special file): what
			// it leads to decides.
			st, err := os.Stat(path)
			switch {
			case err != nil:
				// A broken or looping link: not audio.
			case st.IsDir():
				if w.f.skipped(st) {
					continue
				}
				r, err := realPath(path)
				if err != nil {
					w.problems = append(w.problems, Item{Path: path, Err: statError(err)})
					continue
				}
				w.enter(path, r)
			case st.Mode().IsRegular() && IsAudioName(name):
				w.files = append(w.files, found{path, filepath.Join(real, name)})
			}
		}
	}
	return nil
}

// enter walks the subfolder path, whose real path is real, unless this
// walk has been there already; an unreadable folder is reported and the
// walk goes on.
func (w *walker) enter(path, real string) {
	if w.visited[real] {
		return
	}
	w.visited[real] = true
	if err := w.visit(path, real); err != nil {
		w.problems = append(w.problems, Item{Path: path, Err: statError(err)})
	}
}

// relDir is the folder of path, found by walking root, relative to root
// with "/" separators; "" at root's top.
func relDir(root, path string) string {
	rel, err := filepath.Rel(root, filepath.Dir(path))
	if err != nil || rel == "." {
		return ""
	}
	return filepath.ToSlash(rel)
}

// realPath is the absolute path of path with every link resolved: the
// same for every way of reaching one folder.
func realPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// fileKey identifies the file argument path for the listed-once rule: its
// folder's real path and its own name. The name is kept as it is (not
// resolved), since a link to a file names different stems than its target.
func fileKey(path string) string {
	if dir, err := realPath(filepath.Dir(path)); err == nil {
		return filepath.Join(dir, filepath.Base(path))
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// statError drops the path an *fs.PathError or *os.LinkError repeats,
// since the Item names the path already (and its caller quotes it once:
// a path printed as it is could hold a newline that forges a line).
func statError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, fs.ErrNotExist) {
			return errors.New("no such file or folder")
		}
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return fmt.Errorf("%s: %w", le.Op, le.Err)
	}
	return err
}
