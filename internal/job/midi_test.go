package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"gitlab.com/gomidi/midi/v2/smf"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/internal/tracks"
)

// hitTimes are the seconds at which writeHits puts a hit.
var hitTimes = []float64{0.25, 0.6, 1.0, 1.3, 1.75}

// writeHits writes a 2-second stereo WAV at 8000 Hz holding a decaying
// noise burst at each of hitTimes and silence between them.
func writeHits(t *testing.T, path string) {
	t.Helper()
	const rate = 8000
	rng := rand.New(rand.NewPCG(1, 2))
	d := [][]float32{make([]float32, 2*rate), make([]float32, 2*rate)}
	for _, at := range hitTimes {
		s := int(at * rate)
		for i := 0; i < rate/10 && s+i < len(d[0]); i++ {
			v := float32(0.8 * math.Exp(-float64(i)/float64(rate)*40) * (2*rng.Float64() - 1))
			d[0][s+i], d[1][s+i] = v, v
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := audio.WriteFile(path, &audio.Buffer{SampleRate: rate, Data: d}, audio.Encoding{Format: "wav", BitDepth: 16}); err != nil {
		t.Fatal(err)
	}
}

// noteOns reads a MIDI file with gomidi and returns the times of its
// note-ons, in seconds through its tempo map, and their channels.
func noteOns(t *testing.T, path string) (times []float64, chans []uint8) {
	t.Helper()
	f, err := smf.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, tr := range f.Tracks {
		var tick int64
		for _, ev := range tr {
			tick += int64(ev.Delta)
			var ch, key, vel uint8
			if ev.Message.GetNoteStart(&ch, &key, &vel) {
				times = append(times, float64(f.TimeAt(tick))/1e6)
				chans = append(chans, ch)
			}
		}
	}
	return times, chans
}

// TestRunMIDI separates with Options.MIDI: the MIDI file is written beside
// the stems, named by the template with {stem} drums and {ext} mid, holds
// one note per hit of the input on channel 10, and file_done names it.
func TestRunMIDI(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "a.wav")
	writeHits(t, in)
	o := options(t, dir)
	o.MIDI = true
	o.Stems = []int{0} // the transcription still reads every stem
	var rec recorder
	sum := Run(context.Background(), newFake(), tracks.Find([]string{in}), o, rec.emit)
	if sum.Done != 1 {
		t.Fatalf("summary %+v, failures %+v", sum, rec.failures())
	}
	if got := files(t, o.Out); !slices.Equal(got, []string{"a/drums.mid", "a/kick.wav"}) {
		t.Fatalf("files %v", got)
	}
	midi := filepath.Join(o.Out, "a", "drums.mid")
	times, chans := noteOns(t, midi)
	if len(times) < len(hitTimes) {
		t.Fatalf("%d notes at %v, want one at each of %v (or more, from several stems)", len(times), times, hitTimes)
	}
	for i, tm := range times {
		near := slices.ContainsFunc(hitTimes, func(h float64) bool { return math.Abs(tm-h) < 0.01 })
		if !near || chans[i] != 9 {
			t.Errorf("note %d at %.4f s on channel %d: want channel 10, within 10 ms of one of %v", i, tm, chans[i]+1, hitTimes)
		}
	}
	var done FileDone
	var started FileStarted
	for _, ev := range rec.evs {
		switch ev := ev.(type) {
		case FileDone:
			done = ev
		case FileStarted:
			started = ev
		}
	}
	if done.MIDI == nil || done.MIDI.Path != midi || done.MIDI.Notes != len(times) {
		t.Errorf("file_done MIDI %+v, want %s with %d notes", done.MIDI, midi, len(times))
	}
	b, _ := json.Marshal(done)
	if want := fmt.Sprintf(`"midi":{"path":%q,"notes":%d}`, midi, len(times)); !strings.Contains(string(b), want) {
		t.Errorf("file_done %s lacks %s", b, want)
	}
	if n := len(started.Outputs); n != 2 || started.Outputs[1] != (Output{Stem: MIDIStem, Index: MIDIIndex, Path: midi}) {
		t.Errorf("file_start outputs %+v", started.Outputs)
	}

	// Without --midi, file_done has no "midi".
	o.MIDI = false
	o.Existing = Overwrite
	rec = recorder{}
	Run(context.Background(), newFake(), tracks.Find([]string{in}), o, rec.emit)
	for _, ev := range rec.evs {
		if d, ok := ev.(FileDone); ok {
			if b, _ := json.Marshal(d); strings.Contains(string(b), `"midi"`) {
				t.Errorf("file_done without MIDI: %s", b)
			}
		}
	}
}

// TestRunMIDIExisting: the MIDI file follows the policy of the stem files.
func TestRunMIDIExisting(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "a.wav")
	writeHits(t, in)
	o := options(t, dir)
	o.MIDI = true
	o.Stems = []int{0, 1}
	items := tracks.Find([]string{in})
	midi := filepath.Join(o.Out, "a", "drums.mid")
	kick := filepath.Join(o.Out, "a", "kick.wav")
	snare := filepath.Join(o.Out, "a", "snare.wav")
	if err := os.MkdirAll(filepath.Dir(midi), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(midi, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}

	// Refuse: an existing MIDI file alone refuses the input.
	var rec recorder
	if sum := Run(context.Background(), newFake(), items, o, rec.emit); sum.Failed != 1 {
		t.Fatalf("refuse: %+v", sum)
	}
	var ee *ExistsError
	if f := rec.failures(); len(f) != 1 || !errors.As(f[0].Err, &ee) || !slices.Equal(ee.Paths, []string{midi}) {
		t.Errorf("refuse: failures %+v", f)
	}
	if got := files(t, o.Out); !slices.Equal(got, []string{"a/drums.mid"}) {
		t.Errorf("refuse wrote %v", got)
	}

	// Skip: the stems are written, the MIDI file kept.
	o.Existing = Skip
	if sum := Run(context.Background(), newFake(), items, o, nil); sum.Done != 1 {
		t.Fatalf("skip: %+v", sum)
	}
	if b, _ := os.ReadFile(midi); string(b) != "old" {
		t.Errorf("skip replaced the MIDI file")
	}
	// Skip with the stems there and the MIDI file missing: only the MIDI
	// file is written, the stems are left alone.
	os.Remove(midi)
	writeInput(t, kick, 10, 3)
	rec = recorder{}
	if sum := Run(context.Background(), newFake(), items, o, rec.emit); sum.Done != 1 {
		t.Fatalf("skip, MIDI missing: %+v", sum)
	}
	if b, _, _ := audio.DecodeFile(kick); b == nil || b.Frames() != 10 {
		t.Errorf("skip replaced the existing kick")
	}
	if times, _ := noteOns(t, midi); len(times) == 0 {
		t.Errorf("skip: the MIDI file written has no notes")
	}
	for _, ev := range rec.evs {
		if d, ok := ev.(FileDone); ok && (len(d.Stems) != 0 || d.MIDI == nil) {
			t.Errorf("skip, MIDI missing: file_done %+v", d)
		}
	}
	rec = recorder{}
	if sum := Run(context.Background(), newFake(), items, o, rec.emit); sum.Skipped != 1 {
		t.Fatalf("skip, all exist: %+v", sum)
	}

	// Overwrite replaces it with the stems.
	os.WriteFile(midi, []byte("old"), 0o644)
	o.Existing = Overwrite
	if sum := Run(context.Background(), newFake(), items, o, nil); sum.Done != 1 {
		t.Fatalf("overwrite: %+v", sum)
	}
	if times, _ := noteOns(t, midi); len(times) == 0 {
		t.Errorf("overwrite: no notes")
	}
	if b, _, _ := audio.DecodeFile(snare); b == nil || b.Frames() != 16000 {
		t.Errorf("overwrite: snare not written")
	}
}

// failingData is a MIDI file whose Close fails as on a full disk.
type failingData struct{ dataWriter }

func (w failingData) Close() error {
	w.dataWriter.Abort()
	return fmt.Errorf("write: %w", syscall.ENOSPC)
}

// TestRunMIDIAllOrNothing: when the MIDI file cannot be completed, the old
// stem files and MIDI file stay as they were, and when a stem file cannot,
// no MIDI file appears.
func TestRunMIDIAllOrNothing(t *testing.T) {
	for _, failMIDI := range []bool{true, false} {
		t.Run(fmt.Sprintf("midi fails %v", failMIDI), func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "a.wav")
			writeHits(t, in)
			o := options(t, dir)
			o.MIDI = true
			o.Existing = Overwrite
			kick := filepath.Join(o.Out, "a", "kick.wav")
			midi := filepath.Join(o.Out, "a", "drums.mid")
			writeInput(t, kick, 10, 3)
			fsys := osFS
			if failMIDI {
				os.WriteFile(midi, []byte("old"), 0o644)
				fsys.createFile = func(path string) (dataWriter, error) {
					w, err := createTemp(path)
					if err != nil {
						return nil, err
					}
					return failingData{w}, nil
				}
			} else {
				create := fsys.create
				fsys.create = func(path string, rate, ch int, enc audio.Encoding) (stemWriter, error) {
					w, err := create(path, rate, ch, enc)
					if err == nil && filepath.Base(path) == "hh.wav" {
						return failingWriter{w}, nil
					}
					return w, err
				}
			}
			var rec recorder
			sum := newRunner([]Separator{newFake()}, o, rec.emit, fsys).run(context.Background(), tracks.Find([]string{in}))
			if sum.Failed != 1 {
				t.Fatalf("summary %+v", sum)
			}
			if f := rec.failures(); len(f) != 1 || !strings.Contains(f[0].Message, "no space left") {
				t.Errorf("failures %+v", f)
			}
			want := []string{"kick.wav"}
			if failMIDI {
				want = []string{"drums.mid", "kick.wav"}
				if b, _ := os.ReadFile(midi); string(b) != "old" {
					t.Errorf("the old MIDI file was replaced")
				}
			}
			if got := files(t, filepath.Join(o.Out, "a")); !slices.Equal(got, want) {
				t.Errorf("files after the failed commit: %v, want %v", got, want)
			}
			if b, _, _ := audio.DecodeFile(kick); b == nil || b.Frames() != 10 {
				t.Errorf("the old kick was replaced")
			}
		})
	}
}

