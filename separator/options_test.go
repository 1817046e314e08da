package separator

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/torch"
)

func TestParseEnums(t *testing.T) {
	if p, err := ParsePrecision(" FP16 "); p != FP16 || err != nil {
		t.Errorf("ParsePrecision(FP16) = %q, %v", p, err)
	}
	if p, err := ParsePrecision(""); p != PrecisionAuto || err != nil {
		t.Errorf("ParsePrecision(\"\") = %q, %v; want auto", p, err)
	}
	if m, err := ParseMode("UVR"); m != ModeUVR || err != nil {
		t.Errorf("ParseMode(UVR) = %q, %v", m, err)
	}
	if m, err := ParseMode(""); m != ModeMSST || err != nil {
		t.Errorf("ParseMode(\"\") = %q, %v; want msst", m, err)
	}
	if p, err := ParseSTFTPlacement("go"); p != STFTGo || err != nil {
		t.Errorf("ParseSTFTPlacement(go) = %q, %v", p, err)
	}
	for _, c := range []struct {
		parse func(string) error
		in    string
		want  string
	}{
		{func(s string) error { _, err := ParsePrecision(s); return err }, "fp8", `unknown precision "fp8" (valid: auto, fp32, fp16, bf16, int8)`},
		{func(s string) error { _, err := ParseMode(s); return err }, "demucs", `unknown mode "demucs" (valid: msst, uvr)`},
		{func(s string) error { _, err := ParseSTFTPlacement(s); return err }, "gpu", `unknown STFT placement "gpu" (valid: auto, model, go)`},
	} {
		err := c.parse(c.in)
		var ve *ValueError
		if !errors.As(err, &ve) || ve.Value != c.in {
			t.Errorf("%q: error %v, want a *ValueError", c.in, err)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("%q: error %q, want %q", c.in, err, c.want)
		}
	}
}

// TestOptionsValidation: Open checks every enum and the device name with
// the parsers, before it touches the model file or libtorch.
func TestOptionsValidation(t *testing.T) {
	for _, c := range []struct {
		o    Options
		want any
	}{
		{Options{Precision: "fp8"}, new(*ValueError)},
		{Options{Mode: "demucs"}, new(*ValueError)},
		{Options{STFT: "gpu"}, new(*ValueError)},
		{Options{Device: "tpu"}, new(*torch.DeviceNameError)},
		{Options{Device: "cuda:x"}, new(*torch.DeviceNameError)},
	} {
		_, err := Open("no such file.pt", c.o)
		if err == nil || !errors.As(err, c.want) || strings.Contains(err.Error(), "no such file") {
			t.Errorf("%+v: error %v, want %T before reading the model", c.o, err, c.want)
		}
	}
	o, dev, err := Options{Device: " CUDA:1 ", Mode: "UVR"}.withDefaults()
	if err != nil || dev != (torch.Device{Type: torch.CUDA, Index: 1}) || o.Mode != ModeUVR || o.Precision != PrecisionAuto || o.STFT != STFTAuto {
		t.Errorf("withDefaults = %+v, %v, %v", o, dev, err)
	}
	if _, dev, _ := (Options{}).withDefaults(); dev.Type != torch.Auto {
		t.Errorf("default device %v, want auto", dev)
	}
}

// TestNilLoggerIsSilent: without a Logger the separator logs nothing, not
// even to slog's default logger.
func TestNilLoggerIsSilent(t *testing.T) {
	needLib(t)
	rec := &recorder{}
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(rec))
	s, err := Open(modelPath(t, "tiny6.pt"), Options{Device: "cuda:7", Precision: FP16})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if rec.String() != "" {
		t.Errorf("a separator without Logger logged: %s", rec)
	}
}
