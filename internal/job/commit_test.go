package job

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/internal/tracks"
)

// failingWriter is an audio.Writer whose Close fails as on a full disk.
type failingWriter struct{ stemWriter }

func (w failingWriter) Close() error {
	w.stemWriter.Abort()
	return fmt.Errorf("write: %w", syscall.ENOSPC)
}

// TestCommitAllOrNothing replaces a set of stem files with --overwrite
// while one step of the commit fails: the old set must be left exactly as
// it was, with no new, temporary or backup file beside it.
func TestCommitAllOrNothing(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fail     func(fsys *fileSystem, snare string)
		wantMsg  string
		restored bool // the old files are all back
	}{
		{"close fails", func(fsys *fileSystem, snare string) {
			create := fsys.create
			fsys.create = func(path string, rate, ch int, enc audio.Encoding) (stemWriter, error) {
				w, err := create(path, rate, ch, enc)
				if err == nil && path == snare {
					return failingWriter{w}, nil
				}
				return w, err
			}
		}, "no space left on device", true},
		{"moving aside fails", func(fsys *fileSystem, snare string) {
			fsys.rename = func(oldpath, newpath string) error {
				if oldpath == snare {
					return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: syscall.EIO}
				}
				return os.Rename(oldpath, newpath)
			}
		}, "cannot move it aside", true},
		{"restoring fails too", func(fsys *fileSystem, snare string) {
			create := fsys.create
			fsys.create = func(path string, rate, ch int, enc audio.Encoding) (stemWriter, error) {
				w, err := create(path, rate, ch, enc)
				if err == nil && path == snare {
					return failingWriter{w}, nil
				}
				return w, err
			}
			fsys.rename = func(oldpath, newpath string) error {
				if newpath == snare {
					return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: syscall.EIO}
				}
				return os.Rename(oldpath, newpath)
			}
		}, "is left as", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "a.wav")
			writeInput(t, in, 3000, 1)
			o := options(t, dir)
			o.Existing = Overwrite
			stems := newFake().stems
			old := map[string]int{} // path → frames of the old file
			for i, s := range stems {
				p := filepath.Join(o.Out, "a", s+".wav")
				writeInput(t, p, 10+i, 5)
				old[p] = 10 + i
			}
			snare := filepath.Join(o.Out, "a", "snare.wav")
			fsys := osFS
			tc.fail(&fsys, snare)
			var rec recorder
			sum := newRunner([]Separator{newFake()}, o, rec.emit, fsys).run(context.Background(), tracks.Find([]string{in}))
			if sum.Failed != 1 {
				t.Fatalf("summary %+v", sum)
			}
			if f := rec.failures(); len(f) != 1 || !strings.Contains(f[0].Message, tc.wantMsg) {
				t.Errorf("failures %+v, want %q", f, tc.wantMsg)
			}
			left := files(t, filepath.Join(o.Out, "a"))
			if tc.restored {
				if !slices.Equal(left, []string{"hh.wav", "kick.wav", "snare.wav"}) {
					t.Errorf("files after the failed commit: %v", left)
				}
			}
			for p, frames := range old {
				b, _, err := audio.DecodeFile(p)
				switch {
				case err != nil && tc.restored:
					t.Errorf("%s: %v", p, err)
				case err == nil && b.Frames() != frames:
					t.Errorf("%s has %d frames: a new file replaced the old one of %d", p, b.Frames(), frames)
				}
			}
		})
	}
}

// TestConcurrentRuns starts a second run into the same folder while the
// first is separating the same track: the second must refuse it, and the
// first must write its stems.
func TestConcurrentRuns(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "x", "take.wav")
	b := filepath.Join(dir, "y", "take.wav")
	writeInput(t, a, 3000, 1)
	writeInput(t, b, 3000, 2)
	o := options(t, dir)
	o.Existing = Overwrite // even so, a run in progress is not overwritten

	var second Summary
	var recB recorder
	first := newFake()
	first.block = func(n int) {
		if n == 1 { // the first run holds its locks: run the second now
			second = Run(context.Background(), newFake(), tracks.Find([]string{b}), o, recB.emit)
		}
	}
	sum := Run(context.Background(), first, tracks.Find([]string{a}), o, nil)
	if sum.Done != 1 {
		t.Fatalf("first run: %+v", sum)
	}
	var le *LockedError
	if f := recB.failures(); second.Failed != 1 || len(f) != 1 || !errors.As(f[0].Err, &le) || le.PID != os.Getpid() {
		t.Fatalf("second run: %+v, failures %+v: want a *LockedError naming this process", second, f)
	} else if !strings.Contains(f[0].Message, "is being written by another drumsplit run") {
		t.Errorf("message %q", f[0].Message)
	}
	got, _, err := audio.DecodeFile(filepath.Join(o.Out, "take", "kick.wav"))
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := audio.DecodeFile(a)
	if d := got.Data[0][100] - 0.25*want.Data[0][100]; d > 1.0/32768 || d < -1.0/32768 {
		t.Errorf("the stems are not the first run's")
	}
	if left := files(t, filepath.Join(o.Out, "take")); !slices.Equal(left, []string{"hh.wav", "kick.wav", "snare.wav"}) {
		t.Errorf("files %v: locks left behind?", left)
	}
}

