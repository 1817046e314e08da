package serve

import (
	"archive/zip"
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/internal/tracks"
)

// web holds the page and its assets: plain HTML, CSS and JavaScript, with
// nothing to build and nothing fetched from elsewhere.
//
//go:embed web
var web embed.FS

// errBadState is the error of a state file that says impossible things.
var errBadState = errors.New("invalid job state")

// maxField is the most bytes a form field other than the file may hold.
const maxField = 4096

// multipartSlack is what an upload's body may hold beyond the file: the
// other fields and the parts' headers.
const multipartSlack = 64 << 10

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(web, "web")
	// The page learns the upload limit from its body's data-max-upload, so
	// that it can refuse a file too large before sending it.
	page, _ := fs.ReadFile(static, "index.html")
	page = bytes.Replace(page, []byte("<body>"), fmt.Appendf(nil, `<body data-max-upload="%d" data-max-upload-text="%s">`,
		s.cfg.MaxUpload, FormatSize(s.cfg.MaxUpload)), 1)
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(page)
	})
	m.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(static)))
	m.HandleFunc("POST /api/jobs", s.create)
	m.HandleFunc("GET /api/jobs/{id}", s.get)
	m.HandleFunc("GET /api/jobs/{id}/events", s.events)
	m.HandleFunc("GET /api/jobs/{id}/files/{name}", s.file)
	m.HandleFunc("GET /api/jobs/{id}/zip", s.zip)
	s.mux = m
}

// ServeHTTP implements http.Handler. A path that is not clean (dot
// segments, doubled or encoded slashes, backslashes, control characters)
// is refused before routing: it is never a URL the page makes, and
// http.ServeMux would answer it with a redirect.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	p := r.URL.Path
	if !cleanPath(p) || (r.URL.RawPath != "" && !cleanPath(r.URL.RawPath)) || strings.Contains(strings.ToLower(r.URL.RawPath), "%2f") {
		httpError(w, http.StatusBadRequest, "bad path")
		return
	}
	if s.localOnly && !loopbackHost(r.Host) {
		// A server on the loopback is reached by a loopback name; any
		// other is a web page whose name was pointed at 127.0.0.1 (DNS
		// rebinding), which must not read or queue jobs.
		httpError(w, http.StatusForbidden, "this server answers only requests to localhost")
		return
	}
	if r.Method == http.MethodPost && !sameOrigin(r) {
		// A page elsewhere must not queue jobs on a server on this machine.
		httpError(w, http.StatusForbidden, "cross-origin request refused")
		return
	}
	s.mux.ServeHTTP(w, r)
}

// cleanPath reports whether p is an absolute path without dot segments,
// empty segments, backslashes or control characters.
func cleanPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\") || !utf8.ValidString(p) {
		return false
	}
	for _, c := range p {
		if unicode.IsControl(c) {
			return false
		}
	}
	trimmed := strings.TrimSuffix(p, "/")
	return trimmed == "" || path.Clean(trimmed) == trimmed
}

// sameOrigin reports whether a request comes from the server's own page
// (or from no page at all: curl sends no Origin).
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// isLoopback reports whether a listener's address is on the loopback.
func isLoopback(a net.Addr) bool {
	t, ok := a.(*net.TCPAddr)
	return ok && t.IP.IsLoopback()
}

// loopbackHost reports whether the Host of a request names the loopback:
// localhost (or a name under it) or a loopback address, with any port.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	host = strings.ToLower(host)
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// httpError answers with status and {"error": msg}.
func httpError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// create takes an upload (POST /api/jobs). The body is read part by part
// and the file streamed to the job's folder: nothing is held in memory.
func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	limit := s.cfg.MaxUpload
	if r.ContentLength > limit+multipartSlack {
		httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("file too large: the most this server takes is %s", FormatSize(limit)))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+multipartSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		httpError(w, http.StatusBadRequest, "want a multipart/form-data upload with a field named file")
		return
	}
	id := newID()
	dir := filepath.Join(s.jobs, id)
	if err := os.MkdirAll(filepath.Join(dir, inputDir), 0o755); err != nil {
		s.log.Error("cannot make a job folder", "err", err)
		httpError(w, http.StatusInternalServerError, "cannot store the upload")
		return
	}
	kept := false
	defer func() {
		if !kept {
			os.RemoveAll(dir)
		}
	}()

	rec := &record{ID: id, Created: time.Now().UTC()}
	fields := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			uploadError(w, err, limit)
			return
		}
		switch name := p.FormName(); name {
		case "file":
			if rec.Input != "" {
				httpError(w, http.StatusBadRequest, "more than one file: upload one at a time")
				return
			}
			rec.Name = displayName(p.FileName())
			rec.Input = diskName(rec.Name)
			if err := saveUpload(filepath.Join(dir, inputDir, rec.Input), p, limit); err != nil {
				uploadError(w, err, limit)
				return
			}
		case "stems", "midi", "residual":
			b, err := io.ReadAll(io.LimitReader(p, maxField+1))
			if err != nil {
				uploadError(w, err, limit)
				return
			}
			if len(b) > maxField {
				httpError(w, http.StatusBadRequest, fmt.Sprintf("field %q: too long", name))
				return
			}
			fields[name] = string(b)
		}
		// Other fields are skipped: NextPart discards the rest of a part.
	}
	if rec.Input == "" {
		httpError(w, http.StatusBadRequest, "no file: the form needs a field named file")
		return
	}
	if err := s.options(rec, fields); err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := sniff(filepath.Join(dir, inputDir, rec.Input), rec.Name); err != nil {
		httpError(w, http.StatusUnsupportedMediaType, err.Error())
		return
	}

	s.mu.Lock()
	s.seq++
	rec.Seq = s.seq
	rec.State = StateQueued
	s.save(rec)
	s.enqueue(rec)
	s.mu.Unlock()
	kept = true
	s.log.Info("job queued", "job", id, "file", rec.Name)
	w.Header().Set("Location", "/api/jobs/"+id)
	writeJSON(w, http.StatusAccepted, map[string]string{"id": id})
}