// TestRunMIDILocked: a MIDI file another run is writing fails the input
// before anything is written.
func TestRunMIDILocked(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "a.wav")
	writeHits(t, in)
	o := options(t, dir)
	o.MIDI = true
	midi := filepath.Join(o.Out, "a", "drums.mid")
	os.MkdirAll(filepath.Dir(midi), 0o755)
	unlock, err := lock(midi, "")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	var rec recorder
	if sum := Run(context.Background(), newFake(), tracks.Find([]string{in}), o, rec.emit); sum.Failed != 1 {
		t.Fatalf("summary %+v", sum)
	}
	if f := rec.failures(); len(f) != 1 || !strings.Contains(f[0].Message, "drums.mid") {
		t.Errorf("failures %+v", f)
	}
	if got := files(t, o.Out); !slices.Equal(got, []string{"a/.drums.mid.lock"}) { // the test's lock
		t.Errorf("files %v", got)
	}
}

// TestPlanMIDI checks the MIDI file's name and the collisions and models
// Plan refuses.
func TestPlanMIDI(t *testing.T) {
	plan := func(tpl string, stems []string, sel []int) ([]Output, error) {
		tp, err := tracks.Parse(tpl)
		if err != nil {
			t.Fatal(err)
		}
		o := Options{Out: "out", Template: tp, Encoding: audio.Encoding{Format: "flac"}, Stems: sel, MIDI: true, ModelName: "m"}
		return Plan(tracks.Item{Path: "in/song.wav"}, stems, &o)
	}
	outs, err := plan("{model}/{track}-{stem}.{ext}", []string{"kick", "snare"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 3 || outs[2] != (Output{Stem: "drums", Index: MIDIIndex, Path: filepath.Join("out", "m", "song-drums.mid")}) {
		t.Errorf("outputs %+v", outs)
	}
	// One stem and a template without {stem} or {ext}: the stem file and
	// the MIDI file would be the same.
	if _, err := plan("{track}/mix", []string{"kick", "snare"}, []int{0}); err == nil || !strings.Contains(err.Error(), "a stem and the MIDI file") {
		t.Errorf("collision: %v", err)
	}
	// A stem named drums with {ext} is no collision.
	if _, err := plan("{track}/{stem}.{ext}", []string{"drums", "kick"}, nil); err != nil {
		t.Errorf("drums.flac and drums.mid: %v", err)
	}
	if _, err := plan("{track}/{stem}.{ext}", []string{"vocals", "bass"}, nil); err == nil || !strings.Contains(err.Error(), "vocals, bass") {
		t.Errorf("no transcribable stem: %v", err)
	}
}
