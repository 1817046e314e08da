package audio

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Kinds of error, for errors.Is. Every error the package returns is an
// *Error; its Kind is one of these, or nil for I/O errors (whose cause the
// error wraps: errors.Is(err, fs.ErrNotExist) works) and for misuse of the
// API (a dst of the wrong shape, a Read after Close).
var (
	// ErrUnsupported: the input is valid audio in a format or variant this
	// package does not decode (ADPCM WAV, MPEG-2.5), or an output encoding
	// it cannot write.
	ErrUnsupported = errors.New("unsupported audio format")
	// ErrDamaged: the input is truncated, malformed, or holds samples that
	// are not numbers (NaN, infinity).
	ErrDamaged = errors.New("damaged audio file")
	// ErrNotRegular: the path names a directory, a named pipe, a device or
	// a socket rather than a regular file.
	ErrNotRegular = errors.New("not a regular file")
	// ErrRate: a sample rate outside MinSampleRate..MaxSampleRate.
	ErrRate = errors.New("sample rate out of range")
)

// Error is the one error type of the package. Its text is a single line
// meant for the user: the file name quoted as a Go string (so that a name
// holding a newline cannot forge a second line), then what went wrong:
//
//	"song.wav": truncated WAV data chunk
//	"in/drums.flac": open: permission denied
//	sample rate 1 Hz is not supported (1000 to 768000 Hz are)
type Error struct {
	Path string // the file, as the caller named it; "" when about no file
	Kind error  // ErrUnsupported, ErrDamaged, ErrNotRegular, ErrRate or nil
	Msg  string // what went wrong or what was being done; may be empty
	Err  error  // the underlying cause (OS, decoder library, *SampleError); may be nil
}

// Error returns the message as one line.
func (e *Error) Error() string {
	var parts []string
	if e.Path != "" {
		parts = append(parts, strconv.Quote(e.Path))
	}
	if e.Msg != "" {
		parts = append(parts, e.Msg)
	}
	if e.Err != nil {
		parts = append(parts, oneLine(e.Err.Error()))
	}
	if len(parts) == 0 || (len(parts) == 1 && e.Path != "") {
		if e.Kind != nil {
			parts = append(parts, e.Kind.Error())
		}
	}
	return strings.Join(parts, ": ")
}

// Unwrap returns the kind and the cause, so errors.Is and errors.As see
// both.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// oneLine folds a multi-line message (some libraries produce them) into one.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// errorf returns an *Error about the file name (may be "") of the given kind
// (may be nil).
func errorf(name string, kind error, format string, args ...any) error {
	return &Error{Path: name, Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// damagedf returns an ErrDamaged *Error about name.
func damagedf(name, format string, args ...any) error {
	return errorf(name, ErrDamaged, format, args...)
}

// unsupportedf returns an ErrUnsupported *Error about name.
func unsupportedf(name, format string, args ...any) error {
	return errorf(name, ErrUnsupported, format, args...)
}

// fileErr wraps err (from the OS or a library) as an *Error about name,
// removing the duplicated path that *os.PathError would add.
func fileErr(name string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return &Error{Path: name, Msg: pe.Op, Err: pe.Err}
	}
	return &Error{Path: name, Err: err}
}
