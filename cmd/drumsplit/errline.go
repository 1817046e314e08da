package main

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mewkiz/pkg/errutil"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/internal/job"
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
	return shortLine(msg)
}

// maxLine is the length, in characters, that shortLine keeps a line to by
// shortening the file names in it.
const maxLine = 300

// shortLine makes s one line of at most about maxLine characters: control
// characters (line breaks, terminal escapes) are escaped as in Go strings,
// and if it is too long the quoted names in it (file names are always
// quoted) are cut in the middle, the longest first. The text outside quotes
// — what went wrong — is never cut.
func shortLine(s string) string {
	s = escapeControl(strings.TrimSpace(s))
	for over := utf8.RuneCountInString(s) - maxLine; over > 0; {
		start, end, name := longestQuoted(s)
		if start < 0 {
			break
		}
		keep := max(minName, utf8.RuneCountInString(name)-over)
		q := strconv.Quote(middleEllipsis(name, keep))
		over -= utf8.RuneCountInString(s[start:end]) - utf8.RuneCountInString(q)
		s = s[:start] + q + s[end:]
	}
	return s
}

// minName is the fewest characters shortLine keeps of a name.
const minName = 24

// longestQuoted finds the longest quoted string in s whose value is longer
// than minName characters and returns its bounds and value (start -1 if
// there is none).
func longestQuoted(s string) (start, end int, value string) {
	start, end = -1, -1
	best := minName
	for i := 0; i < len(s); i++ {
		if s[i] != '"' {
			continue
		}
		q, err := strconv.QuotedPrefix(s[i:])
		if err != nil {
			continue
		}
		v, _ := strconv.Unquote(q)
		if n := utf8.RuneCountInString(v); n > best {
			start, end, value, best = i, i+len(q), v, n
		}
		i += len(q) - 1
	}
	return start, end, value
}

// middleEllipsis shortens s to n characters by replacing its middle with
// "…", keeping the end (the file's own name) longer than the start.
func middleEllipsis(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	tail := (n - 1) * 2 / 3
	head := n - 1 - tail
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// escapeControl escapes the control characters of s as strconv.Quote
// would, so that a message is one line and cannot move the cursor.
func escapeControl(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
