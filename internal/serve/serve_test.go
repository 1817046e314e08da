package serve

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/separator"
)

// fakeSep is a separator without a model: stem s is the input times
// (s+1)/10, written in blocks of 500 frames with a progress report after
// each. Before each block it calls block, if set, which may wait.
type fakeSep struct {
	stems []string
	block func(ctx context.Context, frames int64, n int) error

	mu     sync.Mutex
	frames []int64 // the length of each source separated, in order
}

func newFake() *fakeSep {
	return &fakeSep{stems: []string{"kick", "snare", "toms", "hh", "ride", "crash"}}
}

func (f *fakeSep) Stems() []string { return f.stems }
func (f *fakeSep) SampleRate() int { return 8000 }

func (f *fakeSep) Separate(ctx context.Context, src separator.Source, dst separator.Sink, progress func(separator.Progress)) error {
	f.mu.Lock()
	f.frames = append(f.frames, src.Frames())
	f.mu.Unlock()
	buf := [][]float32{make([]float32, 500), make([]float32, 500)}
	var done int64
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		k, err := src.Read(buf)
		if k > 0 {
			if f.block != nil {
				if err := f.block(ctx, src.Frames(), n); err != nil {
					return err
				}
			}
			out := make([][][]float32, len(f.stems))
			for s := range out {
				out[s] = [][]float32{make([]float32, k), make([]float32, k)}
				for ch := range 2 {
					for i := range k {
						out[s][ch][i] = buf[ch][i] * float32(s+1) / 10
					}
				}
			}
			if err := dst.Write(out); err != nil {
				return err
			}
			done += int64(k)
			if progress != nil {
				progress(separator.Progress{SamplesDone: done, SamplesTotal: src.Frames()})
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (f *fakeSep) separated() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.frames)
}

// server is a Server running on a local port.
type server struct {
	*Server
	url  string
	stop func() // cancels Serve and waits for it
}

func start(t *testing.T, cfg Config) *server {
	t.Helper()
	if cfg.Data == "" {
		cfg.Data = t.TempDir()
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return &server{Server: s, url: "http://" + l.Addr().String(), stop: stop}
}

// wavBytes is a WAV file of frames stereo frames at 8 kHz.
func wavBytes(t *testing.T, frames int) []byte {
	t.Helper()
	b := &audio.Buffer{SampleRate: 8000, Data: [][]float32{make([]float32, frames), make([]float32, frames)}}
	for i := range frames {
		v := float32(0.5 * math.Sin(float64(i)*0.05))
		b.Data[0][i], b.Data[1][i] = v, -v
	}
	p := filepath.Join(t.TempDir(), "in.wav")
	if _, err := audio.WriteFile(p, b, audio.Encoding{Format: "wav", BitDepth: 16}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// form is a multipart body: the file (if name is not "") and fields.
func form(t *testing.T, name string, data []byte, fields ...string) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for i := 0; i+1 < len(fields); i += 2 {
		mw.WriteField(fields[i], fields[i+1])
	}
	if name != "" {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	mw.Close()
	return &body, mw.FormDataContentType()
}

// post uploads a file and returns the status and the decoded answer.
func post(t *testing.T, s *server, name string, data []byte, fields ...string) (int, map[string]string) {
	t.Helper()
	body, ct := form(t, name, data, fields...)
	resp, err := http.Post(s.url+"/api/jobs", ct, body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, decodeMap(t, resp.Body)
}

func decodeMap(t *testing.T, r io.Reader) map[string]string {
	t.Helper()
	m := map[string]string{}
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		t.Fatalf("answer is not a JSON object of strings: %v", err)
	}
	return m
}

// submit uploads a file that must be accepted and returns the job's id.
func submit(t *testing.T, s *server, frames int, fields ...string) string {
	t.Helper()
	code, m := post(t, s, "song.wav", wavBytes(t, frames), fields...)
	if code != http.StatusAccepted || !validID(m["id"]) {
		t.Fatalf("POST /api/jobs: %d %v, want 202 and an id", code, m)
	}
	return m["id"]
}

func getJob(t *testing.T, s *server, id string) View {
	t.Helper()
	resp, err := http.Get(s.url + "/api/jobs/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET job %s: %s", id, resp.Status)
	}
	var v View
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// waitState polls job id until its state is one of states.
func waitState(t *testing.T, s *server, id string, states ...string) View {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v := getJob(t, s, id)
		if slices.Contains(states, v.State) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %s, want %v", id, v.State, states)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func get(t *testing.T, url string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

func TestPage(t *testing.T) {
	s := start(t, Config{Separator: newFake()})
	for _, c := range []struct{ path, ctype, has string }{
		{"/", "text/html", "<title>drumsplit</title>"},
		{"/assets/app.js", "javascript", "decodeAudioData"},
		{"/assets/app.css", "text/css", "@media"},
	} {
		code, body, h := get(t, s.url+c.path)
		if code != 200 || !strings.Contains(h.Get("Content-Type"), c.ctype) || !bytes.Contains(body, []byte(c.has)) {
			t.Errorf("GET %s: %d %q, want 200 %s holding %q", c.path, code, h.Get("Content-Type"), c.ctype, c.has)
		}
	}
	// The page loads nothing from elsewhere.
	_, page, _ := get(t, s.url+"/")
	if bytes.Contains(page, []byte("http://")) || bytes.Contains(page, []byte("https://")) || bytes.Contains(page, []byte("//cdn")) {
		t.Errorf("the page refers to another site:\n%s", page)
	}
	// The page knows the upload limit.
	if !bytes.Contains(page, []byte(`<body data-max-upload="1000000000" data-max-upload-text="1 GB">`)) {
		t.Errorf("the page does not carry the upload limit")
	}
	if code, _, _ := get(t, s.url+"/nothing-here"); code != http.StatusNotFound {
		t.Errorf("GET /nothing-here: %d, want 404", code)
	}
}

func TestJobDone(t *testing.T) {
	fake := newFake()
	s := start(t, Config{Separator: fake})
	id := submit(t, s, 4000, "midi", "true")
	v := waitState(t, s, id, StateDone, StateFailed)
	if v.State != StateDone || v.Progress != 1 || v.Position != 0 || v.Error != "" || v.Name != "song.wav" || !v.MIDI {
		t.Fatalf("job: %+v", v)
	}
	var names []string
	for _, f := range v.Files {
		names = append(names, f.Name)
	}
	want := []string{"kick.wav", "snare.wav", "toms.wav", "hh.wav", "ride.wav", "crash.wav", "drums.mid"}
	if !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	out := filepath.Join(s.cfg.Data, "jobs", id, outputDir)
	for i, f := range v.Files {
		code, body, h := get(t, s.url+f.URL)
		disk, err := os.ReadFile(filepath.Join(out, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if code != 200 || !bytes.Equal(body, disk) {
			t.Fatalf("GET %s: %d, %d bytes, want 200 and the %d bytes of the file", f.URL, code, len(body), len(disk))
		}
		if f.MIDI {
			if h.Get("Content-Type") != "audio/midi" || !bytes.HasPrefix(body, []byte("MThd")) {
				t.Errorf("%s: %q, want a MIDI file", f.Name, h.Get("Content-Type"))
			}
			continue
		}
		// The stem is what the fake made of the input: (i+1)/10 of it.
		rd, err := audio.NewReader(bytes.NewReader(body), f.Name)
		if err != nil {
			t.Fatal(err)
		}
		buf, err := audio.ReadAll(rd)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := peak(buf.Data[0]), 0.5*float64(i+1)/10; h.Get("Content-Type") != "audio/wav" || len(buf.Data[0]) != 4000 || math.Abs(got-want) > 1e-3 {
			t.Errorf("%s: %s, %d frames, peak %.4f; want audio/wav, 4000 frames, peak %.4f", f.Name, h.Get("Content-Type"), len(buf.Data[0]), got, want)
		}
	}

	code, body, h := get(t, s.url+v.Zip)
	if code != 200 || h.Get("Content-Type") != "application/zip" {
		t.Fatalf("GET zip: %d %q", code, h.Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	var zipped []string
	for _, zf := range zr.File {
		zipped = append(zipped, zf.Name)
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		disk, _ := os.ReadFile(filepath.Join(out, filepath.Base(zf.Name)))
		if err != nil || !bytes.Equal(got, disk) {
			t.Errorf("zip member %s differs from the file (%v)", zf.Name, err)
		}
	}
	for i := range want {
		want[i] = "song/" + want[i]
	}
	if !slices.Equal(zipped, want) {
		t.Errorf("zip holds %v, want %v", zipped, want)
	}
}

func peak(x []float32) float64 {
	m := 0.0
	for _, v := range x {
		m = max(m, math.Abs(float64(v)))
	}
	return m
}

// gate makes a fake wait, before its first block of a source of the given
// length, until the gate is opened.
type gate struct {
	frames  int64
	reached chan struct{}
	open    chan struct{}
}

func newGate(frames int64) *gate {
	return &gate{frames: frames, reached: make(chan struct{}, 1), open: make(chan struct{})}
}

func (g *gate) block(ctx context.Context, frames int64, n int) error {
	if frames != g.frames || n != 1 {
		return nil
	}
	select {
	case g.reached <- struct{}{}:
	default:
	}
	select {
	case <-g.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestQueue(t *testing.T) {
	fake := newFake()
	g := newGate(3000)
	fake.block = g.block
	s := start(t, Config{Separator: fake})
	first := submit(t, s, 3000)
	<-g.reached
	second := submit(t, s, 2000, "stems", "kick,hh")
	third := submit(t, s, 1000)
	if v := getJob(t, s, first); v.State != StateRunning || v.Position != 0 || v.Progress <= 0 || v.Progress >= 1 {
		t.Errorf("first job: %s at %d, progress %v; want running at 0, part done", v.State, v.Position, v.Progress)
	}
	for i, id := range []string{second, third} {
		if v := getJob(t, s, id); v.State != StateQueued || v.Position != i+1 || v.Progress != 0 {
			t.Errorf("job %d: %s at %d, progress %v; want queued at %d", i+2, v.State, v.Position, v.Progress, i+1)
		}
	}
	close(g.open)
	waitState(t, s, third, StateDone)
	if got := fake.separated(); !slices.Equal(got, []int64{3000, 2000, 1000}) {
		t.Errorf("separated inputs of %v frames, want the order of arrival 3000, 2000, 1000", got)
	}
	v := getJob(t, s, second)
	if len(v.Files) != 2 || v.Files[0].Name != "kick.wav" || v.Files[1].Name != "hh.wav" || !slices.Equal(v.Stems, []string{"kick", "hh"}) {
		t.Errorf("job with stems=kick,hh: %+v", v)
	}
}

func TestEvents(t *testing.T) {
	fake := newFake()
	g := newGate(4000)
	fake.block = g.block
	s := start(t, Config{Separator: fake})
	id := submit(t, s, 4000)
	<-g.reached
	resp, err := http.Get(s.url + "/api/jobs/" + id + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	var views []View
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var v View
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("event %q: %v", line, err)
		}
		views = append(views, v)
		if len(views) == 1 {
			close(g.open) // the rest comes while the stream is open
		}
	}
	// The stream ends by itself after the job's last state.
	if len(views) < 3 || views[0].State != StateRunning || views[len(views)-1].State != StateDone || len(views[len(views)-1].Files) != 6 {
		t.Fatalf("events: %+v", views)
	}
	for i := 1; i < len(views); i++ {
		if views[i].Progress < views[i-1].Progress {
			t.Errorf("progress went back: %v then %v", views[i-1].Progress, views[i].Progress)
		}
	}
}

func TestBadUploads(t *testing.T) {
	s := start(t, Config{Separator: newFake()})
	wav := wavBytes(t, 1000)
	for _, c := range []struct {
		name   string
		file   string
		data   []byte
		fields []string
		code   int
		msg    string
	}{
		{"no file", "", nil, []string{"midi", "true"}, 400, "no file"},
		{"text", "notes.txt", []byte("kick snare kick snare\n"), nil, 415, `"notes.txt"`},
		{"empty", "empty.wav", nil, nil, 415, "empty"},
		{"riff not wave", "x.wav", []byte("RIFF\x04\x00\x00\x00AVI LIST"), nil, 415, "x.wav"},
		{"bad stems", "a.wav", wav, []string{"stems", "cowbell"}, 400, `"cowbell"`},
		{"bad midi", "a.wav", wav, []string{"midi", "perhaps"}, 400, "midi"},
		{"bad residual", "a.wav", wav, []string{"residual", "maybe"}, 400, "residual"},
		{"long field", "a.wav", wav, []string{"stems", strings.Repeat("kick,", 1000)}, 400, "too long"},
	} {
		code, m := post(t, s, c.file, c.data, c.fields...)
		if code != c.code || !strings.Contains(m["error"], c.msg) || strings.ContainsAny(m["error"], "\n") || strings.Contains(m["error"], s.cfg.Data) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, code, m["error"], c.code, c.msg)
		}
	}
	// Not multipart at all; two files.
	resp, err := http.Post(s.url+"/api/jobs", "application/octet-stream", bytes.NewReader(wav))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("raw body: %d, want 400", resp.StatusCode)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for range 2 {
		fw, _ := mw.CreateFormFile("file", "a.wav")
		fw.Write(wav)
	}
	mw.Close()
	resp, err = http.Post(s.url+"/api/jobs", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("two files: %d, want 400", resp.StatusCode)
	}
	// A page elsewhere cannot queue jobs.
	b, ct := form(t, "a.wav", wav)
	req, _ := http.NewRequest("POST", s.url+"/api/jobs", b)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Origin", "http://evil.example")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin upload: %d, want 403", resp.StatusCode)
	}
	noJobs(t, s)
}

// noJobs checks that no refused upload left a job or a file behind.
func noJobs(t *testing.T, s *server) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.cfg.Data, "jobs"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("refused uploads left %d entries in the data folder", len(entries))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byID) != 0 {
		t.Errorf("refused uploads made %d jobs", len(s.byID))
	}
}

func TestUploadTooLarge(t *testing.T) {
	const limit = 20000
	s := start(t, Config{Separator: newFake(), MaxUpload: limit})
	small := wavBytes(t, 4000) // 16044 bytes
	if code, m := post(t, s, "small.wav", small); code != http.StatusAccepted {
		t.Fatalf("upload under the limit: %d %v", code, m)
	}
	big := wavBytes(t, 6000) // 24044 bytes: over the limit, under the slack for the form
	if code, m := post(t, s, "big.wav", big); code != http.StatusRequestEntityTooLarge || !strings.Contains(m["error"], "20 kB") {
		t.Errorf("upload over the limit: %d %v, want 413 naming the limit", code, m)
	}
	// A body announced too long is refused before it is read; one of
	// unknown length is cut at the limit.
	huge := make([]byte, limit+2*multipartSlack)
	copy(huge, big)
	for _, chunked := range []bool{false, true} {
		body, ct := form(t, "huge.wav", huge)
		var r io.Reader = body
		if chunked {
			r = io.MultiReader(body) // hides the length: sent chunked
		}
		resp, err := http.Post(s.url+"/api/jobs", ct, r)
		if err != nil {
			t.Fatalf("chunked %v: %v", chunked, err)
		}
		m := decodeMap(t, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked %v: %d %v, want 413", chunked, resp.StatusCode, m)
		}
	}
	s.mu.Lock()
	n := len(s.byID)
	s.mu.Unlock()
	entries, _ := os.ReadDir(filepath.Join(s.cfg.Data, "jobs"))
	if n != 1 || len(entries) != 1 {
		t.Errorf("%d jobs, %d job folders; want only the small upload's", n, len(entries))
	}
}

// floatWAV is a 32-bit float stereo WAV file at 8 kHz whose frame nan
// holds NaN: its header is sound, its samples are not.
func floatWAV(frames, nan int) []byte {
	var data bytes.Buffer
	for i := range frames {
		v := float32(0.25)
		if i == nan {
			v = float32(math.NaN())
		}
		binary.Write(&data, binary.LittleEndian, [2]float32{v, v})
	}
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(4+8+16+8+data.Len()))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, struct {
		Size                   uint32
		Format, Channels       uint16
		Rate, ByteRate         uint32
		BlockAlign, SampleBits uint16
	}{16, 3, 2, 8000, 8000 * 8, 8, 32})
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(data.Len()))
	b.Write(data.Bytes())
	return b.Bytes()
}

// TestJobFails: a file that looks like audio but is damaged is refused
// at once when its header shows it (415), else its job fails with one
// line that names the upload and not the server's folders.
func TestJobFails(t *testing.T) {
	s := start(t, Config{Separator: newFake()})
	wav := wavBytes(t, 8000)
	if code, m := post(t, s, "cut.wav", wav[:100]); code != http.StatusUnsupportedMediaType || !strings.Contains(m["error"], `"cut.wav"`) {
		t.Errorf("a cut WAV file: %d %q, want 415 naming \"cut.wav\"", code, m["error"])
	}
	code, m := post(t, s, "nan.wav", floatWAV(8000, 6000))
	if code != http.StatusAccepted {
		t.Fatalf("%d %v", code, m)
	}
	v := waitState(t, s, m["id"], StateDone, StateFailed)
	if v.State != StateFailed || !strings.Contains(v.Error, `"nan.wav"`) || strings.Contains(v.Error, s.cfg.Data) || strings.ContainsAny(v.Error, "\r\n") {
		t.Fatalf("job: %s %q, want failed with one line naming \"nan.wav\" only", v.State, v.Error)
	}
	if code, _, _ := get(t, s.url+"/api/jobs/"+v.ID+"/zip"); code != http.StatusNotFound {
		t.Errorf("zip of a failed job: %d, want 404", code)
	}
	if code, _, _ := get(t, s.url+"/api/jobs/"+v.ID+"/files/kick.wav"); code != http.StatusNotFound {
		t.Errorf("a file of a failed job: %d, want 404", code)
	}
	if entries, _ := os.ReadDir(filepath.Join(s.cfg.Data, "jobs", v.ID, outputDir)); len(entries) != 0 {
		t.Errorf("a failed job left %d files", len(entries))
	}
}

// rawGet sends path exactly as given, which http.Get would not.
func rawGet(t *testing.T, s *server, path string) (int, string) {
	t.Helper()
	return rawGetHost(t, s, path, strings.TrimPrefix(s.url, "http://"))
}

// rawGetHost is rawGet with the given Host header.
func rawGetHost(t *testing.T, s *server, path, host string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%q: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPathTraversal(t *testing.T) {
	s := start(t, Config{Separator: newFake()})
	id := submit(t, s, 1000)
	waitState(t, s, id, StateDone)
	// Files outside the job's output folder that must never be served:
	// its state file, its upload, and a secret beside the data folder.
	secret := "TOP-SECRET-" + id
	if err := os.WriteFile(filepath.Join(s.cfg.Data, "secret.txt"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.cfg.Data, "jobs", id, outputDir, "extra.txt"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	base := "/api/jobs/" + id
	if code, _ := rawGet(t, s, base+"/files/kick.wav"); code != 200 {
		t.Fatalf("the legitimate file: %d", code)
	}
	for _, p := range []string{
		base + "/files/../job.json",
		base + "/files/../../secret.txt",
		base + "/files/..%2fjob.json",
		base + "/files/..%2F..%2Fsecret.txt",
		base + "/files/%2e%2e/job.json",
		base + "/files/%2e%2e%2fjob.json",
		base + "/files/%2E%2E%2F%2E%2E%2Fsecret.txt",
		base + "/files/..",
		base + "/files/%2e%2e",
		base + "/files/.",
		base + "/files/",
		base + "/files//etc/passwd",
		base + "/files/%2fetc%2fpasswd",
		base + "/files/..\\job.json",
		base + "/files/..%5cjob.json",
		base + "/files/%5c..%5c..%5csecret.txt",
		base + "/files/kick.wav%00",
		base + "/files/kick.wav%00.txt",
		base + "/files/%00",
		base + "/files/in%2fsong.wav",
		base + "/files/job.json",
		base + "/files/extra.txt",
		base + "/files/song.wav",
		base + "/files/kick.wav/",
		base + "/files/kick.wav/..",
		base + "/files/./kick.wav/../../job.json",
		base + "/files/%252e%252e%252fjob.json",
		base + "/files/..%c0%afjob.json",
		"/api/jobs/../jobs/" + id + "/files/kick.wav/../../../secret.txt",
		"/api/jobs/..%2f" + id + "/files/kick.wav",
		"/api/jobs/%2e%2e/files/secret.txt",
		"/api/jobs/.." + "/zip",
		"/api/jobs/" + strings.ToUpper(id) + "/files/kick.wav",
		"/api/jobs/" + id + "x/files/kick.wav",
		"/api/jobs/0000000000000000/files/kick.wav",
		"/api/jobs/0000000000000000",
		"/api/jobs/0000000000000000/zip",
		"/api/jobs/0000000000000000/events",
		"/assets/../../secret.txt",
		"/assets/%2e%2e/%2e%2e/secret.txt",
		"/assets/..%2f..%2fsecret.txt",
		"/../secret.txt",
		"/%2e%2e/secret.txt",
	} {
		code, body := rawGet(t, s, p)
		if (code != http.StatusBadRequest && code != http.StatusNotFound) || strings.Contains(body, secret) || strings.Contains(body, `"seq"`) {
			t.Errorf("GET %s: %d %.80q, want 400 or 404", p, code, body)
		}
	}
}

func TestRestart(t *testing.T) {
	data := t.TempDir()
	fake := newFake()
	g := newGate(3000)
	fake.block = g.block
	s := start(t, Config{Separator: fake, Data: data})
	done := submit(t, s, 1000)
	waitState(t, s, done, StateDone)
	interrupted := submit(t, s, 3000)
	<-g.reached // it has written its first block of stems
	queued := submit(t, s, 2000)
	s.stop()

	// The running job was stopped: none of its files (temporary or not) is
	// left, and it is queued again, before the one that waited.
	entries, err := os.ReadDir(filepath.Join(data, "jobs", interrupted, outputDir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the interrupted job left %v", names)
	}
	var r record
	b, _ := os.ReadFile(filepath.Join(data, "jobs", interrupted, stateFile))
	if err := json.Unmarshal(b, &r); err != nil || r.State != StateQueued {
		t.Errorf("state file of the interrupted job: %s (%v), want queued", b, err)
	}
	// An upload cut short by a crash: a job folder without a state file.
	leftover := filepath.Join(data, "jobs", "00000000000000ff")
	os.MkdirAll(filepath.Join(leftover, inputDir), 0o755)

	fake2 := newFake()
	s2 := start(t, Config{Separator: fake2, Data: data})
	if v := getJob(t, s2, done); v.State != StateDone || len(v.Files) != 6 {
		t.Errorf("the done job after a restart: %+v", v)
	} else if code, _, _ := get(t, s2.url+v.Files[0].URL); code != 200 {
		t.Errorf("its file: %d", code)
	}
	waitState(t, s2, queued, StateDone)
	waitState(t, s2, interrupted, StateDone)
	if got := fake2.separated(); !slices.Equal(got, []int64{3000, 2000}) {
		t.Errorf("after the restart, separated %v frames, want 3000 then 2000", got)
	}
	if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the unfinished upload's folder is still there (%v)", err)
	}
	// A new job comes after the old ones, with a new id.
	id := submit(t, s2, 500)
	if id == done || id == interrupted || id == queued {
		t.Errorf("id %s used again", id)
	}
	waitState(t, s2, id, StateDone)
}

// TestStateFileChecked: a state file edited to name a file outside the
// job's folder is not used.
func TestStateFileChecked(t *testing.T) {
	data := t.TempDir()
	s := start(t, Config{Separator: newFake(), Data: data})
	id := submit(t, s, 1000)
	waitState(t, s, id, StateDone)
	s.stop()
	path := filepath.Join(data, "jobs", id, stateFile)
	b, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.Replace(b, []byte(`"name": "kick.wav"`), []byte(`"name": "../job.json"`), 1), 0o644)
	s2 := start(t, Config{Separator: newFake(), Data: data})
	if code, body := rawGet(t, s2, "/api/jobs/"+id); code != http.StatusNotFound {
		t.Errorf("a job with a forged state file: %d %s, want 404", code, body)
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"song.wav":                        "song.wav",
		"../../etc/passwd":                "passwd",
		`C:\Users\me\take.wav`:            "take.wav",
		"a\x00b\nc.wav":                   "abc.wav",
		"..":                              "upload",
		"":                                "upload",
		strings.Repeat("é", 300) + ".wav": strings.Repeat("é", 100),
	} {
		if got := displayName(in); got != want {
			t.Errorf("displayName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"song.wav":      "song.wav",
		"..wav":         "wav",
		"my song é.wav": "my_song__.wav",
		".hidden":       "hidden",
		"...":           "upload",
	} {
		if got := diskName(in); got != want || !safeName(got) {
			t.Errorf("diskName(%q) = %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"", ".", "..", "a/b", `a\b`, "a\x00", "/abs"} {
		if safeName(bad) {
			t.Errorf("safeName(%q) = true", bad)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"1GB": 1e9, "1gb": 1e9, "500 MB": 500e6, "1.5GiB": 3 << 29, "4096": 4096, "10k": 10e3, "2KiB": 2048, "7B": 7,
	} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "GB", "1XB", "-1GB", "0", "1e30", "1..2MB", "0.1B"} {
		if got, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", bad, got)
		}
	}
	for n, want := range map[int64]string{1e9: "1 GB", 1 << 30: "1 GiB", 20000: "20 kB", 1500: "1500 bytes"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestForeignHost: a server on the loopback answers only requests for a
// loopback name, so that a web page whose name resolves to 127.0.0.1 (DNS
// rebinding) cannot use it.
func TestForeignHost(t *testing.T) {
	s := start(t, Config{Separator: newFake()})
	id := submit(t, s, 500)
	waitState(t, s, id, StateDone)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.url, "http://"))
	for host, want := range map[string]int{
		"127.0.0.1:" + port:         200,
		"localhost:" + port:         200,
		"LOCALHOST":                 200,
		"app.localhost:" + port:     200,
		"[::1]:" + port:             200,
		"127.0.0.2":                 200,
		"evil.example:" + port:      403,
		"evil.example":              403,
		"localhost.evil.example":    403,
		"192.168.1.10:" + port:      403,
		"[::ffff:10.0.0.1]:" + port: 403,
	} {
		for _, p := range []string{"/", "/api/jobs/" + id} {
			if code, body := rawGetHost(t, s, p, host); code != want {
				t.Errorf("GET %s with Host %q: %d %.60q, want %d", p, host, code, body, want)
			}
		}
	}
}

// TestJobResidual: residual=true adds "other", the input less the stems
// asked for, so that the files of the job add up to the upload.
func TestJobResidual(t *testing.T) {
	s := start(t, Config{Separator: newFake()})
	id := submit(t, s, 4000, "residual", "true", "stems", "kick,snare")
	v := waitState(t, s, id, StateDone, StateFailed)
	if v.State != StateDone || !v.Residual {
		t.Fatalf("job: %+v", v)
	}
	var names []string
	sum := make([]float64, 4000)
	for _, f := range v.Files {
		names = append(names, f.Name)
		code, body, _ := get(t, s.url+f.URL)
		if code != 200 {
			t.Fatalf("GET %s: %d", f.URL, code)
		}
		rd, err := audio.NewReader(bytes.NewReader(body), f.Name)
		if err != nil {
			t.Fatal(err)
		}
		buf, err := audio.ReadAll(rd)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range buf.Data[0] {
			sum[i] += float64(x)
		}
	}
	if want := []string{"kick.wav", "snare.wav", "other.wav"}; !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	for i, x := range sum {
		// The input is 16-bit, the files 24-bit: three roundings of 2^-24.
		if in := float64(float32(0.5 * math.Sin(float64(i)*0.05))); math.Abs(x-in) > 1e-4 {
			t.Fatalf("frame %d: the files add up to %.6f, the input is %.6f", i, x, in)
		}
	}
}
