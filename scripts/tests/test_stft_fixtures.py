"""Tests of scripts/make_stft_fixtures.py, the generator of the Go stft package's fixtures."""

import importlib.util
import json
import os

import numpy as np
import torch

import tfc_tdf_v3_msst as msst

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
ROOT = os.path.dirname(SCRIPTS)

_spec = importlib.util.spec_from_file_location("make_stft_fixtures", os.path.join(SCRIPTS, "make_stft_fixtures.py"))
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)


def test_ref_stft_matches_msst_helper():
    """The fixtures' MDX23C STFT helper is the MSST model's, bit for bit."""
    cfg = msst.namespace({"n_fft": 256, "hop_length": 64, "dim_f": 96})
    theirs = msst.STFT(cfg)
    ours = fx.RefSTFT(256, 64, 96)
    x = torch.from_numpy(np.random.default_rng(1).standard_normal((2, 2, 64 * 15)).astype(np.float32))
    spec = ours(x)
    assert torch.equal(spec, theirs(x))
    net = spec.unsqueeze(1).repeat(1, 3, 1, 1, 1) + 0.1
    assert torch.equal(ours.inverse(net), theirs.inverse(net))


def test_hash_noise_known_values():
    """hash_noise is mirrored by hashNoise in stft/fixture_test.go; pin a few values."""
    v = fx.hash_noise(1, 4)
    assert v.dtype == np.float32
    assert np.all((v >= -1) & (v < 1))
    # splitmix64-style mix of (1 << 32) + i, top 24 bits scaled to [-1, 1).
    def mix(x):
        m = (1 << 64) - 1
        z = (x * 0x9E3779B97F4A7C15) & m
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
        z ^= z >> 31
        return (z >> 40) / 2.0**23 - 1
    assert v.tolist() == [np.float32(mix((1 << 32) + i)) for i in range(4)]


def test_committed_fixtures_are_listed():
    """Every file index.json names exists and has the size its shape implies."""
    out = os.path.join(ROOT, "stft", "testdata")
    with open(os.path.join(out, "index.json")) as f:
        index = json.load(f)
    for case in index["stft"]:
        assert os.path.getsize(os.path.join(out, case["x"])) == 4 * case["length"]
        assert os.path.getsize(os.path.join(out, case["stft"])) == 8 * case["bins"] * case["frames"]
        assert os.path.getsize(os.path.join(out, case["istft"])) == 4 * case["default_length"]
        for n, name in case["rand_istft"].items():
            if name is not None:
                assert os.path.getsize(os.path.join(out, name)) == 4 * int(n)
    for case in index["mdx"]:
        size = 4 * case["dim_f"] * case["frames"]
        assert os.path.getsize(os.path.join(out, case["spec"])) == 4 * case["batch"] * size
        assert os.path.getsize(os.path.join(out, case["out"])) == 4 * case["batch"] * case["stems"] * 2 * case["out_length"]
