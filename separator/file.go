package separator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/internal/tracks"
	"github.com/drumsplit/drumsplit/model"
)

// ResidualStem is the stem name of the residual FileOptions.Residual asks
// for.
const ResidualStem = "other"

// ErrNoModel is the error of SeparateFile when FileOptions.Model is empty
// and the bundled model is not found (model.FindBundled).
var ErrNoModel = errors.New("no model given and the bundled model was not found")

// FileOptions configure SeparateFile. The zero value writes every stem of
// the bundled model as a 24-bit WAV at the input's sample rate.
type FileOptions struct {
	// Model is the exported model file; "" uses the bundled model
	// (model.FindBundled). The method Separator.SeparateFile ignores it.
	Model string
	// Options say how the model runs; Separator.SeparateFile ignores them.
	Options Options
	// Encoding of the stem files; the zero value is 24-bit WAV.
	Encoding audio.Encoding
	// SampleRate of the stem files in Hz; 0 keeps the input's.
	SampleRate int
	// Stems names the stems to write, in any order (they are written in
	// the model's); nil writes them all.
	Stems []string
	// Residual also writes ResidualStem: the input minus the sum of the
	// stems written (see Output).
	Residual bool
}

// SeparateFile separates the audio file in (WAV, FLAC or MP3; mono,
// stereo or more channels, of which the first two are used; any sample
// rate) into one file per stem, outDir/<stem>.<ext>, creating outDir if
// needed, and returns the paths written, in the model's stem order with the
// residual last. It opens the model named by o.Model for this one file; to
// separate many, Open it once and call Separator.SeparateFile.
//
// Each file is written under a temporary name and renamed into place,
// replacing a file of that name, only once the whole input is separated:
// an error while reading, separating or writing leaves outDir as it was.
// (Should the final rename of one file fail, those renamed before it are
// removed again; the files they replaced are gone then.)
func SeparateFile(ctx context.Context, in, outDir string, o FileOptions) ([]string, error) {
	path := o.Model
	if path == "" {
		p, looked := model.FindBundled()
		if p == "" {
			return nil, fmt.Errorf("%w (looked for %s)", ErrNoModel, strings.Join(looked, " and "))
		}
		path = p
	}
	sep, err := Open(path, o.Options)
	if err != nil {
		return nil, err
	}
	defer sep.Close()
	return sep.SeparateFile(ctx, in, outDir, o)
}

// SeparateFile is the package's SeparateFile with s: o.Model and o.Options
// are ignored.
func (s *Separator) SeparateFile(ctx context.Context, in, outDir string, o FileOptions) ([]string, error) {
	enc := o.Encoding
	if enc == (audio.Encoding{}) {
		enc = audio.Encoding{Format: "wav", BitDepth: 24}
	}
	if err := enc.Validate(); err != nil {
		return nil, err
	}
	names := s.info.Stems
	stems, err := tracks.SelectNames(o.Stems, names)
	if err != nil {
		return nil, fmt.Errorf("selecting stems: %w", err)
	}
	if o.Residual && slices.Contains(names, ResidualStem) {
		return nil, fmt.Errorf("the model has a stem named %q: no room for the residual", ResidualStem)
	}

	rd, err := audio.Open(in)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	var ws []*audio.Writer
	var paths []string
	defer func() {
		for _, w := range ws {
			w.Abort() // removes the temporary file unless Close succeeded
		}
	}()
	out, src, err := NewOutput(audio.Stereo(rd), s.info.SampleRate, o.SampleRate, stems, o.Residual, func(out [][][]float32) error {
		for k, w := range ws {
			if err := w.Write(out[k]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", strconv.Quote(in), err)
	}
	for _, si := range stems {
		paths = append(paths, filepath.Join(outDir, names[si]+"."+enc.Format))
	}
	if o.Residual {
		paths = append(paths, filepath.Join(outDir, ResidualStem+"."+enc.Format))
	}
	for _, p := range paths {
		w, err := audio.Create(p, out.Rate(), 2, enc)
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	if err := s.Separate(ctx, src, out); err != nil {
		return nil, err
	}
	if err := out.Finish(); err != nil {
		return nil, err
	}
	for i, w := range ws {
		if err := w.Close(); err != nil {
			for _, p := range paths[:i] {
				os.Remove(p) // all or none of the new files
			}
			return nil, err
		}
	}
	return paths, nil
}
