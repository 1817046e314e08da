package job

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/drumsplit/drumsplit/audio"
)

// processStart is when this process started, as far as the job package
// can tell: temporary files and locks older than this are left by a run
// that is over.
var processStart = time.Now()

// pending is a file written under a temporary name: Close completes it and
// renames it into place, Abort discards it.
type pending interface {
	Close() error
	Abort() error
}

// stemWriter writes one stem file atomically (an *audio.Writer).
type stemWriter interface {
	pending
	Write(src [][]float32) error
	Clipped() int64
}

// dataWriter writes one other file (the MIDI file) atomically.
type dataWriter interface {
	pending
	io.Writer
}

// fileSystem holds the file operations that commit a stem set, so that
// tests can make any of them fail (a full disk, a vanished folder).
type fileSystem struct {
	create     func(path string, rate, channels int, enc audio.Encoding) (stemWriter, error)
	createFile func(path string) (dataWriter, error)
	rename     func(oldpath, newpath string) error
	remove     func(name string) error
}

var osFS = fileSystem{
	create: func(path string, rate, channels int, enc audio.Encoding) (stemWriter, error) {
		return audio.Create(path, rate, channels, enc)
	},
	createFile: func(path string) (dataWriter, error) { return createTemp(path) },
	rename:     os.Rename,
	remove:     os.Remove,
}

// tempFile is a file written as ".<name>.tmp-<digits>" beside its path (the
// name audio.Writer uses, so that cleanStale removes what a killed run
// left) and renamed into place by Close.
type tempFile struct {
	path string
	f    *os.File
	err  error // the first error; the temporary file is gone after it
	done bool
}

func createTemp(path string) (*tempFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("%q: cannot create it: %w", path, causeOf(err))
	}
	// CreateTemp makes the file private; an output file should be readable
	// like any other the user creates.
	_ = f.Chmod(0o644)
	return &tempFile{path: path, f: f}, nil
}

func (t *tempFile) Write(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	n, err := t.f.Write(p)
	if err != nil {
		t.fail(fmt.Errorf("%q: %w", t.path, causeOf(err)))
	}
	return n, t.err
}

// Close syncs the file, closes it and renames it to its path.
func (t *tempFile) Close() error {
	if t.err != nil || t.done {
		return t.err
	}
	t.done = true
	err := t.f.Sync()
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(t.f.Name(), t.path)
	}
	if err != nil {
		os.Remove(t.f.Name())
		t.err = fmt.Errorf("%q: %w", t.path, causeOf(err))
	}
	return t.err
}

// Abort removes the temporary file; after a successful Close it does
// nothing.
func (t *tempFile) Abort() error {
	if t.err == nil && !t.done {
		t.fail(errors.New("aborted"))
	}
	return nil
}

func (t *tempFile) fail(err error) {
	t.err = err
	t.f.Close()
	os.Remove(t.f.Name())
}

// backupName is where commit moves a file it replaces until the new set is
// in place: ".<name>.bak-<digits>" beside it.
func backupName(path string) string {
	dir, base := filepath.Split(path)
	return filepath.Join(dir, "."+base+".bak-"+strconv.FormatUint(uint64(rand.Uint32()), 10))
}

// commit completes the new stem files of one input and puts them in place,
// all or none: the files they replace are first moved aside to backup
// names, then each writer completes its file and renames it into place, and
// only then are the backups removed. If any step fails, the new files are
// removed and the backups moved back, so the folder holds the old set as it
// was. outs[i] is written by ws[i]; Existed marks the files replaced.
func (fsys fileSystem) commit(outs []Output, ws []pending) (warnings []string, err error) {
	baks := make([]string, len(outs))
	for i, o := range outs {
		if !o.Existed {
			continue
		}
		b := backupName(o.Path)
		if err := fsys.rename(o.Path, b); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed since it was planned: nothing to keep
			}
			return nil, fsys.rollback(outs, ws, baks, 0, fmt.Errorf("%q: cannot move it aside to replace it: %w", o.Path, causeOf(err)))
		}
		baks[i] = b
	}
	for i, w := range ws {
		if err := w.Close(); err != nil {
			return nil, fsys.rollback(outs, ws, baks, i, err)
		}
	}
	for i, b := range baks {
		if b == "" {
			continue
		}
		if err := fsys.remove(b); err != nil {
			warnings = append(warnings, fmt.Sprintf("%q: the file it replaced is left as %q: %v", outs[i].Path, b, causeOf(err)))
		}
	}
	return warnings, nil
}

// rollback undoes a failed commit: the writers from placed on are aborted,
// the new files before them removed and every backup moved back. cause is
// returned, with what could not be undone.
func (fsys fileSystem) rollback(outs []Output, ws []pending, baks []string, placed int, cause error) error {
	for _, w := range ws[placed:] {
		w.Abort()
	}
	var left []string
	for i := range placed {
		if baks[i] == "" {
			if err := fsys.remove(outs[i].Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				left = append(left, fmt.Sprintf("the new %q could not be removed", outs[i].Path))
			}
		}
	}
	for i, b := range baks {
		if b == "" {
			continue
		}
		if err := fsys.rename(b, outs[i].Path); err != nil {
			left = append(left, fmt.Sprintf("the old %q is left as %q", outs[i].Path, b))
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("%w (%s)", cause, strings.Join(left, "; "))
	}
	return cause
}

// cleanStale removes what an earlier run that was killed left of the stem
// file at path (whose lock is held): its temporary files
// ".<name>.tmp-<digits>" (audio.Writer's) and backups ".<name>.bak-<digits>"
// older than this process. A backup whose file is missing (the run died
// while replacing the set) is moved back instead. It returns warnings for
// what it restored or could not remove.
func (fsys fileSystem) cleanStale(path string, entries []os.DirEntry) (warnings []string) {
	dir, base := filepath.Split(path)
	for _, e := range entries {
		kind := staleKind(e.Name(), base)
		if kind == "" {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || !info.ModTime().Before(processStart) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if kind == "bak" {
			if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
				if err := fsys.rename(p, path); err == nil {
					warnings = append(warnings, fmt.Sprintf("%q: restored from %q, left by an interrupted run", path, e.Name()))
					continue
				}
			}
		}
		if err := fsys.remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			warnings = append(warnings, fmt.Sprintf("cannot remove %q, left by an earlier run: %v", p, causeOf(err)))
		}
	}
	return warnings
}

// staleKind says whether name is one of this tool's temporary files for
// the stem file named base: "tmp", "bak", or "" for any other name.
func staleKind(name, base string) string {
	for _, k := range []string{"tmp", "bak"} {
		rest, ok := strings.CutPrefix(name, "."+base+"."+k+"-")
		if ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
			return k
		}
	}
	return ""
}
