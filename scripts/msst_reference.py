#!/usr/bin/env python3
"""Reference demix of MSST and UVR in PyTorch, the yardstick of drumsplit's separator.

    msst_reference.py --model model.pt --input in.wav --output out/ [--mode msst|uvr]
                      [--overlap N] [--batch B] [--chunk C] [--per-chunk-window] [--tta]

The model is a drumsplit export (TorchScript, its forward method), or with
--config/--checkpoint the eager drumsplit_model.TFCTDFNet built from an MSST
yaml config and checkpoint. Input: a WAV/FLAC file (read with soundfile, at
the model's rate, no resampling) or raw little-endian float32 planar stereo
(`.f32`: all left samples, then all right samples). Output: a directory of
one WAV per stem (32-bit float), or with a `.f32` path one raw file holding
[stems, 2, L].

demix_msst transcribes Music-Source-Separation-Training's demix()
(utils/model_utils.py, "generic" mode) step for step, including its choice of
one window per batch: with --batch 1 (MSST's default for MDX23C configs) it
is MSST. --per-chunk-window applies the first/last-chunk window exceptions to
each chunk instead, which is what drumsplit does for every batch size.
demix_uvr transcribes UVR's SeperateMDXC.demix (the kuielab algorithm that
python-audio-separator uses too); --count-average divides by the number of
chunks covering each sample rather than by the overlap, as drumsplit does
(the two differ only when the overlap does not divide the chunk).

apply_tta transcribes MSST's test-time augmentation (utils/model_utils.py
apply_tta, inference.py --use_tta): the mix with its channels swapped and the
mix with its polarity inverted are demixed too, and the three results are
combined as (orig + swap-back(swapped) − inverted) / 3 in float32.

Errors are printed as one line on stderr (exit status 1; 2 for command line
mistakes).
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

PROG = "msst_reference"
METADATA_FILE = "drumsplit.json"


class ReferenceError(Exception):
    """An error meant for the user; its message is one line."""


# --------------------------------------------------------------------------
# MSST


def msst_window(chunk_size: int, fade_size: int) -> torch.Tensor:
    """MSST's _getWindowingArray: ones with a linear fade-in and fade-out of
    fade_size samples (both linspaces include their end points)."""
    fadein = torch.linspace(0, 1, fade_size)
    fadeout = torch.linspace(1, 0, fade_size)
    window = torch.ones(chunk_size)
    window[-fade_size:] = fadeout
    window[:fade_size] = fadein
    return window


def demix_msst(model, mix, chunk_size: int, num_overlap: int, batch_size: int, num_stems: int,
               device="cpu", use_amp: bool = False, per_chunk_window: bool = False) -> np.ndarray:
    """MSST's generic demix of mix (channels, L) → float32 array (stems, channels, L)."""
    mix = torch.tensor(np.asarray(mix), dtype=torch.float32)
    fade_size = chunk_size // 10
    step = chunk_size // num_overlap
    border = chunk_size - step
    length_init = mix.shape[-1]
    windowing_array = msst_window(chunk_size, fade_size)
    if length_init > 2 * border and border > 0:
        mix = nn.functional.pad(mix, (border, border), mode="reflect")

    with torch.cuda.amp.autocast(enabled=use_amp):
        with torch.inference_mode():
            req_shape = (num_stems,) + tuple(mix.shape)
            result = torch.zeros(req_shape, dtype=torch.float32)
            counter = torch.zeros(req_shape, dtype=torch.float32)
            i = 0
            batch_data = []
            batch_locations = []
            while i < mix.shape[1]:
                part = mix[:, i:i + chunk_size].to(device)
                chunk_len = part.shape[-1]
                pad_mode = "reflect" if chunk_len > chunk_size // 2 else "constant"
                part = nn.functional.pad(part, (0, chunk_size - chunk_len), mode=pad_mode, value=0)
                batch_data.append(part)
                batch_locations.append((i, chunk_len))
                i += step
                if len(batch_data) >= batch_size or i >= mix.shape[1]:
                    arr = torch.stack(batch_data, dim=0)
                    x = model(arr)
                    # MSST: one window for the whole batch, decided by the
                    # position after its last chunk.
                    window = windowing_array.clone()
                    if i - step == 0:
                        window[:fade_size] = 1
                    elif i >= mix.shape[1]:
                        window[-fade_size:] = 1
                    for j, (start, seg_len) in enumerate(batch_locations):
                        if per_chunk_window:
                            window = windowing_array.clone()
                            if start == 0:
                                window[:fade_size] = 1
                            elif start + step >= mix.shape[1]:
                                window[-fade_size:] = 1
                        result[..., start:start + seg_len] += x[j, ..., :seg_len].cpu() * window[..., :seg_len]
                        counter[..., start:start + seg_len] += window[..., :seg_len]
                    batch_data.clear()
                    batch_locations.clear()
            estimated_sources = result / counter
            estimated_sources = estimated_sources.cpu().numpy()
            np.nan_to_num(estimated_sources, copy=False, nan=0.0)
            if length_init > 2 * border and border > 0:
                estimated_sources = estimated_sources[..., border:-border]
    return estimated_sources


