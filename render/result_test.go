package render

import (
	"testing"
	"time"
)

func TestSetResultLine(t *testing.T) {
	r := SetResult{Tracks: 3, Seconds: 90, Elapsed: 1500 * time.Millisecond}
	if got, want := r.Line("data/train"), "rendered 3 tracks (90.0 s of audio) into data/train in 1.5 s: 60× real time"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
	if got, want := (SetResult{}).Line("d"), "rendered 0 tracks (0.0 s of audio) into d in 0.0 s: 0× real time"; got != want {
		t.Errorf("nothing rendered: %q, want %q", got, want)
	}
	one := SetResult{Tracks: 1, Seconds: 30, Elapsed: time.Second}
	if got, want := one.Line("d"), "rendered 1 track (30.0 s of audio) into d in 1.0 s: 30× real time"; got != want {
		t.Errorf("one track: %q, want %q", got, want)
	}
}
