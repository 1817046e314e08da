package separator

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/model"
	"github.com/drumsplit/drumsplit/torch"
)

// TestInt8Device: an int8 model goes to the CPU under device auto, is an
// error on a GPU asked for by name and at any precision but auto/int8;
// precision int8 needs an int8 model.
func TestInt8Device(t *testing.T) {
	int8m, fp32m := &model.Info{Precision: "int8"}, &model.Info{Precision: "fp32"}
	auto, cpu := torch.Device{Type: torch.Auto}, torch.Device{Type: torch.CPU}
	cuda, mps := torch.Device{Type: torch.CUDA}, torch.Device{Type: torch.MPS}
	log := slog.New(slog.DiscardHandler)
	for _, c := range []struct {
		info *model.Info
		p    Precision
		want torch.Device
		dev  torch.Device // the result when no error
		err  string
	}{
		{int8m, PrecisionAuto, auto, cpu, ""},
		{int8m, INT8, cpu, cpu, ""},
		{int8m, PrecisionAuto, cuda, cuda, "runs on the CPU only, not cuda:0: use --device cpu"},
		{int8m, INT8, mps, mps, "runs on the CPU only, not mps"},
		{int8m, FP32, cpu, cpu, "runs at precision int8 only, not fp32"},
		{int8m, FP16, auto, auto, "runs at precision int8 only, not fp16"},
		{fp32m, INT8, cpu, cpu, "needs a model exported with --precision int8; this one is fp32"},
		{fp32m, PrecisionAuto, cuda, cuda, ""},
	} {
		got, err := int8Device(c.info, c.p, c.want, log)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s model, %s on %s: %v", c.info.Precision, c.p, c.want, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s model, %s on %s: error %v, want %q", c.info.Precision, c.p, c.want, err, c.err)
		case c.err == "" && got != c.dev:
			t.Errorf("%s model, %s on %s: device %s, want %s", c.info.Precision, c.p, c.want, got, c.dev)
		}
	}
}