# --------------------------------------------------------------------------
# UVR


def demix_uvr(model, mix, chunk_size: int, overlap: int, batch_size: int, num_stems: int,
              device="cpu", average_by_count: bool = False) -> np.ndarray:
    """UVR's MDX-C demix of mix (2, L) → float32 array (stems, 2, L).

    UVR divides the sum by overlap. When overlap does not divide chunk_size
    some samples are covered overlap+1 times and come out too loud;
    average_by_count divides by the number of covering chunks instead, as
    drumsplit does (identical when overlap divides chunk_size).
    """
    mix = torch.tensor(np.asarray(mix), dtype=torch.float32)
    hop_size = chunk_size // overlap
    mix_shape = mix.shape[1]
    # Python's % is a floor modulo: for mix_shape < chunk_size the left
    # operand is negative and the result still lies in [0, hop_size).
    pad_size = hop_size - (mix_shape - chunk_size) % hop_size
    mix = torch.cat([torch.zeros(2, chunk_size - hop_size), mix,
                     torch.zeros(2, pad_size + chunk_size - hop_size)], 1)
    chunks = mix.unfold(1, chunk_size, hop_size).transpose(0, 1)
    batches = [chunks[i:i + batch_size] for i in range(0, len(chunks), batch_size)]
    X = torch.zeros(num_stems, *mix.shape) if num_stems > 1 else torch.zeros_like(mix)
    X = X.to(device)
    with torch.no_grad():
        cnt = 0
        for batch in batches:
            x = model(batch.to(device))
            for w in x:
                if num_stems == 1 and w.dim() == 3:
                    w = w[0]  # models that always return (B, S, 2, L)
                X[..., cnt * hop_size:cnt * hop_size + chunk_size] += w
                cnt += 1
    keep = slice(chunk_size - hop_size, -(pad_size + chunk_size - hop_size))
    if average_by_count:
        count = torch.zeros(mix.shape[1])
        for k in range(len(chunks)):
            count[k * hop_size:k * hop_size + chunk_size] += 1
        estimated_sources = X[..., keep] / count[keep].to(X.device)
    else:
        estimated_sources = X[..., keep] / overlap
    est = estimated_sources.cpu().numpy()
    if num_stems == 1:
        est = est[None]
    return est


# --------------------------------------------------------------------------
# MSST's test-time augmentation


def apply_tta(demix, mix: np.ndarray, waveforms: np.ndarray) -> np.ndarray:
    """MSST's apply_tta: demix (a function of a (2, L) mix returning
    (stems, 2, L)) also runs on the channel-swapped and on the
    polarity-inverted mix; waveforms (stems, 2, L), the demix of mix itself,
    is updated in place as MSST updates its float32 arrays and returned."""
    mix = np.asarray(mix, dtype=np.float32)
    track_proc_list = [mix[::-1].copy(), -1.0 * mix.copy()]
    for i, augmented_mix in enumerate(track_proc_list):
        out = demix(augmented_mix)
        for el in range(len(waveforms)):  # MSST: one array per instrument
            if i == 0:
                waveforms[el] += out[el][::-1].copy()
            else:
                waveforms[el] -= out[el]
    for el in range(len(waveforms)):
        waveforms[el] /= len(track_proc_list) + 1
    return waveforms


# --------------------------------------------------------------------------
# models and files


def load_torchscript(path: str, device="cpu"):
    """A drumsplit export: (forward callable, metadata dict)."""
    extra = {METADATA_FILE: ""}
    try:
        module = torch.jit.load(path, map_location="cpu", _extra_files=extra)
    except Exception as e:
        raise ReferenceError(f"cannot load {path}: {str(e).strip().splitlines()[0]}") from None
    if not extra[METADATA_FILE]:
        raise ReferenceError(f"{path} has no extra/{METADATA_FILE}: not a drumsplit export")
    meta = json.loads(extra[METADATA_FILE])
    module = module.to(device).eval()
    return module, meta


