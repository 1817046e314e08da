package torch

import (
	"errors"
	"strings"
	"testing"
)

// interpreterError is what libtorch 1.13 reports for a RuntimeError inside
// a TorchScript method.
const interpreterError = `The following operation failed in the TorchScript interpreter.
Traceback of TorchScript, serialized code (most recent call last):
  File "code/__torch__.py", line 12, in forward
    x: Tensor) -> Tensor:
    conv = self.conv
    return torch.tanh((conv).forward(x, ))
                       ~~~~~~~~~~~~~ <--- HERE
  File "code/__torch__/torch/nn/modules/conv.py", line 23, in forward
    return torch.conv1d(input, weight, bias, [1], [2], [1])
           ~~~~~~~~~~~~ <--- HERE
RuntimeError: Given groups=1, weight of size [4, 2, 5], expected input[2, 3, 64] to have 2 channels, but got 3 channels instead
`

func TestReduce(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"interpreter traceback", interpreterError,
			"RuntimeError: Given groups=1, weight of size [4, 2, 5], expected input[2, 3, 64] to have 2 channels, but got 3 channels instead"},
		{"one line", "the module has no method \"backward\"", "the module has no method \"backward\""},
		{"context below", "forward() Expected a value of type 'Tensor' for argument 'b' but instead found type 'int'.\nPosition: 2\nDeclaration: forward(Tensor a, Tensor b) -> Tensor",
			"forward() Expected a value of type 'Tensor' for argument 'b' but instead found type 'int'."},
		{"c10 plea", `Expected hasRecord("version") to be true, but got false.  (Could this error message be improved?  If so, please report an enhancement request to PyTorch.)`,
			`Expected hasRecord("version") to be true, but got false.`},
		{"first line of our own", "not a TorchScript archive\nPytorchStreamReader failed reading zip archive: failed finding central directory",
			"not a TorchScript archive"},
		{"blank", "\n  \n", ""},
	} {
		if got := reduce(c.in); got != c.want {
			t.Errorf("%s: reduce = %q, want %q", c.name, got, c.want)
		}
	}
	long := strings.Repeat("x", 1000)
	if got := []rune(reduce(long)); len(got) != maxLine || got[len(got)-1] != '…' {
		t.Errorf("a 1000-byte line is cut to %d runes", len(got))
	}
}

func TestNewError(t *testing.T) {
	e := newError("run forward", StatusTorch, interpreterError)
	if e.Error() != "run forward: RuntimeError: Given groups=1, weight of size [4, 2, 5], expected input[2, 3, 64] to have 2 channels, but got 3 channels instead" {
		t.Errorf("Error() = %q", e.Error())
	}
	if e.Detail != interpreterError {
		t.Errorf("Detail does not keep libtorch's text: %q", e.Detail)
	}
	if e := newError("synchronize", StatusDevice, "no CUDA device 3 (1 visible)"); e.Detail != "" {
		t.Errorf("a one-line message is repeated in Detail: %q", e.Detail)
	}
	if e := newError("run forward", StatusOOM, ""); e.Error() != "run forward: out of memory" {
		t.Errorf("empty message: %q", e.Error())
	}

	var err error = newError("run forward", StatusOOM, "CUDA out of memory. Tried to allocate 2.00 GiB")
	if !errors.Is(err, ErrOutOfMemory) || errors.Is(err, ErrDeviceUnavailable) {
		t.Error("an out-of-memory error does not match ErrOutOfMemory alone")
	}
	for st, target := range map[Status]error{StatusDevice: ErrDeviceUnavailable, StatusNotFound: ErrNotFound, StatusUnsupported: errors.ErrUnsupported} {
		if !errors.Is(newError("x", st, "y"), target) {
			t.Errorf("status %v does not match %v", st, target)
		}
	}
}
