package audio

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
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

// SampleError is the cause of the ErrDamaged *Error a decoder returns for a
// sample that is not a finite number: NaN, an infinity, or a 64-bit float
// beyond the range of float32. Such a sample would spread through every
// filter downstream and silence seconds of output around it.
type SampleError struct {
	Frame   int64   // the sample frame, counting from 0
	Channel int     // the channel, counting from 0
	Rate    int     // the sample rate, giving the time of the frame
	Value   float64 // the sample as stored
}

// Time returns the time of the sample from the start of the stream.
func (e *SampleError) Time() time.Duration {
	if e.Rate <= 0 {
		return 0
	}
	sec := e.Frame / int64(e.Rate)
	rem := e.Frame % int64(e.Rate)
	return time.Duration(sec)*time.Second + time.Duration(rem*int64(time.Second)/int64(e.Rate))
}

// Error says which sample is bad and when, counting channels from 1 as
// users do: "sample 54419 of channel 2 (at 0:01.233) is NaN; the file is
// damaged".
func (e *SampleError) Error() string {
	var what string
	switch {
	case math.IsNaN(e.Value):
		what = "NaN"
	case math.IsInf(e.Value, 1):
		what = "+Inf"
	case math.IsInf(e.Value, -1):
		what = "-Inf"
	default:
		what = fmt.Sprintf("%g, too large for audio", e.Value)
	}
	return fmt.Sprintf("sample %d of channel %d (at %s) is %s; the file is damaged",
		e.Frame, e.Channel+1, clock(e.Time()), what)
}

// clock formats d as m:ss.mmm, or h:mm:ss.mmm from an hour on.
func clock(d time.Duration) string {
	ms := d.Milliseconds()
	h, m, s := ms/3600000, ms/60000%60, ms/1000%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d.%03d", h, m, s, ms%1000)
	}
	return fmt.Sprintf("%d:%02d.%03d", m, s, ms%1000)
}
