package model

import (
	"errors"
	"strconv"
	"strings"
)

// Errors that say why a file is not a usable drumsplit model. ReadInfo,
// ReadInfoFrom, Parse and Validate return them wrapped in a *FormatError;
// test with errors.Is.
var (
	ErrNotRegular     = errors.New("not a regular file")
	ErrNotZip         = errors.New("not a zip archive")
	ErrNotTorchScript = errors.New("not a TorchScript archive")
	ErrNotDrumsplit   = errors.New("not a drumsplit model")
	ErrVersion        = errors.New("unsupported model format version")
	ErrMetadata       = errors.New("invalid model metadata")
	// ErrCorrupt is a model file whose bytes are not those that were
	// written: a zip record fails its CRC-32, or the tensor records fail the
	// metadata's weights_sha256.
	ErrCorrupt = errors.New("damaged model file")
)

// FormatError reports a file that is not a usable drumsplit model.
//
// Its message is one line meant for users, naming the file (quoted) when
// Path is set, so callers can print it as it is:
//
//	model "x.pt": invalid model metadata (chunk_size 4000000 is above the limit of 2097152)
//	model "x.pt" is damaged: weights checksum mismatch (re-export or re-download it)
type FormatError struct {
	Path   string // the file, or "" when the model was read from memory
	Err    error  // one of the Err… sentinels above
	Detail string // what exactly is wrong, or a hint; may be empty
}

// Error returns the one-line message: file, problem and detail.
func (e *FormatError) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString("model ")
		b.WriteString(strconv.Quote(e.Path))
	}
	if e.Err == ErrCorrupt {
		if e.Path == "" {
			b.WriteString("model")
		}
		b.WriteString(" is damaged")
		if e.Detail != "" {
			b.WriteString(": ")
			b.WriteString(e.Detail)
		}
		b.WriteString(" (re-export or re-download it)")
		return b.String()
	}
	if e.Path != "" {
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	if e.Detail != "" {
		b.WriteString(" (")
		b.WriteString(e.Detail)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the sentinel error (ErrNotZip, …).
func (e *FormatError) Unwrap() error { return e.Err }

// fileError is an I/O error while reading a model: one line naming the
// file, wrapping the OS error (errors.Is(err, fs.ErrNotExist) works).
type fileError struct {
	path string
	err  error // the OS error, without the path an *fs.PathError repeats
}

func (e *fileError) Error() string { return "model " + strconv.Quote(e.path) + ": " + e.err.Error() }
func (e *fileError) Unwrap() error { return e.err }
