#!/usr/bin/env python3
"""Measures what static int8 quantisation would do to an exported drumsplit model.

This is the measurement behind not shipping `--precision int8` (docs/CPU_LEVERS.md):
it rebuilds the network from an exported model's weights, wraps every conv,
transposed conv and linear (optionally not the first and last convs) in
quant/dequant stubs (eager-mode static quantisation, libtorch's oneDNN quantised
engine; Debian's libtorch 1.13 has no FBGEMM), calibrates on the mixtures of a
`drumsplit render` set, and reports the SDR of the int8 stems against the fp32
stems on another set, and the CPU seconds per batch of four chunks of both.

Calibrate on training kits only (`drumsplit render --split train`), never on the
held-out kits that scripts/evaluate_model.sh scores with.

    /usr/bin/python3 scripts/int8_fidelity.py --model models/drumsplit_small.pt \\
        --config configs/drumsplit_small.yaml --calibrate CAL/train --test TEST/valid
"""

import argparse
import copy
import glob
import os
import sys
import time

import soundfile
import torch
import torch.nn as nn
from torch.ao.quantization import QConfig, QuantWrapper, convert, prepare
from torch.ao.quantization.observer import HistogramObserver, MinMaxObserver, PerChannelMinMaxObserver

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from drumsplit_model.config import load_config  # noqa: E402
from drumsplit_model.net import Conv2d, ConvTranspose2d, Linear, TFCTDFNet  # noqa: E402
from drumsplit_model.quantize import plain_layer as plain  # noqa: E402


class Int8Op(QuantWrapper):
    """quantise → int8 op → dequantise. forward_spec reads first_conv.weight.dtype
    for the dtype it feeds the network; the wrapped op takes float32."""

    def __init__(self, op: nn.Module):
        super().__init__(op)
        self.register_buffer("weight", torch.empty(0), persistent=False)


def wrap(mod: nn.Module, skip: set, prefix: str = "") -> None:
    for name, ch in mod.named_children():
        full = prefix + name
        if full in skip:
            continue
        if isinstance(ch, (Conv2d, ConvTranspose2d, Linear)):
            w = Int8Op(plain(ch))
            act = HistogramObserver.with_args(reduce_range=False)
            if isinstance(ch, ConvTranspose2d):  # no per-channel weights for transposed convs in 1.13
                weight = MinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric)
            else:
                weight = PerChannelMinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_channel_symmetric)
            w.qconfig = QConfig(activation=act, weight=weight)
            setattr(mod, name, w)
        else:
            wrap(ch, skip, full + ".")


def quantize(net: nn.Module, calibration: torch.Tensor, skip: set) -> nn.Module:
    """An int8 copy of net: every conv, transposed conv and linear not named in
    skip runs quantised, with activation ranges observed on calibration
    ([N, 2, chunk] audio, run in batches of 4)."""
    q = copy.deepcopy(net).eval()
    wrap(q, skip)
    prepare(q, inplace=True)
    with torch.no_grad():
        for i in range(0, len(calibration), 4):
            q(calibration[i:i + 4])
    return convert(q, inplace=True)


def chunks(folder: str, chunk: int, per_track: int) -> torch.Tensor:
    out = []
    for f in sorted(glob.glob(os.path.join(folder, "*", "mixture.wav"))):
        x, _ = soundfile.read(f, dtype="float32", always_2d=True)
        x = torch.from_numpy(x.T.copy())
        for s in range(0, x.shape[1] - chunk, max(1, x.shape[1] // per_track)):
            out.append(x[:, s:s + chunk])
    if not out:
        sys.exit(f"int8_fidelity: no */mixture.wav under {folder}")
    return torch.stack(out)


def sdr(ref: torch.Tensor, est: torch.Tensor) -> float:
    return (10 * torch.log10((ref ** 2).sum() / ((ref - est) ** 2).sum())).item()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--calibrate", required=True, help="a rendered split folder (training kits)")
    ap.add_argument("--test", required=True, help="another rendered split folder")
    ap.add_argument("--skip", default="", help="comma-separated layers kept in fp32, e.g. first_conv,final_conv")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.backends.quantized.engine = "onednn"
    cfg = load_config(a.config)
    net = TFCTDFNet(cfg)
    net.load_state_dict(torch.jit.load(a.model).state_dict())
    net.eval()
    cal = chunks(a.calibrate, cfg.chunk_size, 2)
    q = quantize(net, cal, set(filter(None, a.skip.split(","))))
    f32, i8 = torch.jit.script(net), torch.jit.script(q)
    test = chunks(a.test, cfg.chunk_size, 2)
    print(f"calibration chunks {len(cal)}, test chunks {len(test)}, engine onednn, {a.threads} thread(s)")
    with torch.no_grad():
        for name, m in (("fp32", f32), ("int8", i8)):
            for _ in range(2):
                m(test[:4])
            times = []
            for _ in range(3):
                c = time.process_time()
                m(test[:4])
                times.append(time.process_time() - c)
            print(f"{name}: CPU s per batch of 4 chunks, median of 3: {sorted(times)[1]:.3f}")
        ref = torch.cat([f32(test[i:i + 4]) for i in range(0, len(test), 4)])
        est = torch.cat([i8(test[i:i + 4]) for i in range(0, len(test), 4)])
    print(f"SDR int8 vs fp32, all stems: {sdr(ref, est):.1f} dB")
    for s, stem in enumerate(cfg.instruments if hasattr(cfg, "instruments") else range(ref.shape[1])):
        print(f"  {stem}: {sdr(ref[:, s], est[:, s]):.1f} dB")


if __name__ == "__main__":
    main()
