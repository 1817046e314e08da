package main

import (
	"errors"
	"strings"

	"github.com/mewkiz/pkg/errutil"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/internal/job"
	"github.com/drumsplit/drumsplit/internal/ui"
	"github.com/drumsplit/drumsplit/torch"
)

func init() {
	// The FLAC encoder's errors would otherwise carry terminal colour codes.
	errutil.UseColor = false
}

// errorLine is the one line the command prints for err, which is about the
// input file ("" when it is about no input): every error message goes
// through here, text and --json alike. The libraries' messages are one line
// already; this adds what only the command knows (its flags) and leaves out
// what the line says already (the input's name).
func errorLine(file string, err error) string {
	msg := err.Error()
	var (
		ae *audio.Error
		ee *job.ExistsError
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
	case errors.As(err, &ee):
		msg += " (pass --overwrite to replace, --skip-existing to keep)"
	case errors.As(err, &le):
		msg = le.Reason
	}
	return ui.ShortLine(msg)
}
