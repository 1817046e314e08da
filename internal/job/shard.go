package job

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/drumsplit/drumsplit/internal/tracks"
)

// Shard is one part of a run split over several processes or machines
// (`separate --shard I/N`): the inputs whose key hashes to Index modulo
// Count. The zero Shard (Count 0) is the whole run.
//
// An input's key is its path relative to the folder argument it was found
// in, with forward slashes ("album/03.flac" for "music/album/03.flac"
// found in "music"); for a file named as an argument, its file name. The
// key is hashed on its own, so a shard depends on nothing else: every
// machine computes the same partition whatever the folder is called or
// where it is mounted, and adding or removing an input never moves
// another one between shards.
type Shard struct {
	Index int // 0 to Count-1, as Kubernetes' JOB_COMPLETION_INDEX counts
	Count int
}

// String is the shard as --shard takes it ("" for the whole run).
func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// ParseShard reads "I/N": N at least 1 and I from 0 to N-1.
func ParseShard(v string) (Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(v), "/")
	if !ok {
		return Shard{}, fmt.Errorf("want I/N, e.g. 0/4")
	}
	var s Shard
	var err error
	if s.Index, err = strconv.Atoi(strings.TrimSpace(i)); err != nil {
		return Shard{}, fmt.Errorf("want I/N with whole numbers, e.g. 0/4")
	}
	if s.Count, err = strconv.Atoi(strings.TrimSpace(n)); err != nil {
		return Shard{}, fmt.Errorf("want I/N with whole numbers, e.g. 0/4")
	}
	switch {
	case s.Count < 1:
		return Shard{}, fmt.Errorf("the count N must be at least 1")
	case s.Index < 0 || s.Index >= s.Count:
		return Shard{}, fmt.Errorf("the index I must be from 0 to %d (N-1)", s.Count-1)
	}
	return s, nil
}

// Select returns the items of the shard, in their order. args are the
// arguments Find was given for items, which the keys are relative to.
// Items with Err (a missing argument, an unreadable folder) are shared
// out like files, so that the shards of a run together report exactly
// what the whole run would.
func (s Shard) Select(args []string, items []tracks.Item) []tracks.Item {
	if s.Count <= 1 {
		return items
	}
	var out []tracks.Item
	for _, it := range items {
		if s.Of(ShardKey(args, it.Path)) == s.Index {
			out = append(out, it)
		}
	}
	return out
}

// Of returns the shard (0 to Count-1) of an input with the given key.
func (s Shard) Of(key string) int {
	if s.Count <= 1 {
		return 0
	}
	sum := sha256.Sum256([]byte(key))
	return int(binary.BigEndian.Uint64(sum[:8]) % uint64(s.Count))
}

// ShardKey is the key of the input at path among the arguments args (see
// Shard): its path relative to the first folder argument it lies in, else
// its file name; with forward slashes on every system.
func ShardKey(args []string, path string) string {
	p := filepath.Clean(path)
	for _, a := range args {
		a = filepath.Clean(a)
		if a == p {
			continue // the argument itself: a file, or a folder's problem
		}
		if rel, err := filepath.Rel(a, p); err == nil && filepath.IsLocal(rel) && isUnder(a, p) {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.Base(p)
}

// isUnder reports whether path p lies under folder a as written (both
// relative or both absolute: Find joins the argument with the names it
// finds).
func isUnder(a, p string) bool {
	if a == "." {
		return !filepath.IsAbs(p)
	}
	return strings.HasPrefix(p, strings.TrimSuffix(a, string(filepath.Separator))+string(filepath.Separator))
}