// tooLarge is the error of an upload over the limit.
type tooLarge struct{ max int64 }

func (e tooLarge) Error() string {
	return "file too large: the most this server takes is " + FormatSize(e.max)
}

// uploadError answers a failed upload: 413 for one too large, else 400.
func uploadError(w http.ResponseWriter, err error, limit int64) {
	var mbe *http.MaxBytesError
	var tl tooLarge
	switch {
	case errors.As(err, &tl):
		httpError(w, http.StatusRequestEntityTooLarge, tl.Error())
	case errors.As(err, &mbe):
		httpError(w, http.StatusRequestEntityTooLarge, tooLarge{limit}.Error())
	default:
		httpError(w, http.StatusBadRequest, "upload broken off: "+oneLine(err.Error()))
	}
}

// saveUpload copies the file part r to path, failing with tooLarge past
// limit bytes.
func saveUpload(path string, r io.Reader, limit int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, io.LimitReader(r, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > limit {
		err = tooLarge{limit}
	}
	return err
}

// sniff checks that the file at path is audio that the audio package
// decodes, so that a wrong upload is refused at once; name is the file's
// name for the message.
func sniff(path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rd, err := audio.NewReader(f, name)
	if err != nil {
		var ae *audio.Error
		if errors.As(err, &ae) && ae.Kind == nil {
			return fmt.Errorf("%q: not audio drumsplit can read (WAV, AIFF, FLAC or MP3)", name)
		}
		return err
	}
	defer rd.Close()
	if rd.Info().Frames == 0 {
		return fmt.Errorf("%q: no audio in the file (0 samples)", name)
	}
	return nil
}

// options reads the optional form fields into r.
func (s *Server) options(r *record, fields map[string]string) error {
	idx, err := tracks.SelectStems(fields["stems"], s.stems)
	if err != nil {
		return fmt.Errorf("stems: %w", err)
	}
	r.Stems = idx
	for _, f := range []struct {
		name string
		dst  *bool
	}{{"midi", &r.MIDI}, {"residual", &r.Residual}} {
		v, ok := fields[f.name]
		if !ok {
			continue
		}
		b, err := parseBool(v)
		if err != nil {
			return fmt.Errorf("%s %q: want true or false", f.name, v)
		}
		*f.dst = b
	}
	return nil
}

// parseBool reads a form's boolean: what strconv takes, and "on"/"off" of
// an HTML checkbox.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "yes":
		return true, nil
	case "off", "no", "":
		return false, nil
	}
	return strconv.ParseBool(strings.TrimSpace(v))
}

// displayName is the uploaded file's name as the page shows it: its last
// element, without control characters, at most 200 bytes.
func displayName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	for len(name) > 200 {
		_, n := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-n]
	}
	if strings.Trim(name, ". ") == "" {
		return "upload"
	}
	return name
}

// diskName is the name an upload named name is stored under: name with
// anything but letters, digits, '-', '_' and '.' replaced, never starting
// with a dot. It keeps the track's name in error messages.
func diskName(name string) string {
	n := strings.Map(func(r rune) rune {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.') {
			return r
		}
		return '_'
	}, name)
	n = strings.TrimLeft(n, ".")
	if n == "" {
		n = "upload"
	}
	return n
}

