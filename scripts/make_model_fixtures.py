#!/usr/bin/env python3
"""Regenerate the model fixtures of Go tests in testdata/models (`make fixtures-models`).

Writes, deterministically (fixed seeds):

- tiny models of the TFC-TDF v3 family with random weights, exported through
  the real path (random checkpoint file → export_model), each with inputs and
  the eager PyTorch module's outputs for forward and forward_spec as raw
  little-endian float32 files;
- identity.pt: forward returns its input audio once per stem, forward_spec its
  input spectrogram once per stem (exactly);
- identity_spec.pt: forward_spec as identity.pt, forward = the real model's
  STFT → forward_spec → iSTFT (the torch STFT round trip);
- manifest.json describing every file.

    make_model_fixtures.py [--out testdata/models]
"""

import argparse
import copy
import json
import os
import shutil
import sys
import tempfile

# TorchScript writes module constants in set order, which depends on string
# hashing: fix the hash seed so the archives come out byte for byte the same.
if __name__ == "__main__" and os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import yaml  # noqa: E402

from drumsplit_model import (IdentityNet, TFCTDFNet, build_metadata, export_model,  # noqa: E402
                             export_module, half_weights, load_config, parse_config,
                             random_state_dict)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RTOL = 1e-5  # max |got - want| <= RTOL * max |want|

with open(os.path.join(ROOT, "configs", "tiny_6stem.yaml")) as f:
    TINY6 = yaml.safe_load(f)


def variant(base, **sections):
    """A copy of a config dict with some fields of some sections replaced."""
    cfg = copy.deepcopy(base)
    for section, fields in sections.items():
        cfg.setdefault(section, {}).update(fields)
    return cfg


# name → (config dict, seed, [(method, batch)], description)
MODELS = [
    ("tiny6", TINY6, 1, [("forward", 2), ("forward_spec", 1)],
     "DrumSep-6-shaped (6 stems, 4 subbands, InstanceNorm, gelu), widths 4+4i, "
     "n_fft 256 / hop 64 / dim_f 128, 3 scales"),
    ("tiny5", variant(TINY6,
                      audio=dict(n_fft=512, hop_length=128, dim_f=256, chunk_size=128 * 7),
                      model=dict(norm="BatchNorm", act="elu1.0", num_scales=2),
                      training=dict(instruments=["kick", "snare", "toms", "hh", "cymbals"]),
                      inference=dict(batch_size=2, num_overlap=2)),
     2, [("forward", 2), ("forward_spec", 1)],
     "5 stems (DrumSep 5-stem names), BatchNorm, elu1.0, n_fft 512 / hop 128 / dim_f 256, 2 scales"),
    ("tiny_target", variant(TINY6,
                            audio=dict(n_fft=2048, hop_length=512, dim_f=1024, chunk_size=512 * 7),
                            model=dict(norm="GroupNorm2", act="relu", num_scales=2, bottleneck_factor=16),
                            training=dict(instruments=["Kick", "Snare"], target_instrument="Snare")),
     3, [("forward", 1), ("forward_spec", 1)],
     "single target_instrument (snare of kick, snare), GroupNorm2, relu, DrumSep's STFT "
     "(n_fft 2048 / hop 512 / dim_f 1024), 2 scales"),
]

# The fp16 export of tiny6's checkpoint; expected outputs are those of the
# runtime's CPU path: the fp16 weights converted back to fp32.
FP16 = ("tiny6_fp16", "tiny6", [("forward", 1)])

IDENTITY_CONFIG = os.path.join(ROOT, "configs", "drumsep_6stem_mdx23c.yaml")


def write_f32(path, t):
    a = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4"))
    with open(path, "wb") as f:
        f.write(a.tobytes())


def test_audio(gen, batch, length):
    """Deterministic stereo test signal: decaying tones plus noise, peak ≈ 0.5."""
    n = torch.arange(length, dtype=torch.float64)
    out = torch.empty(batch, 2, length, dtype=torch.float64)
    for b in range(batch):
        for c in range(2):
            freqs = torch.rand(3, generator=gen, dtype=torch.float64) * 8000 + 40
            x = sum(torch.sin(2 * np.pi * f / 44100 * n) for f in freqs) / 3
            x = x * torch.exp(-n / (length / 3))
            x = x + 0.05 * torch.randn(length, generator=gen, dtype=torch.float64)
            out[b, c] = 0.5 * x / x.abs().max()
    return out.float()


