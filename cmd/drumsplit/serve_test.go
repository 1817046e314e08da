package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// served is a running `drumsplit serve`.
type served struct {
	cmd    *exec.Cmd
	url    string        // http://127.0.0.1:port
	stderr *bytes.Buffer // what it printed after the address
	exited chan error
}

// startServe runs `drumsplit serve` on a free port with args and waits for
// the line with its address. It is killed at the end of the test if still
// running.
func startServe(t *testing.T, env []string, args ...string) *served {
	t.Helper()
	cmd := exec.Command(dsExe, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = dsEnv(env)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, stderr: &bytes.Buffer{}, exited: make(chan error, 1)}
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.exited
	})
	rd := bufio.NewReader(pipe)
	var before strings.Builder
	for s.url == "" {
		line, err := rd.ReadString('\n')
		before.WriteString(line)
		if _, rest, ok := strings.Cut(line, "serving on "); ok {
			s.url = strings.TrimSuffix(strings.Fields(rest)[0], "/")
		}
		if err != nil {
			go func() { s.exited <- cmd.Wait() }()
			t.Fatalf("serve exited before serving:\n%s", before.String())
		}
	}
	done := make(chan struct{})
	go func() {
		io.Copy(s.stderr, rd)
		close(done)
	}()
	go func() {
		<-done
		s.exited <- cmd.Wait()
	}()
	return s
}

// stop sends SIGTERM and returns the exit code. The command promises to
// stop within 10 s: a run past that fails.
func (s *served) stop(t *testing.T) int {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("serve did not stop within 10 s of SIGTERM")
	}
	s.exited <- nil // for the cleanup
	return s.cmd.ProcessState.ExitCode()
}

// upload posts the file at path (with form fields) and returns the job id.
func (s *served) upload(t *testing.T, path string, fields ...string) string {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for i := 0; i+1 < len(fields); i += 2 {
		mw.WriteField(fields[i], fields[i+1])
	}
	fw, _ := mw.CreateFormFile("file", filepath.Base(path))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	resp, err := http.Post(s.url+"/api/jobs", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]string
	json.NewDecoder(resp.Body).Decode(&m)
	if resp.StatusCode != http.StatusAccepted || m["id"] == "" {
		t.Fatalf("upload: %s %v", resp.Status, m)
	}
	return m["id"]
}

// jobState is the part of GET /api/jobs/{id} the tests read.
type jobState struct {
	State    string  `json:"state"`
	Progress float64 `json:"progress"`
	Error    string  `json:"error"`
	Files    []struct {
		Name string `json:"name"`
	} `json:"files"`
}

// waitJob polls the job until pred holds (or it ends otherwise).
func (s *served) waitJob(t *testing.T, id string, pred func(jobState) bool) jobState {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Minute); ; {
		resp, err := http.Get(s.url + "/api/jobs/" + id)
		if err != nil {
			t.Fatal(err)
		}
		var j jobState
		err = json.NewDecoder(resp.Body).Decode(&j)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if pred(j) {
			return j
		}
		if j.State == "failed" || j.State == "done" || time.Now().After(deadline) {
			t.Fatalf("job %s: %+v", id, j)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestServeUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--max-upload", "banana"}, "--max-upload"},
		{[]string{"serve", "--max-upload", "0"}, "--max-upload"},
		{[]string{"serve", "song.wav"}, "no arguments"},
		{[]string{"serve", "--device", "tpu"}, "--device"},
		{[]string{"serve", "--overlap", "0"}, "--overlap"},
		{[]string{"serve", "-m", "/nonexistent/model.pt"}, "no such file"},
	} {
		r := ds(t, t.TempDir(), nil, c.args...)
		wantCode(t, r, exitUsage)
		wantOneLine(t, r, c.want)
	}
	r := ds(t, t.TempDir(), nil, "serve", "--addr", "256.0.0.1:1", "-m", modelPath(t, "tiny6.pt"))
	wantCode(t, r, exitFailed)
	wantOneLine(t, r, "cannot listen on", `"256.0.0.1:1"`)
}

// TestServeWarnsElsewhere: an address other than the loopback is warned
// about before anything else.
func TestServeWarnsElsewhere(t *testing.T) {
	cmd := exec.Command(dsExe, "serve", "--addr", "0.0.0.0:0", "-m", modelPath(t, "tiny6.pt"))
	cmd.Env = dsEnv([]string{"TMPDIR=" + t.TempDir()})
	pipe, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	line, _ := bufio.NewReader(pipe).ReadString('\n')
	if !strings.Contains(line, "warning") || !strings.Contains(line, "anyone who can reach this machine") {
		t.Errorf("first line %q, want the warning", line)
	}
	checkClean(t, line)
}

// TestServeSIGTERM: SIGTERM stops a server that is separating: it exits 0
// within 10 s, and the running job's partial files are removed. Without
// --data, its temporary folder is removed; with it, the job is there to
// run again.
func TestServeSIGTERM(t *testing.T) {
	needLib(t)
	in := filepath.Join(t.TempDir(), "long.wav")
	writeInput(t, in, 60*44100, 44100, 1) // a minute: still running when stopped
	for _, withData := range []bool{false, true} {
		tmp, data := t.TempDir(), t.TempDir()
		args := []string{"-m", modelPath(t, "tiny6.pt")}
		if withData {
			args = append(args, "--data", data)
		}
		s := startServe(t, []string{"TMPDIR=" + tmp}, args...)
		id := s.upload(t, in)
		s.waitJob(t, id, func(j jobState) bool { return j.State == "running" && j.Progress > 0 })
		if code := s.stop(t); code != exitOK {
			t.Fatalf("exit %d after SIGTERM, want 0:\n%s", code, s.stderr)
		}
		checkClean(t, s.stderr.String())
		if withData {
			wantNoFiles(t, filepath.Join(data, "jobs", id, "out"))
			b, err := os.ReadFile(filepath.Join(data, "jobs", id, "job.json"))
			if err != nil || !bytes.Contains(b, []byte(`"state": "queued"`)) {
				t.Errorf("state file after SIGTERM: %s (%v), want the job queued", b, err)
			}
			if f := filesUnder(t, tmp); len(f) > 0 {
				t.Errorf("with --data, the temporary folder holds %v", f)
			}
		} else if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
			t.Errorf("the server's temporary folder is still there: %v", entries[0].Name())
		}
	}
}