// TestStaleLock: a lock left by a process that is gone is taken over; one
// held by a live process refuses the file.
func TestStaleLock(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "a.wav")
	writeInput(t, in, 1000, 1)
	o := options(t, dir)
	o.Stems = []int{0}
	kick := filepath.Join(o.Out, "a", "kick.wav")
	if err := os.MkdirAll(filepath.Dir(kick), 0o755); err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("no true command:", err)
	}
	host, _ := os.Hostname()
	write := func(pid int) {
		if err := os.WriteFile(lockName(kick), fmt.Appendf(nil, "%d %s\n", pid, host), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	write(os.Getppid()) // alive
	var rec recorder
	if sum := Run(context.Background(), newFake(), tracks.Find([]string{in}), o, rec.emit); sum.Failed != 1 {
		t.Fatalf("live lock: %+v", sum)
	}
	var le *LockedError
	if f := rec.failures(); !errors.As(f[0].Err, &le) || le.PID != os.Getppid() {
		t.Errorf("live lock: %+v", f)
	}

	write(dead.Process.Pid)
	if sum := Run(context.Background(), newFake(), tracks.Find([]string{in}), o, nil); sum.Done != 1 {
		t.Fatalf("dead lock: %+v", sum)
	}
	if _, err := os.Stat(lockName(kick)); err == nil {
		t.Error("the lock is left behind")
	}
}

// TestStaleTemporaryFiles: what a killed run left beside the stem files it
// was writing is removed (or, for a replaced file, moved back) by the next
// run that writes them; other files and fresh ones are not touched.
func TestStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "a.wav")
	writeInput(t, in, 1000, 1)
	o := options(t, dir)
	o.Existing = Skip
	folder := filepath.Join(o.Out, "a")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-time.Hour)
	touch := func(name string, old bool) {
		p := filepath.Join(folder, name)
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
		if old {
			if err := os.Chtimes(p, long, long); err != nil {
				t.Fatal(err)
			}
		}
	}
	touch(".kick.wav.tmp-1234567", true)                         // audio.Writer's, of a killed run
	touch(".snare.wav.tmp-42", true)                             // idem
	writeInput(t, filepath.Join(folder, ".hh.wav.bak-99"), 7, 3) // hh.wav was being replaced
	os.Chtimes(filepath.Join(folder, ".hh.wav.bak-99"), long, long)
	touch(".kick.wav.tmp-777", false)      // younger than this process: not ours to remove
	touch(".kick.wav.tmp-notdigits", true) // not our pattern
	touch(".ride.wav.tmp-1", true)         // not a stem this run writes
	touch("notes.txt", true)

	var rec recorder
	if sum := Run(context.Background(), newFake(), tracks.Find([]string{in}), o, rec.emit); sum.Done != 1 {
		t.Fatalf("%+v %+v", sum, rec.failures())
	}
	want := []string{".kick.wav.tmp-777", ".kick.wav.tmp-notdigits", ".ride.wav.tmp-1", "hh.wav", "kick.wav", "notes.txt", "snare.wav"}
	if got := files(t, folder); !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	if b, _, err := audio.DecodeFile(filepath.Join(folder, "hh.wav")); err != nil || b.Frames() != 7 {
		t.Errorf("hh.wav was not restored from its backup (and kept by --skip-existing): %v", err)
	}
	warned := false
	for _, ev := range rec.evs {
		if w, ok := ev.(Warning); ok && strings.Contains(w.Message, "restored") && w.File == in {
			warned = true
		}
	}
	if !warned {
		t.Error("no warning about the restored file")
	}
}

// TestShardLockTakeover: a lock left on another host is taken over by a
// rerun of the same shard (a retried pod on another node) and refused
// otherwise; a lock with this process's own pid (a restarted container,
// where the program is process 1 each time) is taken over when it is
// older than this process.
func TestShardLockTakeover(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "a.wav")
	writeInput(t, in, 1000, 1)
	o := options(t, dir)
	o.Stems = []int{0}
	kick := filepath.Join(o.Out, "a", "kick.wav")
	if err := os.MkdirAll(filepath.Dir(kick), 0o755); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	for _, c := range []struct {
		name    string
		content string
		shard   Shard
		taken   bool
	}{
		{"other host, no shard", "4242 elsewhere-" + host + "\n", Shard{}, false},
		{"other host, other shard", "4242 elsewhere-" + host + "\nshard 1/3\n", Shard{0, 3}, false},
		{"other host, unsharded lock", "4242 elsewhere-" + host + "\n", Shard{0, 3}, false},
		{"other host, same shard", "4242 elsewhere-" + host + "\nshard 0/3\n", Shard{0, 3}, true},
		{"this host, own pid, before this process", fmt.Sprintf("%d %s\n", os.Getpid(), host), Shard{}, true},
	} {
		os.Remove(kick)
		if err := os.WriteFile(lockName(kick), []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		old := processStart.Add(-time.Minute)
		if err := os.Chtimes(lockName(kick), old, old); err != nil {
			t.Fatal(err)
		}
		o.Shard = c.shard
		var rec recorder
		sum := Run(context.Background(), newFake(), tracks.Find([]string{in}), o, rec.emit)
		if taken := sum.Done == 1; taken != c.taken {
			t.Errorf("%s: lock taken over %v, want %v (%+v)", c.name, taken, c.taken, rec.failures())
		}
		if !c.taken {
			var le *LockedError
			if f := rec.failures(); len(f) != 1 || !errors.As(f[0].Err, &le) {
				t.Errorf("%s: failures %+v, want a LockedError", c.name, f)
			}
		} else if _, err := os.Stat(lockName(kick)); err == nil {
			t.Errorf("%s: the lock is left behind", c.name)
		}
	}
	// A run with a shard writes it in its lock.
	o.Shard = Shard{2, 5}
	unlock, err := lock(kick, o.Shard.String())
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(lockName(kick))
	unlock()
	if !strings.HasSuffix(string(data), "\nshard 2/5\n") {
		t.Errorf("lock content %q lacks the shard", data)
	}
}