// safeName reports whether name can be joined to a folder: one element,
// not a dot name.
func safeName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\\\x00") &&
		filepath.Base(name) == name && !filepath.IsAbs(name)
}

// lookup finds the job of the request's {id}; it answers 404 when there is
// none.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (View, bool) {
	id := r.PathValue("id")
	if validID(id) {
		s.mu.Lock()
		v, ok := s.view(id)
		s.mu.Unlock()
		if ok {
			return v, true
		}
	}
	httpError(w, http.StatusNotFound, "no such job")
	return View{}, false
}

// get answers GET /api/jobs/{id}.
func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	if v, ok := s.lookup(w, r); ok {
		writeJSON(w, http.StatusOK, v)
	}
}

// events answers GET /api/jobs/{id}/events: the job's View as an event
// each time it changes, until it is done or failed (or the server stops).
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	v, ok := s.lookup(w, r)
	if !ok {
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		httpError(w, http.StatusInternalServerError, "streaming not supported")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	ping := time.NewTicker(20 * time.Second)
	defer ping.Stop()
	var last []byte
	for {
		s.mu.Lock()
		v, _ = s.view(v.ID)
		changed := s.changed
		s.mu.Unlock()
		b, _ := json.Marshal(v)
		if !bytes.Equal(b, last) {
			fmt.Fprintf(w, "data: %s\n\n", b)
			fl.Flush()
			last = b
		}
		if v.State == StateDone || v.State == StateFailed {
			return
		}
		select {
		case <-changed:
		case <-ping.C:
			io.WriteString(w, ": ping\n\n") // keeps proxies from closing it
			fl.Flush()
		case <-r.Context().Done():
			return
		}
	}
}

// outputs returns the job's output folder and files, answering 404 while
// it has none.
func (s *Server) outputs(w http.ResponseWriter, r *http.Request) (string, View, bool) {
	v, ok := s.lookup(w, r)
	if !ok {
		return "", v, false
	}
	if v.State != StateDone {
		httpError(w, http.StatusNotFound, "the job has no files yet ("+v.State+")")
		return "", v, false
	}
	return filepath.Join(s.jobs, v.ID, outputDir), v, true
}

// file answers GET /api/jobs/{id}/files/{name}. Only the names the job
// lists are served, so no name can reach outside its folder.
func (s *Server) file(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !safeName(name) {
		httpError(w, http.StatusBadRequest, "bad file name")
		return
	}
	dir, v, ok := s.outputs(w, r)
	if !ok {
		return
	}
	for _, f := range v.Files {
		if f.Name != name {
			continue
		}
		fh, err := os.Open(filepath.Join(dir, f.Name))
		if err != nil {
			httpError(w, http.StatusNotFound, "file missing")
			return
		}
		defer fh.Close()
		st, err := fh.Stat()
		if err != nil || !st.Mode().IsRegular() {
			httpError(w, http.StatusNotFound, "file missing")
			return
		}
		w.Header().Set("Content-Type", contentType(f.Name))
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": downloadName(v.Name, f.Name)}))
		http.ServeContent(w, r, "", st.ModTime(), fh)
		return
	}
	httpError(w, http.StatusNotFound, "no such file")
}

// zip answers GET /api/jobs/{id}/zip: every output, stored (WAV and FLAC
// do not compress further), in a folder named after the track.
func (s *Server) zip(w http.ResponseWriter, r *http.Request) {
	dir, v, ok := s.outputs(w, r)
	if !ok {
		return
	}
	track := tracks.TrackName(v.Name)
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": track + "-stems.zip"}))
	zw := zip.NewWriter(w)
	for _, f := range v.Files {
		fh, err := os.Open(filepath.Join(dir, f.Name))
		if err != nil {
			s.log.Error("zip: cannot open an output", "job", v.ID, "err", err)
			return // the broken zip tells the client
		}
		method := zip.Store
		if f.MIDI {
			method = zip.Deflate
		}
		st, _ := fh.Stat()
		hdr := &zip.FileHeader{Name: track + "/" + f.Name, Method: method}
		if st != nil {
			hdr.Modified = st.ModTime()
		}
		zf, err := zw.CreateHeader(hdr)
		if err == nil {
			_, err = io.Copy(zf, fh)
		}
		fh.Close()
		if err != nil {
			return
		}
	}
	zw.Close()
}

// contentType is the media type of an output file.
func contentType(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".wav":
		return "audio/wav"
	case ".flac":
		return "audio/flac"
	case ".mid":
		return "audio/midi"
	}
	return "application/octet-stream"
}

// downloadName is the name a browser saves an output as: the track's name
// and the stem's, "song-kick.wav".
func downloadName(upload, file string) string {
	return tracks.TrackName(upload) + "-" + file
}

// oneLine cuts s at its first line break.
func oneLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}
