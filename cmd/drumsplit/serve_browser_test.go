package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// findBrowser returns Chromium's path. Without one the test is skipped,
// unless DRUMSPLIT_REQUIRE_BROWSER=1 (as `make test` sets): CI must run it.
func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("DRUMSPLIT_BROWSER"), "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("DRUMSPLIT_REQUIRE_BROWSER") == "1" {
		t.Fatal("Chromium required (DRUMSPLIT_REQUIRE_BROWSER=1) but not found: apt-get install chromium, or set DRUMSPLIT_BROWSER")
	}
	t.Skip("Chromium not found (apt-get install chromium)")
	return ""
}

// stemState is what window.drumsplit.state() says of a stem.
type stemState struct {
	Name      string   `json:"name"`
	Mute      bool     `json:"mute"`
	Solo      bool     `json:"solo"`
	Audible   bool     `json:"audible"`
	Gain      float64  `json:"gain"`
	StartedAt *float64 `json:"startedAt"`
}

// playerState is window.drumsplit.state().
type playerState struct {
	Playing      bool        `json:"playing"`
	Position     float64     `json:"position"`
	Duration     float64     `json:"duration"`
	ContextState string      `json:"contextState"`
	Stems        []stemState `json:"stems"`
	Notes        *int        `json:"notes"`
}

