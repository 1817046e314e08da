#!/usr/bin/env python3
"""Generate the tiny TorchScript fixtures of the Go package drumsplit/torch.

Usage: python3 scripts/make_torch_fixtures.py [OUTDIR]   (default torch/testdata)
Run by `make fixtures-torch`; the output is committed.

For every module it writes NAME.pt, and for every test case the inputs and
the outputs Python computes with the very module it saved, so that the Go
tests compare libtorch-through-Go with Python-torch on the same inputs:

  cases.json    [{"module", "method", "inputs": [shape...], "outputs": [shape...],
                  "data": FILE}]
  FILE          the inputs then the outputs, flattened C-order, as raw
                little-endian float32, nothing else.

It also writes checkpoint.pt, a torch.save'd state dict: a real PyTorch file
that is not TorchScript, which Load must refuse with a readable error.
"""

import json
import os
import sys
from typing import List, Tuple

import torch
from torch import Tensor, nn


class Conv(nn.Module):
    """forward: [B, 2, N] audio-like -> [B, 4, N]; forward_spec mirrors the
    drumsplit format's second entry point, [B, 4, F, T] -> [B, 2, 4, F, T]."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 4, kernel_size=5, padding=2)
        self.gain = nn.Parameter(torch.randn(2, 4, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        return torch.tanh(self.conv(x))

    @torch.jit.export
    def forward_spec(self, spec: Tensor) -> Tensor:
        return spec.unsqueeze(1) * self.gain.unsqueeze(0)


class Multi(nn.Module):
    """Several inputs and several outputs, including a non-contiguous one."""

    def forward(self, a: Tensor, b: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        return a + b, a * b, a.sum(-1)

    @torch.jit.export
    def parts(self, a: Tensor) -> List[Tensor]:
        return [a.transpose(0, 1), a[:, :1] * 2.0]


class Branch(nn.Module):
    """Allocations that depend on the data: a positive sum takes a path that
    allocates twice the input's size, a negative one the input's size. Runs
    on same-shaped inputs then allocate differently, which the library's
    memory planning must notice (torch/plan_test.go)."""

    def forward(self, x: Tensor) -> Tensor:
        if bool(x.sum() > 0):
            y = torch.cat([x, x], 0) * 2.0
            return y[: x.shape[0]] + 1.0
        return torch.tanh(x) * 3.0


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "torch", "testdata")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1234)

    conv = torch.jit.script(Conv().eval())
    meta = {"format": "drumsplit-test", "name": "conv", "stems": ["a", "b"]}
    torch.jit.save(conv, os.path.join(out, "conv.pt"),
                   _extra_files={"drumsplit.json": json.dumps(meta, sort_keys=True)})
    multi = torch.jit.script(Multi().eval())
    torch.jit.save(multi, os.path.join(out, "multi.pt"))
    torch.jit.save(torch.jit.script(Branch().eval()), os.path.join(out, "branch.pt"))
    torch.save({"weight": torch.randn(3)}, os.path.join(out, "checkpoint.pt"))

    # Run the modules as loaded back from disk, like the Go side does.
    mods = {"conv": torch.jit.load(os.path.join(out, "conv.pt")),
            "multi": torch.jit.load(os.path.join(out, "multi.pt"))}
    cases = [
        ("conv", "forward", [torch.randn(2, 2, 64)]),
        ("conv", "forward_spec", [torch.randn(1, 4, 8, 5)]),
        ("multi", "forward", [torch.randn(3, 5), torch.randn(3, 5)]),
        ("multi", "parts", [torch.randn(4, 3)]),
    ]
    index = []
    with torch.no_grad():
        for name, method, inputs in cases:
            res = getattr(mods[name], method)(*inputs)
            outs = list(res) if isinstance(res, (tuple, list)) else [res]
            data = f"{name}.{method}.f32"
            with open(os.path.join(out, data), "wb") as f:
                for t in inputs + outs:
                    f.write(t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes())
            index.append({"module": f"{name}.pt", "method": method,
                          "inputs": [list(t.shape) for t in inputs],
                          "outputs": [list(t.shape) for t in outs], "data": data})
    with open(os.path.join(out, "cases.json"), "w") as f:
        f.write("[\n" + ",\n".join(" " + json.dumps(c) for c in index) + "\n]\n")


if __name__ == "__main__":
    main()
