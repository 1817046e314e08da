package transcribe

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/drumsplit/drumsplit/audio"
)

// ErrStemRate is returned when stem files differ in sample rate.
var ErrStemRate = errors.New("stems differ in sample rate")

// StemFiles returns the stem files of a folder by stem name: files whose
// name without extension is a stem name (any case; "hihat" is hh, and
// "cymbals" is read too). Other files are ignored. With several files for
// one stem (kick.wav and kick.flac), the first in name order is used.
func StemFiles(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	files := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		base := strings.ToLower(strings.TrimSuffix(e.Name(), filepath.Ext(e.Name())))
		if base == "hihat" {
			base = "hh"
		}
		if _, ok := stemClass(base); !ok {
			continue
		}
		if _, dup := files[base]; !dup {
			files[base] = filepath.Join(dir, e.Name())
		}
	}
	return files, nil
}

// ReadDir reads a folder of stems as separate writes them (kick.wav,
// snare.flac, …, any subset, any format the audio package reads). It fails
// with ErrNoStems when there is none, ErrStemRate or ErrStemLength when
// they differ, naming the files.
func ReadDir(dir string) (Input, error) {
	files, err := StemFiles(dir)
	if err != nil {
		return Input{}, err
	}
	if len(files) == 0 {
		return Input{}, fmt.Errorf("%w in %q (looked for %s, any audio extension)", ErrNoStems, dir, strings.Join(StemNames, ", "))
	}
	var in Input
	var first string
	frames := 0
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return stemIndex(names[i]) < stemIndex(names[j]) })
	// Decode the files in parallel (a 5-minute stem is 100 MB of WAV:
	// decoding them one by one took longer than transcribing them), then
	// check them in stem order, so that the error named is always the same.
	bufs := make([]*audio.Buffer, len(names))
	errs := make([]error, len(names))
	parallel(len(names), func(i int) {
		bufs[i], _, errs[i] = audio.DecodeFile(files[names[i]])
	})
	for i, n := range names {
		path, b := files[n], bufs[i]
		if errs[i] != nil {
			return Input{}, errs[i]
		}
		if first == "" {
			first, in.SampleRate, frames = path, b.SampleRate, b.Frames()
		}
		if b.SampleRate != in.SampleRate {
			return Input{}, fmt.Errorf("%w: %q is %d Hz, %q %d Hz", ErrStemRate, path, b.SampleRate, first, in.SampleRate)
		}
		if b.Frames() != frames {
			return Input{}, fmt.Errorf("%w: %q has %d samples, %q %d", ErrStemLength, path, b.Frames(), first, frames)
		}
		in.Stems = append(in.Stems, Stem{Name: n, Data: b.Data})
	}
	return in, nil
}

func stemIndex(name string) int {
	for i, n := range StemNames {
		if n == name {
			return i
		}
	}
	return len(StemNames)
}
