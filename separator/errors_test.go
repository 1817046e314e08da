package separator

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/model"
	"github.com/drumsplit/drumsplit/torch"
)

// torchFailing is an engine whose model calls fail with a libtorch error.
type torchFailing struct {
	*fakeEngine
	err error
}

func (f *torchFailing) compute(*job, int, int) error { return f.err }

// fakeSeparator is a Separator around a fake engine, for tests that need no
// libtorch.
func fakeSeparator(t *testing.T, eng engine, batch int) *Separator {
	t.Helper()
	g, err := newGeometry(ModeMSST, 1000, 4)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPipeline(g, eng, batch, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	return &Separator{info: &model.Info{Stems: []string{"kick", "snare"}, SampleRate: 44100}, geo: g, eng: eng, pipe: p}
}

// checkLine fails when msg is not one line or carries a package prefix.
func checkLine(t *testing.T, msg string) {
	t.Helper()
	if strings.ContainsAny(msg, "\n\r") {
		t.Errorf("error is not one line: %q", msg)
	}
	for _, p := range []string{"separator: ", "torch: ", "model: "} {
		if strings.HasPrefix(msg, p) {
			t.Errorf("error %q starts with the package prefix %q", msg, p)
		}
	}
}

// TestTorchErrorsThroughSeparator: the torch package's errors reach the
// caller of Separate unchanged, so errors.Is and errors.As see them.
func TestTorchErrorsThroughSeparator(t *testing.T) {
	x := noise(5000, 3)
	oom := &torch.Error{Op: "run forward", Status: torch.StatusOOM, Msg: "CUDA out of memory. Tried to allocate 2.00 GiB"}
	bad := &torch.Error{Op: "run forward", Status: torch.StatusTorch, Msg: "RuntimeError: boom", Detail: "Traceback…\nRuntimeError: boom"}
	for _, c := range []struct {
		err  *torch.Error
		is   error
		want string
	}{
		{oom, torch.ErrOutOfMemory, "run forward: CUDA out of memory. Tried to allocate 2.00 GiB"},
		{bad, nil, "run forward: RuntimeError: boom"},
	} {
		s := fakeSeparator(t, &torchFailing{&fakeEngine{model: identityModel, S: 2, C: 1000}, c.err}, 1)
		_, err := s.SeparateBuffer(context.Background(), [][]float32{x[0], x[1]})
		if err == nil {
			t.Fatal("SeparateBuffer succeeded")
		}
		var te *torch.Error
		if !errors.As(err, &te) || te != c.err {
			t.Errorf("error %v does not unwrap to the *torch.Error", err)
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("error %v does not match %v", err, c.is)
		}
		if err.Error() != c.want {
			t.Errorf("error %q, want %q", err, c.want)
		}
		checkLine(t, err.Error())
	}

	s := fakeSeparator(t, &fakeEngine{model: identityModel, S: 2, C: 1000}, 1)
	s.closed = true // what Close does, without a module to free
	if _, err := s.SeparateBuffer(context.Background(), [][]float32{x[0], x[1]}); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
	for _, in := range [][][]float32{nil, {{1}, {1, 2}}, {{1, 2}, {1, 2}, {3}}} {
		if _, err := BufferSource(in); err == nil {
			t.Errorf("%d channels of lengths %v accepted", len(in), in)
		} else {
			checkLine(t, err.Error())
		}
	}
}

// TestOpenErrors: Open's errors are one line, name the file quoted, and
// wrap what the model and torch packages reported.
func TestOpenErrors(t *testing.T) {
	needLib(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "my model.pt")
	if err := os.WriteFile(garbage, []byte("not a zip archive"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(garbage, Options{Device: "cpu"})
	if !errors.Is(err, model.ErrNotZip) && !errors.Is(err, model.ErrNotTorchScript) {
		t.Errorf("garbage file: %v, want a model format error", err)
	}
	if err != nil {
		checkLine(t, err.Error())
	}

	// A valid archive that libtorch refuses: the drumsplit metadata of a
	// real model is fine, the TorchScript parts are cut away.
	info, err := model.ReadInfo(modelPath(t, "tiny6.pt"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(garbage, Options{Device: "cpu", Info: info})
	var te *torch.Error
	if !errors.As(err, &te) || te.Status != torch.StatusIO || !strings.Contains(err.Error(), `"`+garbage+`"`) {
		t.Errorf("libtorch load error: %v, want a *torch.Error naming %q", err, garbage)
	}
	if err != nil {
		checkLine(t, err.Error())
	}

	_, err = Open(modelPath(t, "tiny6.pt"), Options{Device: "cuda:5", StrictDevice: true})
	if !errors.Is(err, torch.ErrDeviceUnavailable) {
		t.Errorf("strict cuda:5: %v, want ErrDeviceUnavailable", err)
	}
	if err != nil {
		checkLine(t, err.Error())
		if strings.Count(err.Error(), "not available") != 1 {
			t.Errorf("strict cuda:5: %q says 'not available' more than once", err)
		}
	}
}
