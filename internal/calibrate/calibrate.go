// Package calibrate gathers the audio that `drumsplit export --precision
// int8` calibrates the quantised network on, and the audio it measures the
// result against fp32 on.
//
// Files are found under a folder, decoded (any format the audio package
// reads), made stereo, resampled to the model's rate and cut into the
// model's chunks; silent chunks are dropped. A folder that holds a
// "mixture" file (drumsplit render's layout, MUSDB's) contributes that file
// only: its stems alone are not what the model will hear. The chunks of
// every fourth file (the last of two or three files; every fourth chunk of a
// single file) are kept apart as the check set, so that the fidelity the
// export reports is measured on audio the calibration did not see.
package calibrate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/drumsplit/drumsplit/audio"
)

// ErrNoAudio matches the error of Collect when the folder holds too little
// usable audio.
var ErrNoAudio = errors.New("not enough audio to calibrate on")

// Defaults of Options.
const (
	// DefaultMaxChunks bounds the chunks kept, calibration and check
	// together: with the bundled model's 0.73 s chunks about 70 s of audio,
	// which is plenty for activation ranges and keeps the export to a minute
	// or two on a laptop CPU.
	DefaultMaxChunks = 96
	// DefaultMaxFileSeconds bounds what is decoded of one file.
	DefaultMaxFileSeconds = 120
	// silentRMS: chunks quieter than this (about -80 dBFS) teach nothing.
	silentRMS = 1e-4
)

// Options say how to cut the audio.
type Options struct {
	SampleRate     int     // the model's sample rate
	Chunk          int     // samples per channel of one chunk
	MaxChunks      int     // chunks kept in all; 0 is DefaultMaxChunks
	MaxFileSeconds float64 // seconds decoded per file; 0 is DefaultMaxFileSeconds
}

// Set is the audio gathered: chunks of 2 × Chunk samples, planar (left
// then right).
type Set struct {
	Calibration [][]float32
	Check       [][]float32
	Files       []string // the files used, in order
}

// Collect gathers a Set from the audio under dir. Files that are not audio
// are skipped; a file that is audio but cannot be decoded is an error, as
// is a folder without enough non-silent audio for one calibration and one
// check chunk (matching ErrNoAudio).
func Collect(dir string, o Options) (*Set, error) {
	if o.SampleRate <= 0 || o.Chunk <= 0 {
		return nil, fmt.Errorf("calibrate: sample rate %d and chunk %d must be positive", o.SampleRate, o.Chunk)
	}
	if o.MaxChunks == 0 {
		o.MaxChunks = DefaultMaxChunks
	}
	if o.MaxFileSeconds == 0 {
		o.MaxFileSeconds = DefaultMaxFileSeconds
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", strconv.Quote(dir))
	}
	files, err := audioFiles(dir)
	if err != nil {
		return nil, err
	}
	var per [][][]float32
	var used []string
	for _, f := range files {
		chunks, err := cut(f, o)
		if err != nil {
			return nil, err
		}
		if len(chunks) > 0 {
			per = append(per, chunks)
			used = append(used, f)
		}
	}
	s := split(per, o.MaxChunks)
	s.Files = used
	if len(s.Calibration) == 0 || len(s.Check) == 0 {
		return nil, fmt.Errorf("%w: %s has %d non-silent chunks of %.2f s in %d audio files, need at least 2",
			ErrNoAudio, strconv.Quote(dir), len(s.Calibration)+len(s.Check),
			float64(o.Chunk)/float64(o.SampleRate), len(used))
	}
	return s, nil
}

// audioFiles lists the audio files under dir in lexical order: every file
// the audio package can open, except that a folder with a file named
// mixture.<anything> contributes that one only. Hidden files and folders
// are skipped.
func audioFiles(dir string) ([]string, error) {
	byDir := map[string][]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			byDir[filepath.Dir(p)] = append(byDir[filepath.Dir(p)], p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, files := range byDir {
		var mix []string
		for _, f := range files {
			base := filepath.Base(f)
			if strings.TrimSuffix(base, filepath.Ext(base)) == "mixture" && isAudio(f) {
				mix = append(mix, f)
			}
		}
		if len(mix) > 0 {
			out = append(out, mix...)
			continue
		}
		for _, f := range files {
			if isAudio(f) {
				out = append(out, f)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// isAudio reports whether the file is audio to use: everything but what
// the audio package does not decode (other formats: text, images, …). A
// damaged or unreadable file counts, so that decoding it says why.
func isAudio(path string) bool {
	r, err := audio.Open(path)
	if err == nil {
		r.Close()
		return true
	}
	return !errors.Is(err, audio.ErrUnsupported) && !errors.Is(err, audio.ErrNotRegular)
}

// cut decodes path (at most o.MaxFileSeconds), resamples it to the model's
// rate and returns its non-silent whole chunks.
func cut(path string, o Options) ([][]float32, error) {
	r, err := audio.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	src := audio.Stereo(r)
	rs, err := audio.ResampleReader(src, o.SampleRate)
	if err != nil {
		return nil, err
	}
	maxFrames := int(o.MaxFileSeconds * float64(o.SampleRate))
	left := make([]float32, 0, min(maxFrames, 1<<20))
	right := make([]float32, 0, min(maxFrames, 1<<20))
	buf := [][]float32{make([]float32, 8192), make([]float32, 8192)}
	for len(left) < maxFrames {
		n, err := rs.Read(buf)
		left = append(left, buf[0][:n]...)
		right = append(right, buf[1][:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	var out [][]float32
	for s := 0; s+o.Chunk <= len(left) && s+o.Chunk <= maxFrames; s += o.Chunk {
		c := make([]float32, 2*o.Chunk)
		copy(c, left[s:s+o.Chunk])
		copy(c[o.Chunk:], right[s:s+o.Chunk])
		if rms(c) >= silentRMS {
			out = append(out, c)
		}
	}
	return out, nil
}

func rms(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

// split picks up to limit chunks spread evenly over the files and within
// each file, and sets the check chunks apart: the chunks of every fourth
// file (the last file when there are two or three), or of a single file
// every fourth chunk.
func split(per [][][]float32, limit int) *Set {
	s := &Set{}
	total := 0
	for _, c := range per {
		total += len(c)
	}
	if total == 0 {
		return s
	}
	isCheck := func(file int) bool {
		n := len(per)
		switch {
		case n == 1:
			return false
		case n < 4:
			return file == n-1
		}
		return file%4 == 3
	}
	keep := min(limit, total)
	for i, chunks := range per {
		// This file's share of keep, in proportion to its chunks (at least one).
		m := int(math.Round(float64(keep) * float64(len(chunks)) / float64(total)))
		m = min(max(m, 1), len(chunks))
		for k := 0; k < m; k++ {
			c := chunks[k*len(chunks)/m]
			switch {
			case len(per) == 1 && k%4 == 3, isCheck(i):
				s.Check = append(s.Check, c)
			default:
				s.Calibration = append(s.Calibration, c)
			}
		}
	}
	return s
}

// WriteRaw writes chunks to path as little-endian float32, one chunk after
// another (the exporter reads them as [N, 2, chunk]).
func WriteRaw(path string, chunks [][]float32) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	for _, c := range chunks {
		if err := binary.Write(f, binary.LittleEndian, c); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}
