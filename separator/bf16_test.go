package separator

import (
	"log/slog"
	"testing"

	"github.com/drumsplit/drumsplit/torch"
)

// TestBF16NeedsNativeSupport checks that bf16 on the CPU is kept only where
// the CPU computes in bf16 natively, and falls back to fp32 with a warning
// elsewhere; GPUs are not the host CPU's business.
func TestBF16NeedsNativeSupport(t *testing.T) {
	defer func(f func() bool) { nativeBF16 = f }(nativeBF16)
	cpu, cuda := torch.Device{Type: torch.CPU}, torch.Device{Type: torch.CUDA}
	for _, c := range []struct {
		native bool
		dev    torch.Device
		want   Precision
		warns  bool
	}{
		{false, cpu, FP32, true},
		{true, cpu, BF16, false},
		{false, cuda, BF16, false},
	} {
		nativeBF16 = func() bool { return c.native }
		rec := &recorder{}
		got := choosePrecision(BF16, c.dev, slog.New(rec))
		if got != c.want {
			t.Errorf("bf16 on %s, native bf16 %v: precision %s, want %s", c.dev, c.native, got, c.want)
		}
		if w := rec.has(slog.LevelWarn, "bf16"); w != c.warns {
			t.Errorf("bf16 on %s, native bf16 %v: warned %v, want %v (log: %s)", c.dev, c.native, w, c.warns, rec)
		}
	}
}