// TestServeBrowser drives the page in a real Chromium: upload a short file
// with the MIDI box ticked, wait for the job, then check the six players,
// the downloads, play and pause, solo and mute, and save a screenshot.
func TestServeBrowser(t *testing.T) {
	browser := findBrowser(t)
	needLib(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "groove.wav")
	writeInput(t, in, 2*44100, 44100, 3)
	s := startServe(t, []string{"TMPDIR=" + t.TempDir()}, "-m", modelPath(t, "tiny6.pt"))

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.WindowSize(1000, 1100),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()

	state := func() playerState {
		t.Helper()
		st, err := chromedp.Run(ctx, chromedp.Evaluate[playerState](`window.drumsplit.state()`))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// waitFor polls a JavaScript condition.
	waitFor := func(what, cond string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(3*time.Minute))); err != nil {
			errText, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("error").textContent + " / " + document.getElementById("status").textContent`))
			t.Fatalf("waiting for %s: %v (page says %q)\nserver: %s", what, err, errText, s.stderr)
		}
	}

	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.url+"/"),
		chromedp.WaitVisible(chromedp.ID("drop")),
		chromedp.Click(chromedp.ID("midi")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{in}),
	); err != nil {
		t.Fatal(err)
	}
	waitFor("the stems", `window.drumsplit.ready === true`)
	waitFor("the MIDI file", `window.drumsplit.state().notes !== null`)

	type page struct {
		Stems, Canvases       int
		Zip, Status, MIDILink string
		MIDIShown             bool
	}
	pg, err := chromedp.Run(ctx, chromedp.Evaluate[page](`({
		Stems: document.querySelectorAll("#stems .stem").length,
		Canvases: [...document.querySelectorAll("#stems .stem canvas")].filter(c => c.width > 0 && c.height > 0).length,
		Zip: document.getElementById("zip").href,
		Status: document.getElementById("status").textContent,
		MIDIShown: !document.getElementById("midi-view").hidden,
		MIDILink: document.getElementById("midi-link").href,
	})`))
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.WaitVisible(chromedp.ID("zip")))
	}
	if err != nil {
		t.Fatal(err)
	}
	stems, canvases, zip, status, midiShown, midiLink := pg.Stems, pg.Canvases, pg.Zip, pg.Status, pg.MIDIShown, pg.MIDILink
	if stems != 6 || canvases != 6 {
		t.Fatalf("%d stem players with %d waveforms, want 6", stems, canvases)
	}
	if !strings.HasPrefix(zip, s.url+"/api/jobs/") || !strings.HasSuffix(zip, "/zip") || status != "Done" {
		t.Errorf("zip link %q, status %q", zip, status)
	}
	if !midiShown || !strings.HasSuffix(midiLink, "/files/drums.mid") {
		t.Errorf("MIDI view shown %v, link %q", midiShown, midiLink)
	}
	// The links the page offers work.
	codes, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`Promise.all([...document.querySelectorAll("#result a.button")].map(a => fetch(a.href).then(r => r.status)))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 8 { // six stems, the zip, the MIDI file
		t.Errorf("%d download links, want 8", len(codes))
	}
	for _, c := range codes {
		if c != 200 {
			t.Errorf("download links answer %v, want 200 each", codes)
			break
		}
	}

	st := state()
	var names []string
	for _, x := range st.Stems {
		names = append(names, x.Name)
	}
	if strings.Join(names, ",") != "kick,snare,toms,hh,ride,crash" || st.Duration < 1.9 || st.Duration > 2.1 || st.Playing {
		t.Fatalf("player before play: %+v", st)
	}

	// Play: every stem starts at the same time of the audio context.
	click := func(sel string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
			t.Fatal(err)
		}
	}
	click("#play")
	waitFor("playback", `window.drumsplit.state().playing && window.drumsplit.state().position > 0`)
	st = state()
	if st.ContextState != "running" {
		t.Errorf("audio context %q while playing, want running", st.ContextState)
	}
	for _, x := range st.Stems {
		if x.StartedAt == nil || st.Stems[0].StartedAt == nil || *x.StartedAt != *st.Stems[0].StartedAt {
			t.Fatalf("stems not started together: %+v", st.Stems)
		}
	}

	// Solo the snare: only it is heard; mute the kick; then unsolo.
	gains := func(want string) {
		t.Helper()
		waitFor("gains "+want, `window.drumsplit.state().stems.map(s => s.gain).join(",") === "`+want+`"`)
	}
	click(`.stem[data-stem="snare"] button.solo`)
	gains("0,1,0,0,0,0")
	click(`.stem[data-stem="kick"] button.mute`)
	gains("0,1,0,0,0,0")
	click(`.stem[data-stem="snare"] button.solo`)
	gains("0,1,1,1,1,1")
	st = state()
	if !st.Stems[0].Mute || st.Stems[0].Audible || st.Stems[1].Solo || !st.Stems[2].Audible {
		t.Errorf("after solo, mute, unsolo: %+v", st.Stems)
	}
	pressed, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`.stem[data-stem="kick"] button.mute`), "aria-pressed"))
	if err != nil {
		t.Fatal(err)
	}
	if pressed.Value != "true" {
		t.Errorf("the kick's mute button shows aria-pressed=%q", pressed.Value)
	}
	click(`.stem[data-stem="snare"] button.solo`)
	gains("0,1,0,0,0,0")

	// Pause keeps the position.
	click("#play")
	waitFor("pause", `!window.drumsplit.state().playing`)
	if st := state(); st.Position <= 0 || st.Position > st.Duration {
		t.Errorf("paused at %v of %v", st.Position, st.Duration)
	}

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("the screenshot is not a PNG image")
	}
	shot := filepath.Join(t.TempDir(), "serve.png")
	// DRUMSPLIT_SCREENSHOT keeps a copy (a CI artefact, say).
	for _, p := range []string{shot, os.Getenv("DRUMSPLIT_SCREENSHOT")} {
		if p == "" {
			continue
		}
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))

	// Drag and drop: a file dropped on the drop zone is uploaded as a new
	// job (here the kick stem, fetched back from the server).
	first := strings.TrimPrefix(zip, s.url+"/api/jobs/")
	first = strings.TrimSuffix(first, "/zip")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`(async () => {
		const blob = await (await fetch(document.querySelector('.stem[data-stem="kick"] a').href)).blob();
		const dt = new DataTransfer();
		dt.items.add(new File([blob], "dropped.wav", { type: "audio/wav" }));
		document.getElementById("drop").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
	})()`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	waitFor("the dropped file's job", `/^#[0-9a-f]{16}$/.test(location.hash) && location.hash !== "#`+first+`" && document.getElementById("job-name").textContent === "dropped.wav"`)
	second, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.hash.slice(1)`))
	if err != nil {
		t.Fatal(err)
	}

	// Without Server-Sent Events (an old browser, a proxy that buffers
	// them) the page polls: a job's address shows the first job, done,
	// then the second, followed to its end.
	for _, id := range []string{first, second} {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`window.EventSource = undefined; location.hash = "#`+id+`"`)); err != nil {
			t.Fatal(err)
		}
		waitFor("job "+id+" by polling", `window.drumsplit.ready && window.drumsplit.job.id === "`+id+`" && document.querySelectorAll("#stems .stem").length === 6`)
	}
}
