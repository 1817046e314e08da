package render

import "fmt"

// Line is the line `drumsplit render` ends with: the tracks and seconds of
// audio rendered into dir, the time it took and how many times real time
// that is.
func (r SetResult) Line(dir string) string {
	rt := 0.0
	if r.Elapsed > 0 {
		rt = r.Seconds / r.Elapsed.Seconds()
	}
	tracks := fmt.Sprintf("%d tracks", r.Tracks)
	if r.Tracks == 1 {
		tracks = "1 track"
	}
	return fmt.Sprintf("rendered %s (%.1f s of audio) into %s in %.1f s: %.0f× real time",
		tracks, r.Seconds, dir, r.Elapsed.Seconds(), rt)
}
