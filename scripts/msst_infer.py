#!/usr/bin/env python3
"""Separate a folder of audio files the way MSST's inference.py does: the
reference of `drumsplit bench --process` (whole process, start to files written).

    msst_infer.py --model_type mdx23c --config_path config.yaml --start_check_point model.ckpt
                  --input_folder in/ --store_dir out/ [--force_cpu] [--pcm_type FLOAT|PCM_16|PCM_24]

Our own code, written from what Music-Source-Separation-Training's
inference.py does for an MDX23C model, step for step and in the same order,
so that timing this script from exec to exit is timing what a user of MSST
waits for: import torch; pick the device (CUDA, then MPS, then the CPU;
--force_cpu for the CPU); build the network from the yaml config (the eager
drumsplit_model.TFCTDFNet, MSST's TFC_TDF_net module for module); load the
checkpoint with torch.load(map_location="cpu") and a strict
load_state_dict; then for each file of the input folder (sorted): read it
with soundfile, demix it with msst_reference.demix_msst (MSST's demix, with
the config's chunk size, inference.num_overlap and inference.batch_size,
and CUDA autocast where the config's training.use_amp asks for it), and
write each stem with soundfile as store_dir/<file name>/<stem>.wav, 32-bit
float by default (MSST's --pcm_type FLOAT).

Differences from MSST, none of which the benchmark exercises: audio is read
with soundfile rather than librosa.load (which needs librosa and resamples;
here a file at another sample rate is an error), only mdx23c is known, and
there is no progress bar, test-time augmentation or spectrogram drawing.
MSST has no thread option: set OMP_NUM_THREADS, as its users do.

Errors are printed as one line on stderr (exit status 1; 2 for command line
mistakes).
"""

import argparse
import glob
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

PROG = "msst_infer"
# MSST's wrappers around a raw state_dict.
WRAPPER_KEYS = ("state", "state_dict")


class InferError(Exception):
    """An error meant for the user; its message is one line."""


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--model_type", default="mdx23c", help="model type (only mdx23c)")
    p.add_argument("--config_path", required=True, help="MSST yaml config")
    p.add_argument("--start_check_point", required=True, help="checkpoint (.ckpt)")
    p.add_argument("--input_folder", required=True, help="folder of audio files to separate")
    p.add_argument("--store_dir", required=True, help="folder for the stems")
    p.add_argument("--force_cpu", action="store_true", help="run on the CPU even where a GPU is available")
    p.add_argument("--pcm_type", choices=("FLOAT", "PCM_16", "PCM_24"), default="FLOAT",
                   help="sample format of the stems (default FLOAT: 32-bit float WAV)")
    args = p.parse_args(argv)
    if args.model_type != "mdx23c":
        p.error(f"--model_type {args.model_type}: only mdx23c is known")
    return args


def pick_device(force_cpu: bool) -> str:
    """MSST's order: CUDA, then MPS, then the CPU."""
    if force_cpu:
        return "cpu"
    if torch.cuda.is_available():
        return "cuda:0"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def load_model(config_path: str, checkpoint: str, device: str):
    """The network built from the config with the checkpoint's weights: (module, config)."""
    from drumsplit_model import ExportError, TFCTDFNet, load_config

    try:
        cfg = load_config(config_path)
    except ExportError as e:
        raise InferError(str(e)) from None
    model = TFCTDFNet(cfg)
    try:
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many kinds for a bad file
        raise InferError(f"cannot load {checkpoint}: {str(e).strip().splitlines()[0]}") from None
    if isinstance(state, dict):
        for k in WRAPPER_KEYS:
            if k in state and isinstance(state[k], dict):
                state = state[k]
                break
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise InferError(f"{checkpoint} does not fit {config_path}: {str(e).strip().splitlines()[0]}") from None
    return model.to(device).eval(), cfg


def read_audio(path: str, sample_rate: int):
    """(channels=2, L) float32 as MSST feeds demix."""
    import numpy as np
    import soundfile as sf

    try:
        data, sr = sf.read(path, dtype="float32", always_2d=True)
    except RuntimeError as e:
        raise InferError(f"cannot read {path}: {str(e).strip().splitlines()[0]}") from None
    if sr != sample_rate:
        raise InferError(f"{path} is at {sr} Hz, the model at {sample_rate} Hz (resample it first)")
    mix = data.T
    if mix.shape[0] == 1:
        mix = np.concatenate([mix, mix])
    return np.ascontiguousarray(mix[:2])


def separate_folder(args) -> int:
    """Separate every file of the input folder; returns the number of files."""
    import soundfile as sf

    import msst_reference

    device = pick_device(args.force_cpu)
    if device.startswith("cuda"):
        torch.backends.cudnn.benchmark = True
    model, cfg = load_model(args.config_path, args.start_check_point, device)
    paths = sorted(p for p in glob.glob(os.path.join(args.input_folder, "*")) if os.path.isfile(p))
    if not paths:
        raise InferError(f"no files in {args.input_folder}")
    use_amp = cfg.use_amp and device.startswith("cuda")
    for path in paths:
        t0 = time.time()
        mix = read_audio(path, cfg.sample_rate)
        stems = msst_reference.demix_msst(model, mix, cfg.chunk_size, cfg.num_overlap, cfg.batch_size,
                                          cfg.num_targets, device=device, use_amp=use_amp)
        name = os.path.splitext(os.path.basename(path))[0]
        out = os.path.join(args.store_dir, name)
        os.makedirs(out, exist_ok=True)
        for instr, s in zip(cfg.stems, stems):
            sf.write(os.path.join(out, f"{instr}.wav"), s.T, cfg.sample_rate, subtype=args.pcm_type)
        print(f"{os.path.basename(path)}: {time.time() - t0:.2f} s", file=sys.stderr)
    return len(paths)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        separate_folder(args)
    except (InferError, OSError) as e:
        print(f"{PROG}: {str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