def load_eager(config: str, checkpoint: str, device="cpu"):
    """drumsplit_model.TFCTDFNet from an MSST yaml config and checkpoint: (module, metadata)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from drumsplit_model import TFCTDFNet, load_checkpoint, load_config

    cfg = load_config(config)
    net = TFCTDFNet(cfg)
    load_checkpoint(checkpoint, net, config=f"config {config}")
    net = net.to(device).eval()
    meta = {"sample_rate": cfg.sample_rate, "chunk_size": cfg.chunk_size, "stems": cfg.stems,
            "num_overlap": cfg.num_overlap, "batch_size": cfg.batch_size}
    return net, meta


def read_input(path: str) -> np.ndarray:
    """(2, L) float32 from a raw planar .f32 file or an audio file."""
    if path.endswith(".f32"):
        a = np.fromfile(path, dtype="<f4")
        if a.size % 2:
            raise ReferenceError(f"{path}: odd number of float32 values, not planar stereo")
        return a.reshape(2, -1).astype(np.float32)
    import soundfile as sf

    data, _ = sf.read(path, dtype="float32", always_2d=True)
    data = data.T
    if data.shape[0] == 1:
        data = np.concatenate([data, data])
    return np.ascontiguousarray(data[:2])


def write_output(path: str, stems: np.ndarray, names, sample_rate: int) -> None:
    if path.endswith(".f32"):
        np.ascontiguousarray(stems, dtype="<f4").tofile(path)
        return
    import soundfile as sf

    os.makedirs(path, exist_ok=True)
    for name, s in zip(names, stems):
        sf.write(os.path.join(path, f"{name}.wav"), s.T, sample_rate, subtype="FLOAT")


def separate(model, meta, mix, mode="msst", overlap=0, batch=0, chunk=0, device="cpu",
             use_amp=False, per_chunk_window=False, average_by_count=False, tta=False) -> np.ndarray:
    """Run one demix with the model's settings unless overridden (0 = the model's);
    with tta, MSST's test-time augmentation around it."""
    chunk = chunk or meta["chunk_size"]
    overlap = overlap or meta["num_overlap"]
    batch = batch or meta["batch_size"]
    stems = len(meta["stems"])
    if mode == "msst":
        def demix(m):
            return demix_msst(model, m, chunk, overlap, batch, stems, device=device, use_amp=use_amp,
                              per_chunk_window=per_chunk_window)
    elif mode == "uvr":
        def demix(m):
            return demix_uvr(model, m, chunk, overlap, batch, stems, device=device,
                             average_by_count=average_by_count)
    else:
        raise ReferenceError(f"unknown mode {mode!r} (want msst or uvr)")
    out = np.array(demix(mix), dtype=np.float32)
    if tta:
        out = apply_tta(demix, mix, out)
    return out


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--model", help="drumsplit export (.pt) whose forward is run")
    p.add_argument("--config", help="MSST yaml config (with --checkpoint: run the eager network)")
    p.add_argument("--checkpoint", help="MSST/UVR checkpoint (with --config)")
    p.add_argument("--input", required=True, help="audio file, or raw planar float32 stereo (.f32)")
    p.add_argument("--output", required=True, help="directory for one WAV per stem, or a .f32 file")
    p.add_argument("--mode", choices=("msst", "uvr"), default="msst")
    p.add_argument("--overlap", type=int, default=0, help="num_overlap (default: the model's)")
    p.add_argument("--batch", type=int, default=0, help="batch size (default: the model's)")
    p.add_argument("--chunk", type=int, default=0, help="chunk size (default: the model's)")
    p.add_argument("--per-chunk-window", action="store_true",
                   help="MSST: decide the edge windows per chunk (batch-size independent)")
    p.add_argument("--count-average", action="store_true",
                   help="UVR: divide by the chunks covering each sample instead of the overlap "
                        "(drumsplit's choice; the same when the overlap divides the chunk)")
    p.add_argument("--tta", action="store_true",
                   help="MSST's test-time augmentation (--use_tta): channel swap and polarity inversion, averaged")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.add_argument("--amp", action="store_true", help="MSST: CUDA autocast, as use_amp: true")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's)")
    args = p.parse_args(argv)
    if bool(args.model) == bool(args.config and args.checkpoint):
        p.error("give either --model, or --config and --checkpoint")
    for name in ("overlap", "batch", "chunk"):
        if getattr(args, name) < 0:
            p.error(f"--{name} must not be negative")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        if args.threads:
            torch.set_num_threads(args.threads)
        if args.model:
            model, meta = load_torchscript(args.model, args.device)
        else:
            model, meta = load_eager(args.config, args.checkpoint, args.device)
        mix = read_input(args.input)
        stems = separate(model, meta, mix, mode=args.mode, overlap=args.overlap, batch=args.batch,
                         chunk=args.chunk, device=args.device, use_amp=args.amp,
                         per_chunk_window=args.per_chunk_window, average_by_count=args.count_average,
                         tta=args.tta)
        write_output(args.output, stems, meta["stems"], meta["sample_rate"])
    except (ReferenceError, OSError, RuntimeError) as e:
        print(f"{PROG}: {str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
