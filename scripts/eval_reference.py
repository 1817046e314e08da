#!/usr/bin/env python3
"""Reference implementation of drumsplit eval's metrics in numpy.

The formulas are those of MSST (ZFTurbo/Music-Source-Separation-Training,
utils/metrics.py), with eps = 1e-8, computed in float64 on the whole track
(both channels together):

    sdr    = 10 log10((sum ref^2 + eps) / (sum (ref - est)^2 + eps))
    alpha  = sum(est * ref + eps) / sum(ref^2 + eps)        (eps per sample)
    si_sdr = 10 log10(sum (alpha ref)^2 / (sum (alpha ref - est)^2 + eps) + eps)

A perfect estimate scores 10 log10((sum ref^2 + eps) / eps) (SDR).

Usage:
    eval_reference.py --reference DIR --estimates DIR     score folders like drumsplit eval
    eval_reference.py --make-fixture testdata/eval/fixture.json

The fixture holds small float32 signals and the scores computed here; the Go
tests (eval package) must agree with them within 1e-4 dB and
scripts/tests/test_eval_reference.py checks that they still match this file.
"""

import argparse
import base64
import json
import os
import sys

import numpy as np

EPS = 1e-8


def sdr(ref, est):
    """Simple SDR in dB of est against ref, arrays of shape (channels, frames)."""
    ref = np.asarray(ref, dtype=np.float64)
    est = np.asarray(est, dtype=np.float64)
    num = np.sum(np.square(ref)) + EPS
    den = np.sum(np.square(ref - est)) + EPS
    return float(10 * np.log10(num / den))


def si_sdr(ref, est):
    """Scale-invariant SDR in dB, exactly as MSST's si_sdr for one source."""
    ref = np.asarray(ref, dtype=np.float64)
    est = np.asarray(est, dtype=np.float64)
    scale = np.sum(est * ref + EPS) / np.sum(ref ** 2 + EPS)
    ref = ref * scale
    return float(10 * np.log10(np.sum(ref ** 2) / (np.sum((ref - est) ** 2) + EPS) + EPS))


def encode(x):
    """float32 array (channels, frames) -> base64 of little-endian float32."""
    return base64.b64encode(np.ascontiguousarray(x, dtype="<f4").tobytes()).decode("ascii")


def decode(s, channels):
    return np.frombuffer(base64.b64decode(s), dtype="<f4").reshape(channels, -1)


def fixture_cases(seed=2024, frames=300):
    """Small stereo cases covering the interesting regimes of the metrics."""
    rng = np.random.default_rng(seed)

    def noise(scale=1.0):
        return (rng.standard_normal((2, frames)) * scale).astype(np.float32)

    t = np.arange(frames) / 44100.0
    tone = np.stack([np.sin(2 * np.pi * 440 * t), 0.5 * np.sin(2 * np.pi * 660 * t)]).astype(np.float32)
    drum = (noise(0.3) * np.exp(-t * 300)).astype(np.float32)
    cases = [
        ("good estimate", tone, tone + noise(0.01)),
        ("poor estimate", tone, tone + noise(0.5)),
        ("perfect estimate", drum, drum.copy()),
        ("scaled estimate", tone, (0.5 * tone).astype(np.float32)),
        ("negated estimate", drum, -drum),
        ("silent estimate", tone, np.zeros_like(tone)),
        ("silent reference", np.zeros_like(tone), noise(0.1)),
        ("both silent", np.zeros_like(tone), np.zeros_like(tone)),
        ("quiet signals", (tone * 1e-4).astype(np.float32), (tone * 1e-4 + noise(1e-5)).astype(np.float32)),
        ("unrelated", noise(0.2), noise(0.2)),
    ]
    return cases


def make_fixture(path):
    out = {
        "comment": "made by scripts/eval_reference.py --make-fixture; float32 little-endian, "
                   "base64, shape (channels, frames); scores in dB computed in float64 by numpy",
        "epsilon": EPS,
        "cases": [],
    }
    for name, ref, est in fixture_cases():
        out["cases"].append({
            "name": name,
            "channels": int(ref.shape[0]),
            "reference": encode(ref),
            "estimate": encode(est),
            "sdr": sdr(ref, est),
            "si_sdr": si_sdr(ref, est),
        })
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


AUDIO_EXTS = (".wav", ".flac")


def stems_in(folder):
    found = {}
    if not os.path.isdir(folder):
        return found
    for name in sorted(os.listdir(folder)):
        base, ext = os.path.splitext(name)
        if ext.lower() not in AUDIO_EXTS:
            continue
        base = base.lower()
        if base in ("mixture", "mix"):
            continue
        if base in ("hihat", "hi-hat"):
            base = "hh"
        found.setdefault(base, os.path.join(folder, name))
    return found


def read(path):
    import soundfile as sf

    data, rate = sf.read(path, dtype="float64", always_2d=True)
    data = data.T
    if data.shape[0] == 1:
        data = np.concatenate([data, data])
    return data[:2], rate


def evaluate_dirs(reference, estimates):
    """Scores every track like drumsplit eval (same layouts, same averages)."""
    tracks = []
    for track in sorted(os.listdir(reference)):
        refs = stems_in(os.path.join(reference, track))
        if not refs:
            continue
        ests = stems_in(os.path.join(estimates, track)) or stems_in(os.path.join(estimates, track, "mixture"))
        if not ests:
            raise SystemExit(f"no estimates for track {track}")
        scores = {}
        for stem, path in ests.items():
            if stem in refs:
                ref, _ = read(refs[stem])
            elif stem == "cymbals" and "ride" in refs and "crash" in refs:
                ref = read(refs["ride"])[0] + read(refs["crash"])[0]
            else:
                continue
            est, _ = read(path)
            n = min(ref.shape[1], est.shape[1])
            ref, est = ref[:, :n], est[:, :n]
            scores[stem] = {
                "sdr": sdr(ref, est),
                "si_sdr": si_sdr(ref, est),
                "silent_reference": bool(np.sum(ref ** 2) < EPS),
            }
        tracks.append({"track": track, "stems": scores})
    per_stem = {}
    for stem in sorted({s for t in tracks for s in t["stems"]}):
        vals = [t["stems"][stem] for t in tracks if stem in t["stems"] and not t["stems"][stem]["silent_reference"]]
        if vals:
            per_stem[stem] = {
                "tracks": len(vals),
                "sdr_mean": float(np.mean([v["sdr"] for v in vals])),
                "sdr_median": float(np.median([v["sdr"] for v in vals])),
                "si_sdr_mean": float(np.mean([v["si_sdr"] for v in vals])),
                "si_sdr_median": float(np.median([v["si_sdr"] for v in vals])),
            }
    return {
        "epsilon": EPS,
        "tracks": tracks,
        "per_stem": per_stem,
        "sdr_mean": float(np.mean([s["sdr_mean"] for s in per_stem.values()])) if per_stem else 0.0,
        "si_sdr_mean": float(np.mean([s["si_sdr_mean"] for s in per_stem.values()])) if per_stem else 0.0,
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reference", help="folder of reference tracks (TRACK/STEM.wav)")
    p.add_argument("--estimates", help="folder of estimated tracks (TRACK/STEM.wav)")
    p.add_argument("--make-fixture", metavar="PATH", help="write the test fixture")
    a = p.parse_args(argv)
    if a.make_fixture:
        make_fixture(a.make_fixture)
        return 0
    if not (a.reference and a.estimates):
        p.error("give --reference and --estimates, or --make-fixture")
    json.dump(evaluate_dirs(a.reference, a.estimates), sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