def cases_for(name, net, cfg, seed, cases, out_dir, scripted):
    """Write inputs and eager outputs of each (method, batch) case; check the archive agrees."""
    gen = torch.Generator().manual_seed(1000 + seed)
    entries = []
    for method, batch in cases:
        audio = test_audio(gen, batch, cfg.chunk_size)
        with torch.no_grad():
            if method == "forward":
                x = audio
            else:
                x = net.stft(audio)
            want = getattr(net, method)(x)
            got = getattr(scripted, method)(x)
        scale = want.abs().max().item()
        err = (got - want).abs().max().item()
        if not scale > 0 or err > RTOL * scale:
            raise SystemExit(f"{name}.{method}: exported model differs from eager: {err} (scale {scale})")
        stem = f"{name}.{method}"
        write_f32(os.path.join(out_dir, stem + ".input.f32"), x)
        write_f32(os.path.join(out_dir, stem + ".output.f32"), want)
        entries.append({
            "method": method,
            "input": stem + ".input.f32", "input_shape": list(x.shape),
            "output": stem + ".output.f32", "output_shape": list(want.shape),
            "output_max_abs": scale, "rtol": RTOL,
        })
    return entries


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="regenerate testdata/models")
    p.add_argument("--out", default=os.path.join(ROOT, "testdata", "models"))
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)  # reproducible summation order
    manifest = {
        "generator": "scripts/make_model_fixtures.py",
        "torch_version": torch.__version__,
        "data": "raw little-endian float32, C order, shapes as listed",
        "tolerance": "max |got - want| <= rtol * output_max_abs",
        "models": [],
    }
    tmp = tempfile.mkdtemp(prefix="drumsplit-fixtures-")
    try:
        checkpoints = {}
        for name, cfg_dict, seed, cases, desc in MODELS:
            cfg = parse_config(cfg_dict, source=name)
            ckpt = os.path.join(tmp, name + ".ckpt")
            torch.save(random_state_dict(cfg, seed), ckpt)
            checkpoints[name] = (ckpt, cfg_dict, cfg, seed)
            yml = os.path.join(tmp, name + ".yaml")
            with open(yml, "w") as f:
                yaml.safe_dump(cfg_dict, f, sort_keys=False)
            out = os.path.join(args.out, name + ".pt")
            meta = export_model(ckpt, yml, out, name=name)
            net = TFCTDFNet(cfg)
            net.load_state_dict(torch.load(ckpt))
            net.eval()
            scripted = torch.jit.load(out)
            entries = cases_for(name, net, cfg, seed, cases, args.out, scripted)
            manifest["models"].append({"file": name + ".pt", "name": name, "description": desc,
                                       "stems": meta["stems"], "precision": "fp32", "cases": entries})

        name, base, cases = FP16
        ckpt, cfg_dict, cfg, seed = checkpoints[base]
        yml = os.path.join(tmp, base + ".yaml")
        out = os.path.join(args.out, name + ".pt")
        meta = export_model(ckpt, yml, out, precision="fp16", name=name)
        net = TFCTDFNet(cfg)
        net.load_state_dict(torch.load(ckpt))
        half_weights(net).float().eval()  # what the runtime runs on the CPU
        scripted = torch.jit.load(out).float()
        entries = cases_for(name, net, cfg, seed, cases, args.out, scripted)
        manifest["models"].append({
            "file": name + ".pt", "name": name, "stems": meta["stems"], "precision": "fp16",
            "description": f"{base}'s checkpoint exported with --precision fp16; expected outputs are "
                           "those of its weights converted to fp32 (the CPU path)",
            "cases": entries})

        cfg = load_config(IDENTITY_CONFIG)
        for name, through, desc in [
                ("identity", False, "forward returns the input audio once per stem; forward_spec "
                                    "returns the input spectrogram once per stem"),
                ("identity_spec", True, "forward_spec as identity; forward = STFT → forward_spec → "
                                        "iSTFT with the real model's code (the torch round trip)")]:
            meta = build_metadata(cfg, name, "fp32", "", architecture="identity")
            export_module(IdentityNet(cfg, through_stft=through), meta, os.path.join(args.out, name + ".pt"))
            manifest["models"].append({"file": name + ".pt", "name": name, "description": desc,
                                       "stems": meta["stems"], "precision": "fp32", "cases": []})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
