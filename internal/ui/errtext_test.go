package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mewkiz/pkg/errutil"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/torch"
)

// TestErrorText: the input's name is left out where the line names it,
// the FLAC encoder's source location always, and a missing library is its
// reason.
func TestErrorText(t *testing.T) {
	ae := &audio.Error{Path: "in.wav", Msg: "truncated WAV data chunk"}
	for _, tc := range []struct {
		file string
		err  error
		want string
	}{
		{"in.wav", ae, "truncated WAV data chunk"},
		{"other.wav", ae, ae.Error()},
		{"", fmt.Errorf("reading: %w", ae), "reading: " + ae.Error()},
		{"", fmt.Errorf("model: %w", &torch.LibraryError{Reason: "native library not found", Detail: "dlopen: …"}), "native library not found"},
		{"", errors.New("plain"), "plain"},
	} {
		if got := ErrorText(tc.file, tc.err); got != tc.want {
			t.Errorf("ErrorText(%q, %v) = %q, want %q", tc.file, tc.err, got, tc.want)
		}
	}
	errutil.UseColor = false
	flac := fmt.Errorf("encode: %w", errutil.Err(errors.New("invalid sample rate")))
	if !strings.Contains(flac.Error(), ".go:") {
		t.Fatalf("errutil gave no source location: %q", flac)
	}
	if got := ErrorText("", flac); got != "encode: invalid sample rate" {
		t.Errorf("the FLAC encoder's error: %q (from %q)", got, flac)
	}
	inFile := &audio.Error{Path: "in.wav", Err: errutil.Err(errors.New("bad block"))}
	if got := ErrorText("in.wav", inFile); strings.Contains(got, ".go:") || !strings.Contains(got, "bad block") {
		t.Errorf("the FLAC encoder's error about the input: %q (from %q)", got, inFile)
	}
}
