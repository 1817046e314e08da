package main

import (
	"errors"

	"github.com/mewkiz/pkg/errutil"

	"github.com/drumsplit/drumsplit/internal/job"
	"github.com/drumsplit/drumsplit/internal/ui"
)

func init() {
	// The FLAC encoder's errors would otherwise carry terminal colour codes.
	errutil.UseColor = false
}

// errorLine is the one line the command prints for err, which is about the
// input file ("" when it is about no input): every error message goes
// through here, text and --json alike. ui.ErrorText leaves out what the
// line says already (the input's name); this adds what only the command
// knows (its flags).
func errorLine(file string, err error) string {
	msg := ui.ErrorText(file, err)
	var ee *job.ExistsError
	if errors.As(err, &ee) {
		msg += " (pass --overwrite to replace, --skip-existing to keep)"
	}
	return ui.ShortLine(msg)
}
