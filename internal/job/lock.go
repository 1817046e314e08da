package job

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// LockedError refuses an input whose stem file another run is writing.
type LockedError struct {
	Path string // the stem file
	PID  int    // the process holding the lock, 0 if unknown
	Host string // its host, when not this one
}

func (e *LockedError) Error() string {
	who := "another drumsplit run"
	switch {
	case e.PID > 0 && e.Host != "":
		who += fmt.Sprintf(" (process %d on %s)", e.PID, e.Host)
	case e.PID > 0:
		who += fmt.Sprintf(" (process %d)", e.PID)
	}
	return fmt.Sprintf("%q is being written by %s: not touched", e.Path, who)
}

// lockName is the lock file of the stem file at path: ".<name>.lock" beside
// it, which Find passes over as a hidden file.
func lockName(path string) string {
	dir, base := filepath.Split(path)
	return filepath.Join(dir, "."+base+".lock")
}

// lock takes the lock of the stem file at path, so that two runs never
// write the same file at once: the lock file is created with O_EXCL and
// holds "<pid> <host>", and a second line "shard I/N" for a run with
// --shard (shard is "" otherwise). A lock whose process is gone (a run
// that was killed) is taken over; a live one is a *LockedError. unlock
// removes it.
//
// Whether a process on another host is gone cannot be checked, except
// for a lock of the same shard: a shard runs once at a time (a Kubernetes
// Indexed Job replaces a failed pod, on any node, only after it ended),
// so such a lock is its killed predecessor's and is taken over too.
//
// Two runs taking over the same dead lock at the same moment can both win;
// that needs a killed run and two new ones racing for its files.
func lock(path, shard string) (unlock func(), err error) {
	name := lockName(path)
	host, _ := os.Hostname()
	for range 2 {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			content := fmt.Sprintf("%d %s\n", os.Getpid(), host)
			if shard != "" {
				content += "shard " + shard + "\n"
			}
			_, werr := io.WriteString(f, content)
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				os.Remove(name)
				return nil, fmt.Errorf("cannot lock %q: %w", path, causeOf(werr))
			}
			return func() { os.Remove(name) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("cannot lock %q: %w", path, causeOf(err))
		}
		gone, live := holder(name, host, shard)
		if live != nil {
			return nil, live.withPath(path)
		}
		if !gone {
			// Its process is gone (a killed run): take it over.
			if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("cannot remove the stale lock of %q: %w", path, causeOf(err))
			}
		}
	}
	return nil, &LockedError{Path: path}
}

// lockedBy is a live lock found by holder.
type lockedBy struct {
	pid  int
	host string
}

func (l *lockedBy) withPath(path string) error {
	return &LockedError{Path: path, PID: l.pid, Host: l.host}
}

// holder reads the lock file name and reports whether it can be taken
// over: gone is true when the file no longer exists; a *lockedBy error
// means its process is alive (or cannot be checked: another host, or a lock
// still being written by a process that started after this one).
func holder(name, host, shard string) (gone bool, live *lockedBy) {
	st, err := os.Stat(name)
	if err == nil {
		var data []byte
		if data, err = os.ReadFile(name); err == nil {
			return false, parseLock(data, st.ModTime(), host, shard)
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	return false, &lockedBy{}
}

// parseLock reads a lock file's content: nil when its process is gone,
// or when it is another host's of the same shard of a run (see lock).
func parseLock(data []byte, mtime time.Time, host, shard string) *lockedBy {
	first, rest, _ := bytes.Cut(bytes.TrimSpace(data), []byte("\n"))
	lockShard, _ := strings.CutPrefix(strings.TrimSpace(string(rest)), "shard ")
	fields := strings.Fields(string(first))
	pid := 0
	if len(fields) > 0 {
		pid, _ = strconv.Atoi(fields[0])
	}
	lockHost := ""
	if len(fields) > 1 {
		lockHost = strings.Join(fields[1:], " ")
	}
	switch {
	case pid <= 0:
		// Unreadable content: a lock being written right now, unless it
		// is older than this process.
		if mtime.Before(processStart) {
			return nil
		}
		return &lockedBy{}
	case lockHost != host && shard != "" && lockShard == shard:
		return nil // this shard's killed predecessor on another host
	case lockHost != host:
		return &lockedBy{pid: pid, host: lockHost}
	case pid == os.Getpid() && mtime.Before(processStart):
		// Written before this process started: by an earlier one with the
		// same pid, as in a restarted container, where the program is
		// always process 1.
		return nil
	case processAlive(pid):
		return &lockedBy{pid: pid}
	}
	return nil
}
