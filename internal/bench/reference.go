package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// Reference is scripts/bench_reference.py running in --serve mode. The
// runner opens each grid point on both sides and alternates their timed
// separations, so that drumsplit and the reference see the same load on a
// shared machine.
type Reference struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	// Threads is the torch CPU thread count the reference runs with.
	Threads int
}

// ReferenceOptions are the arguments handed to the reference.
type ReferenceOptions struct {
	Command []string // the program and its leading arguments, e.g. python3 scripts/bench_reference.py
	Model   string
	Input   string // an audio file, e.g. written by Audio.Save
	Threads int
	Runs    int
	Warmup  int
	Stderr  io.Writer // the reference's own messages; nil discards them
}

// StartReference starts the reference and waits until it has loaded the
// model and the input.
func StartReference(ctx context.Context, o ReferenceOptions) (*Reference, error) {
	if len(o.Command) == 0 {
		return nil, errors.New("reference: no command")
	}
	args := append(append([]string(nil), o.Command[1:]...), "--serve", "--model", o.Model, "--input", o.Input,
		"--runs", strconv.Itoa(o.Runs), "--warmup", strconv.Itoa(o.Warmup))
	if o.Threads > 0 {
		args = append(args, "--threads", strconv.Itoa(o.Threads))
	}
	cmd := exec.CommandContext(ctx, o.Command[0], args...)
	cmd.Stderr = o.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	r := &Reference{cmd: cmd, stdin: in, stdout: bufio.NewReaderSize(out, 1<<16)}
	var ready struct {
		Ready   bool `json:"ready"`
		Threads int  `json:"threads"`
	}
	if err := r.read(&ready); err != nil || !ready.Ready {
		r.Kill()
		if err == nil {
			err = errors.New("it did not say it was ready")
		}
		return nil, fmt.Errorf("reference %s: %w", strings.Join(o.Command, " "), err)
	}
	r.Threads = ready.Threads
	return r, nil
}

// read decodes the next line of the reference's output into v.
func (r *Reference) read(v any) error {
	line, err := r.stdout.ReadBytes('\n')
	if err != nil {
		if errors.Is(err, io.EOF) {
			werr := r.cmd.Wait()
			r.cmd = nil
			if werr != nil {
				return fmt.Errorf("exited: %v (see its message above)", werr)
			}
			return errors.New("exited early")
		}
		return err
	}
	if err := json.Unmarshal(line, v); err != nil {
		return fmt.Errorf("bad answer %q: %v", shorten(strings.TrimSpace(string(line)), 80), err)
	}
	return nil
}

// request sends one request and decodes the answer into v.
func (r *Reference) request(req map[string]any, v any) error {
	if r.cmd == nil {
		return errors.New("reference: not running")
	}
	b, _ := json.Marshal(req)
	if _, err := r.stdin.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("reference: %w", err)
	}
	if err := r.read(v); err != nil {
		return fmt.Errorf("reference: %w", err)
	}
	return nil
}

// stepAnswer is the answer to open and run.
type stepAnswer struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

// Open loads the model for a grid point on the reference's side and warms
// up. A false ok means the point failed there (Close then says why).
func (r *Reference) Open(device, precision string, overlap, batch int) (ok bool, err error) {
	var a stepAnswer
	err = r.request(map[string]any{"op": "open", "device": device, "precision": precision,
		"overlap": overlap, "batch": batch}, &a)
	return a.OK, err
}

// Run times one separation of the open grid point.
func (r *Reference) Run() (ok bool, err error) {
	var a stepAnswer
	err = r.request(map[string]any{"op": "run"}, &a)
	return a.OK, err
}

// Close ends the open grid point and returns its result.
func (r *Reference) Close() (Result, error) {
	var res Result
	err := r.request(map[string]any{"op": "close"}, &res)
	return res, err
}

// Finish ends the reference's input and returns its run.
func (r *Reference) Finish() (*Run, error) {
	if r.cmd == nil {
		return nil, errors.New("reference: not running")
	}
	r.stdin.Close()
	var run Run
	if err := r.read(&run); err != nil {
		r.Kill()
		return nil, fmt.Errorf("reference: %w", err)
	}
	err := r.cmd.Wait()
	r.cmd = nil
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	return &run, nil
}

// Kill stops the reference if it still runs.
func (r *Reference) Kill() {
	if r.cmd == nil {
		return
	}
	r.stdin.Close()
	if r.cmd.Process != nil {
		r.cmd.Process.Kill()
	}
	r.cmd.Wait()
	r.cmd = nil
}
