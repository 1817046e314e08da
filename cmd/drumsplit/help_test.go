package main

import (
	"strings"
	"testing"
)

// TestHelpTexts: every help text read from help/ is there, ends without a
// newline (urfave/cli adds its own) and has all its placeholders filled.
func TestHelpTexts(t *testing.T) {
	for name, text := range map[string]string{
		"separate": separateDescription, "eval": evalDescription,
		"render": renderDescription, "transcribe": transcribeDescription,
	} {
		if len(text) < 200 || strings.HasSuffix(text, "\n") || strings.Contains(text, "{{") {
			t.Errorf("%s: help text %q", name, text)
		}
	}
	if !strings.Contains(renderDescription, "(styles: rock, ") {
		t.Errorf("render: the styles are not filled in:\n%s", renderDescription)
	}
}
