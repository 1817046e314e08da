package separator

import (
	"errors"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/model"
)

// TestLimits: settings that would ask for more memory than any machine has
// (--batch 100000 died with "fatal error: runtime: out of memory") are one
// typed line saying the limit, before the model is read or loaded.
func TestLimits(t *testing.T) {
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{BatchSize: 100000}, "batch size 100000 is out of range: 1 to 256 (0 takes the model's)"},
		{Options{BatchSize: -1}, "batch size -1 is out of range"},
		{Options{Overlap: 65}, "overlap 65 is out of range: 1 to 64 (0 takes the model's)"},
		{Options{Overlap: -1}, "overlap -1 is out of range"},
		{Options{ChunkSize: -5}, "chunk size -5 is out of range"},
		{Options{Threads: -2}, "threads -2 is out of range"},
	} {
		_, err := Open("no such model.pt", c.o)
		var le *LimitError
		if !errors.As(err, &le) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want a *LimitError %q", c.o, err, c.want)
		}
	}
	if _, _, err := (Options{BatchSize: MaxBatch, Overlap: MaxOverlap}).withDefaults(); err != nil {
		t.Errorf("the limits themselves are refused: %v", err)
	}

	// The model's own settings are bounded too, and the batch's output by
	// MaxBatchBytes.
	base := model.Info{ChunkSize: 130560, NumOverlap: 4, BatchSize: 1, HopLength: 512, FramesMultiple: 1,
		Stems: []string{"kick", "snare", "toms", "hh", "ride", "crash"}}
	for _, c := range []struct {
		edit func(*model.Info)
		o    Options
		want string
	}{
		{func(m *model.Info) { m.BatchSize = 100000 }, Options{}, "the model's batch_size 100000 is out of range: at most 256"},
		{func(m *model.Info) { m.NumOverlap = 1000 }, Options{}, "the model's num_overlap 1000 is out of range: 1 to 64"},
		{func(m *model.Info) { m.ChunkSize = 1 << 30 }, Options{},
			"the model's batch_size 1 is out of range: 1 chunks of 1073741824 samples × 2 channels × 6 stems are 48.0 GiB of output per batch, more than 4 GiB"},
		{func(*model.Info) {}, Options{BatchSize: 256, ChunkSize: 1 << 20},
			"batch size 256 is out of range: 256 chunks of 1048576 samples × 2 channels × 6 stems are 12.0 GiB"},
	} {
		info := base
		c.edit(&info)
		c.o.Info = &info
		_, err := Open("no such model.pt", c.o)
		var le *LimitError
		if !errors.As(err, &le) || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("model %+v, options %+v: error %v, want a *LimitError %q", info, c.o, err, c.want)
		}
	}
	info := base
	info.ChunkSize = 3
	if _, _, err := plan(Options{Overlap: 4}, &info); err == nil || !strings.Contains(err.Error(), "overlap 4 is out of range: at most the chunk size, 3") {
		t.Errorf("overlap above the chunk: %v", err)
	}
	if g, b, err := plan(Options{Mode: ModeMSST}, &base); err != nil || b != 1 || g.chunk != 130560 || g.overlap != 4 {
		t.Errorf("plan(defaults) = %+v, %d, %v", g, b, err)
	}
}
