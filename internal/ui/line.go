package ui

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLine is the length, in characters, that ShortLine keeps a line to by
// shortening the file names in it.
const MaxLine = 300

// ShortLine makes s one line of at most about MaxLine characters: control
// characters (line breaks, terminal escapes) are escaped as in Go strings,
// and if it is too long the quoted names in it (file names are always
// quoted) are cut in the middle, the longest first. The text outside quotes
// — what went wrong — is never cut.
func ShortLine(s string) string {
	s = EscapeControl(strings.TrimSpace(s))
	for over := utf8.RuneCountInString(s) - MaxLine; over > 0; {
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

// minName is the fewest characters ShortLine keeps of a name.
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

// EscapeControl escapes the control characters of s as strconv.Quote
// would, so that a message is one line and cannot move the cursor.
func EscapeControl(s string) string {
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
