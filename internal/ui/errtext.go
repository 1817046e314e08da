package ui

import (
	"errors"
	"strings"

	"github.com/mewkiz/pkg/errutil"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/torch"
)

// ErrorText is the message of err, which is about the input file ("" when
// it is about no input), for a line that names the file itself: it leaves
// out what the line says already (the input's name in an *audio.Error),
// the source location the FLAC encoder puts in front of its errors, and a
// missing native library's search details (its Reason is the line). The
// libraries' messages are one line already; make it short with ShortLine.
func ErrorText(file string, err error) string {
	msg := err.Error()
	var (
		ae *audio.Error
		le *torch.LibraryError
		fe *errutil.ErrInfo
	)
	if errors.As(err, &fe) {
		// The FLAC encoder's errors start with its source location.
		msg = strings.Replace(msg, fe.Error(), fe.Err.Error(), 1)
	}
	switch {
	case file != "" && errors.As(err, &ae) && ae.Path == file:
		// The line names the input already.
		cause := *ae
		cause.Path = ""
		msg = cause.Error()
		if fe != nil {
			msg = strings.Replace(msg, fe.Error(), fe.Err.Error(), 1)
		}
	case errors.As(err, &le):
		msg = le.Reason
	}
	return msg
}
