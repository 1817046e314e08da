package job

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/model"
	"github.com/drumsplit/drumsplit/torch"
)

// TestRunBatchNoFiles: when no input is a file to separate, the model is
// not loaded: Started has no device, and each input fails alone.
func TestRunBatchNoFiles(t *testing.T) {
	dir := t.TempDir()
	b := Batch{Options: options(t, dir), Inputs: []string{filepath.Join(dir, "missing.wav")},
		ModelPath: filepath.Join(dir, "missing.pt"), Info: &model.Info{Name: "m", Stems: []string{"kick", "snare", "hh"}, SampleRate: 44100},
		Version: "1.2.3"}
	b.Encoding.BitDepth = 32
	b.Stems = []int{0, 2}
	var evs []Event
	sum, err := RunBatch(context.Background(), b, func(ev Event) { evs = append(evs, ev) })
	if err != nil {
		t.Fatal(err)
	}
	if sum.Inputs != 1 || sum.Failed != 1 || len(evs) != 3 {
		t.Fatalf("summary %+v, events %+v", sum, evs)
	}
	st, ok := evs[0].(Started)
	if !ok || st.Kind != KindStarted || st.Version != "1.2.3" || st.Device != "" || st.BitDepth != "32f" ||
		!slices.Equal(st.WriteStems, []string{"kick", "hh"}) || st.Inputs != 1 {
		t.Errorf("first event %+v", evs[0])
	}
	if line, _ := json.Marshal(st); !strings.HasPrefix(string(line), `{"event":"start","version":"1.2.3","model":`) ||
		strings.Contains(string(line), `"device"`) {
		t.Errorf("start event %s", line)
	}
	if _, ok := evs[1].(FileFailed); !ok {
		t.Errorf("second event %+v, want the input's failure", evs[1])
	}
	if _, err := os.Stat(b.Out); !os.IsNotExist(err) {
		t.Errorf("the output folder was made for nothing: %v", err)
	}
}

// TestRunBatchUnusable: an output folder or a model that cannot be used
// is the error of the run, before any event but the model's Loading.
func TestRunBatchUnusable(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.wav")
	writeInput(t, in, 100, 1)
	b := Batch{Options: options(t, dir), Inputs: []string{in}, ModelPath: filepath.Join(dir, "missing.pt"),
		Info: &model.Info{Stems: []string{"kick"}}}
	if err := os.WriteFile(b.Out, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var evs []Event
	emit := func(ev Event) { evs = append(evs, ev) }
	if _, err := RunBatch(context.Background(), b, emit); err == nil || !strings.Contains(err.Error(), "is not a folder") || len(evs) != 0 {
		t.Errorf("output folder is a file: %v, events %+v", err, evs)
	}
	b.Out = filepath.Join(dir, "out2")
	b.ModelName = "m"
	_, err := RunBatch(context.Background(), b, emit)
	if err == nil || len(evs) != 1 {
		t.Fatalf("missing model: %v, events %+v", err, evs)
	}
	if l, ok := evs[0].(Loading); !ok || l.Model != b.ModelPath || l.ModelName != "m" || l.Device != "auto" {
		t.Errorf("missing model: event %+v, want Loading", evs[0])
	}
}

func TestAutoDevices(t *testing.T) {
	cpu := torch.DeviceInfo{Device: torch.Device{Type: torch.CPU}}
	gpu := func(i int) torch.DeviceInfo {
		return torch.DeviceInfo{Device: torch.Device{Type: torch.CUDA, Index: i}}
	}
	for _, c := range []struct {
		devs []torch.DeviceInfo
		want []string
	}{
		{[]torch.DeviceInfo{cpu}, []string{"auto"}},
		{[]torch.DeviceInfo{cpu, gpu(0)}, []string{"auto"}},
		{[]torch.DeviceInfo{cpu, gpu(0), gpu(1), gpu(2)}, []string{"cuda:0", "cuda:1", "cuda:2"}},
	} {
		if got, why := autoDevices(c.devs); !slices.Equal(got, c.want) || why == "" {
			t.Errorf("autoDevices(%v) = %v, %q; want %v", c.devs, got, why, c.want)
		}
	}
}
