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
var Extensions = []string{".wav", ".flac", ".mp3"}

// ErrNoAudio is the error of an Item for a folder that holds no audio file.
var ErrNoAudio = errors.New("no .wav, .flac or .mp3 file in this folder")

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
	Err  error  // why Path cannot be used; nil for a file to separate
}

// Find expands command-line arguments into the files to separate, in
// order: a file argument is taken as it is; a folder is walked recursively
// and contributes its files whose names IsAudioName accepts, sorted by path.
// Names starting with "." (hidden files and folders, editors' and our own
// temporary files) are passed over in folders, and so is every folder that
// is the same as one in skip (the output folder, so that a second run over
// "." does not separate the stems of the first). Symbolic links to files
// are followed; links to folders are not, so a walk cannot loop.
//
// A missing argument, an unreadable folder or a folder without audio gives
// an Item with Err set rather than stopping the search; a file reached
// twice (named twice, or inside two folders named) is listed once.
func Find(args []string, skip ...string) []Item {
	var skipInfo []os.FileInfo
	for _, s := range skip {
		if st, err := os.Stat(s); err == nil && st.IsDir() {
			skipInfo = append(skipInfo, st)
		}
	}
	skipped := func(st os.FileInfo) bool {
		for _, s := range skipInfo {
			if os.SameFile(s, st) {
				return true
			}
		}
		return false
	}

	var items []Item
	seen := map[string]bool{}
	add := func(path string) {
		key := path
		if abs, err := filepath.Abs(path); err == nil {
			key = abs
		}
		if !seen[key] {
			seen[key] = true
			items = append(items, Item{Path: path})
		}
	}
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil {
			items = append(items, Item{Path: arg, Err: statError(err)})
			continue
		}
		if !st.IsDir() {
			add(arg)
			continue
		}
		if skipped(st) {
			items = append(items, Item{Path: arg, Err: errors.New("is the output folder")})
			continue
		}
		var files []string
		var problems []Item
		walkErr := filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				// An unreadable subfolder is reported; the walk goes on.
				if path == arg {
					return err
				}
				problems = append(problems, Item{Path: path, Err: statError(err)})
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if path != arg && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				if path != arg {
					if st, err := d.Info(); err == nil && skipped(st) {
						return fs.SkipDir
					}
				}
				return nil
			}
			if !IsAudioName(d.Name()) {
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
					return nil
				}
			} else if !d.Type().IsRegular() {
				return nil
			}
			files = append(files, path)
			return nil
		})
		if walkErr != nil {
			items = append(items, Item{Path: arg, Err: statError(walkErr)})
			continue
		}
		sort.Strings(files)
		for _, f := range files {
			add(f)
		}
		items = append(items, problems...)
		if len(files) == 0 && len(problems) == 0 {
			items = append(items, Item{Path: arg, Err: ErrNoAudio})
		}
	}
	return items
}

// statError drops the path an *fs.PathError repeats, since the Item names
// the path already.
func statError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, fs.ErrNotExist) {
			return errors.New("no such file or folder")
		}
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}
