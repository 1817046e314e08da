#!/usr/bin/env python3
"""Regenerate the parity fixtures of the separator's Go tests (`make fixtures-separator`).

For each case, a deterministic stereo input and the stems scripts/msst_reference.py
computes from it (MSST's demix at batch 1, i.e. MSST itself, or UVR's demix;
the `_tta` cases with MSST's test-time augmentation around it)
with one of the tiny exported models of testdata/models (run `make
fixtures-models` first) or with "chunknorm", a weightless function simple
enough to be written in Go too (the Go tests use it without libtorch).
Files are raw little-endian float32: <case>.input.f32 is [2, L],
<case>.output.f32 is [stems, 2, L]; manifest.json lists the cases.

    make_separator_fixtures.py [--out separator/testdata] [--models testdata/models]
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import msst_reference as ref  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (model, mode, overlap, length): overlap 0 = the model's num_overlap. The
# lengths probe every branch of the demix: a lone chunk shorter than half a
# chunk (zero tail), a lone partial chunk (reflect tail), a track just too
# short / just long enough for MSST's reflect padding, several partial
# chunks at the end, overlap 1's zero weights, UVR's floor-mod tail.
CASES = [
    ("tiny6", "msst", 0, 300),      # C 960, N 4: L < C/2
    ("tiny6", "msst", 0, 700),      # C/2 < L < C
    ("tiny6", "msst", 0, 1440),     # L = 2·border: no padding
    ("tiny6", "msst", 0, 1441),     # padded
    ("tiny6", "msst", 0, 3000),
    ("tiny6", "msst", 3, 2500),
    ("tiny6", "msst", 1, 2000),     # zero weights at chunk edges
    ("tiny6", "msst", 8, 2222),
    ("tiny6", "uvr", 4, 2500),
    ("tiny6", "uvr", 8, 700),
    ("tiny6", "uvr", 7, 1900),      # 7 does not divide 960: averaged by count, not ÷7
    ("tiny5", "msst", 0, 2000),     # C 896, N 2, BatchNorm / elu
    ("tiny5", "uvr", 3, 1800),
    ("tiny_target", "msst", 0, 8000),  # one stem, n_fft 2048
    ("tiny_target", "uvr", 2, 5000),
    ("chunknorm", "msst", 4, 2600),
    ("chunknorm", "msst", 1, 2500),
    ("chunknorm", "msst", 3, 450),
    ("chunknorm", "uvr", 3, 2900),
]

# The same with MSST's test-time augmentation (apply_tta around the demix):
# the network is neither odd nor symmetric in its channels, so each of the
# three demixes counts.
TTA_CASES = [
    ("tiny6", "msst", 0, 2500),
    ("tiny6", "msst", 3, 700),
    ("tiny6", "uvr", 4, 1900),
    ("tiny_target", "msst", 0, 5000),
]

CHUNKNORM_META = {"chunk_size": 1000, "num_overlap": 4, "batch_size": 1, "stems": ["y", "mix"],
                  "sample_rate": 44100}


def chunknorm(x: torch.Tensor) -> torch.Tensor:
    """[B, 2, C] → [B, 2, 2, C]: per chunk and channel, (x − mean)/(sd + 1e-3)
    shaped by the position in the chunk (stem 0), and half of that plus x
    (stem 1). Its output depends on the whole chunk, like InstanceNorm."""
    x = x.double()
    c = x.shape[-1]
    mean = x.mean(dim=-1, keepdim=True)
    sd = (x - mean).pow(2).mean(dim=-1, keepdim=True).sqrt() + 1e-3
    pos = 1 + 0.5 * torch.arange(c, dtype=torch.float64) / c
    y = (x - mean) / sd * pos
    return torch.stack([y, 0.5 * y + x], dim=1).float()


def test_signal(seed: int, length: int) -> np.ndarray:
    """Deterministic stereo signal: a few tones with an envelope plus noise, peak 0.5."""
    gen = torch.Generator().manual_seed(seed)
    n = torch.arange(length, dtype=torch.float64)
    out = torch.empty(2, length, dtype=torch.float64)
    for c in range(2):
        freqs = torch.rand(3, generator=gen, dtype=torch.float64) * 6000 + 50
        x = sum(torch.sin(2 * np.pi * f / 44100 * n) for f in freqs) / 3
        x = x * (0.6 + 0.4 * torch.cos(2 * np.pi * n / 1234.5))
        x = x + 0.1 * torch.randn(length, generator=gen, dtype=torch.float64)
        out[c] = 0.5 * x / x.abs().max()
    return out.float().numpy()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="regenerate the separator's parity fixtures")
    p.add_argument("--out", default=os.path.join(ROOT, "separator", "testdata"))
    p.add_argument("--models", default=os.path.join(ROOT, "testdata", "models"))
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    models = {}
    manifest = {
        "generator": "scripts/make_separator_fixtures.py",
        "reference": "scripts/msst_reference.py (demix_msst at batch 1 = MSST; demix_uvr with "
                     "average_by_count, = UVR when the overlap divides the chunk)",
        "torch_version": torch.__version__,
        "data": "raw little-endian float32, C order: input [2, L], output [stems, 2, L]",
        "cases": [],
    }
    cases = [c + (False,) for c in CASES] + [c + (True,) for c in TTA_CASES]
    for k, (name, mode, overlap, length, tta) in enumerate(cases):
        if name == "chunknorm":
            model, meta, path = chunknorm, CHUNKNORM_META, ""
        else:
            if name not in models:
                path = os.path.join(args.models, name + ".pt")
                if not os.path.exists(path):
                    raise SystemExit(f"{path} is missing: run make fixtures-models first")
                models[name] = ref.load_torchscript(path) + (path,)
            model, meta, path = models[name]
        mix = test_signal(100 + k, length)
        # UVR cases divide by the chunks covering each sample, as drumsplit
        # does; that is UVR's own ÷ overlap whenever the overlap divides the
        # chunk (every case here but tiny6 with overlap 7).
        stems = ref.separate(model, meta, mix, mode=mode, overlap=overlap, batch=1, average_by_count=True,
                             tta=tta)
        case = f"{name}_{mode}_n{overlap or meta['num_overlap']}_l{length}" + ("_tta" if tta else "")
        np.ascontiguousarray(mix, dtype="<f4").tofile(os.path.join(args.out, case + ".input.f32"))
        np.ascontiguousarray(stems, dtype="<f4").tofile(os.path.join(args.out, case + ".output.f32"))
        manifest["cases"].append({
            "name": case, "model": name + ".pt" if path else name, "mode": mode,
            "overlap": overlap or meta["num_overlap"], "chunk": meta["chunk_size"], "length": length,
            "stems": len(meta["stems"]), "max_abs": float(np.abs(stems).max()),
        })
        if tta:
            manifest["cases"][-1]["tta"] = True
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
