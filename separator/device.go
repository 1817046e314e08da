package separator

import (
	"fmt"
	"log/slog"
	"runtime"

	"github.com/drumsplit/drumsplit/internal/host"
	"github.com/drumsplit/drumsplit/model"
	"github.com/drumsplit/drumsplit/torch"
)

// chooseDevice resolves want (torch.Auto or a device) to an available
// device. An unavailable explicit device falls back along auto's order
// (MPS → CUDA → CPU, starting after the requested kind) with a warning, or
// is an error when strict.
func chooseDevice(want torch.Device, strict bool, log *slog.Logger) (torch.Device, error) {
	versions, err := torch.Versions()
	if err != nil {
		return torch.Device{}, err
	}
	if want.Type == torch.Auto {
		dev, why, err := torch.AutoDevice()
		if err != nil {
			return torch.Device{}, err
		}
		logDevice(log, dev, "auto: "+why, versions)
		if dev.Type == torch.CPU {
			if hint := host.ContainerGPUHint(versions.HasCUDA()); hint != "" {
				log.Info(hint)
			}
		}
		return dev, nil
	}
	if torch.Available(want) {
		logDevice(log, want, "requested", versions)
		return want, nil
	}
	why := unavailableReason(want, versions)
	if strict {
		return torch.Device{}, &unavailableError{dev: want, why: why}
	}
	next := torch.Device{Type: torch.CPU}
	if want.Type == torch.MPS && torch.Available(torch.Device{Type: torch.CUDA}) {
		next = torch.Device{Type: torch.CUDA}
	}
	log.Warn(fmt.Sprintf("device %s is not available (%s); using %s instead", want, why, next))
	logDevice(log, next, "fallback from "+want.String(), versions)
	return next, nil
}

// unavailableError says why a device asked for with StrictDevice cannot be
// used; it matches torch.ErrDeviceUnavailable.
type unavailableError struct {
	dev torch.Device
	why string
}

func (e *unavailableError) Error() string {
	return fmt.Sprintf("device %s is not available: %s", e.dev, e.why)
}

func (e *unavailableError) Unwrap() error { return torch.ErrDeviceUnavailable }

// unavailableReason says in words why d cannot be used.
func unavailableReason(d torch.Device, v torch.VersionInfo) string {
	switch d.Type {
	case torch.CUDA:
		n := 0
		if infos, err := torch.Devices(); err == nil {
			for _, i := range infos {
				if i.Device.Type == torch.CUDA {
					n++
				}
			}
		}
		switch {
		case n > 0:
			return fmt.Sprintf("only %d CUDA device(s) visible (cuda:0 to cuda:%d)", n, n-1)
		case !v.HasCUDA():
			return fmt.Sprintf("libtorch %s was built without CUDA", v.Libtorch)
		}
		if hint := host.ContainerGPUHint(true); hint != "" {
			return "no CUDA device is visible; " + hint
		}
		return "no CUDA device is visible (check the NVIDIA driver and CUDA_VISIBLE_DEVICES)"
	case torch.MPS:
		if runtime.GOOS != "darwin" {
			return "MPS exists only on macOS"
		}
		return "MPS is not available (needs Apple silicon or an AMD GPU, macOS 12.3+, and a libtorch with MPS)"
	}
	return "not available"
}

// logDevice reports the device in use and why, at Info level.
func logDevice(log *slog.Logger, d torch.Device, why string, v torch.VersionInfo) {
	f := []any{"device", d.String(), "reason", why, "libtorch", v.Libtorch}
	if infos, err := torch.Devices(); err == nil {
		for _, i := range infos {
			if i.Device == d {
				if i.Name != "" {
					f = append(f, "name", i.Name)
				}
				if i.TotalMemory > 0 {
					f = append(f, "memory", fmt.Sprintf("%.1f GiB (%.1f GiB free)", float64(i.TotalMemory)/(1<<30), float64(i.FreeMemory)/(1<<30)))
				}
			}
		}
	}
	if d.Type == torch.CPU {
		if n, err := torch.Threads(); err == nil {
			f = append(f, "threads", n)
		}
	}
	log.Info("compute device", f...)
}

// CheckInt8 reports whether a model can run at precision p on device want
// as far as int8 goes, from its metadata alone (so that a command line can
// say so before anything is loaded or written): an int8 model (quantised
// at export) runs at precision auto or int8 only, and on the CPU only
// (device auto or cpu): libtorch's quantised kernels exist for no other
// device, and a GPU asked for by name is an error rather than a silent move
// to a device many times slower than the one asked for. Precision int8
// needs an int8 model: the runtime cannot quantise one.
func CheckInt8(info *model.Info, p Precision, want torch.Device) error {
	isInt8 := info.Precision == "int8"
	switch {
	case !isInt8 && p == INT8:
		return fmt.Errorf("precision int8 needs a model exported with --precision int8; this one is %s",
			info.Precision)
	case !isInt8:
		return nil
	case p != PrecisionAuto && p != INT8:
		return fmt.Errorf("an int8 model (quantised at export) runs at precision int8 only, not %s; "+
			"use an fp32 model for %s", p, p)
	case want.Type != torch.Auto && want.Type != torch.CPU:
		return fmt.Errorf("an int8 model runs on the CPU only, not %s: use --device cpu, or an fp32 model on %s",
			want, want)
	}
	return nil
}

// int8Device checks the model's precision against the one and the device
// asked for (CheckInt8) and returns the device to look for: the CPU for an
// int8 model at device auto.
func int8Device(info *model.Info, p Precision, want torch.Device, log *slog.Logger) (torch.Device, error) {
	if err := CheckInt8(info, p, want); err != nil {
		return want, err
	}
	if info.Precision == "int8" && want.Type == torch.Auto {
		log.Info("int8 model: running on the CPU (quantised kernels are CPU-only)")
		return torch.Device{Type: torch.CPU}, nil
	}
	return want, nil
}

// choosePrecision resolves the precision for a device: auto is fp16 on
// CUDA (what MSST's autocast gives) and fp32 elsewhere. fp16 on the CPU is
// not supported by libtorch's convolutions, so it falls back to fp32 with a
// warning (the device itself may be a fallback from a GPU); so does bf16 on
// a CPU without native bf16, where libtorch emulates it more slowly than
// fp32 (and lacks some bf16 kernels altogether).
func choosePrecision(p Precision, d torch.Device, log *slog.Logger) Precision {
	if p == PrecisionAuto {
		if d.Type == torch.CUDA {
			return FP16
		}
		return FP32
	}
	if p == FP16 && d.Type == torch.CPU {
		log.Warn("fp16 is not supported on the CPU; using fp32")
		return FP32
	}
	if p == BF16 && d.Type == torch.CPU && !nativeBF16() {
		log.Warn("this CPU has no native bf16 (AVX512-BF16 or AMX); using fp32")
		return FP32
	}
	return p
}

// nativeBF16 reports whether the CPU computes in bf16 natively; a variable
// so that tests can play either CPU.
var nativeBF16 = host.NativeBF16

func (p Precision) dtype() torch.DType {
	switch p {
	case FP16:
		return torch.Float16
	case BF16:
		return torch.BFloat16
	}
	return torch.Float32
}
