"""Tests of scripts/msst_reference.py, the demix reference of the separator's parity tests."""

import importlib.util
import os

import numpy as np
import pytest
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
ROOT = os.path.dirname(SCRIPTS)

# Loaded by path: scripts/tests has a module of the same name (the eager network).
_spec = importlib.util.spec_from_file_location("demix_reference", os.path.join(SCRIPTS, "msst_reference.py"))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


def identity(stems):
    return lambda x: x.unsqueeze(1).expand(x.shape[0], stems, *x.shape[1:]).clone()


def chunk_norm(x):
    """Output depends on the whole chunk (like InstanceNorm) and on position."""
    mean = x.mean(dim=-1, keepdim=True)
    sd = x.std(dim=-1, unbiased=False, keepdim=True) + 1e-3
    pos = 1 + 0.5 * torch.arange(x.shape[-1]) / x.shape[-1]
    y = (x - mean) / sd * pos
    return torch.stack([y, 0.5 * y + x], dim=1)


def noise(n, seed=0):
    return np.random.default_rng(seed).uniform(-0.9, 0.9, size=(2, n)).astype(np.float32)


@pytest.mark.parametrize("overlap", [2, 3, 4, 8])
@pytest.mark.parametrize("length", [1, 300, 999, 1000, 1001, 1499, 1500, 1501, 5000])
def test_msst_identity(overlap, length):
    mix = noise(length)
    out = ref.demix_msst(identity(2), mix, 1000, overlap, 1, 2)
    assert out.shape == (2, 2, length)
    np.testing.assert_allclose(out[0], mix, atol=1e-6)
    np.testing.assert_allclose(out[1], mix, atol=1e-6)


def test_msst_zero_weights_overlap1():
    # Overlap 1 has no padding and no overlap: the chunk edges after the
    # first get weight 0 from both sides, and nan_to_num turns them into 0.
    mix = noise(2500)
    out = ref.demix_msst(identity(1), mix, 1000, 1, 1, 1)[0]
    zero = [999, 1000, 1999, 2000]
    np.testing.assert_array_equal(out[:, zero], 0)
    keep = np.ones(2500, bool)
    keep[zero] = False
    np.testing.assert_allclose(out[:, keep], mix[:, keep], atol=1e-6)


@pytest.mark.parametrize("length", [1, 999, 5000, 5300])
def test_uvr_identity(length):
    mix = noise(length)
    for overlap in (1, 2, 4, 8):
        out = ref.demix_uvr(identity(3), mix, 1000, overlap, 3, 3)
        assert out.shape == (3, 2, length)
        np.testing.assert_allclose(out[2], mix, atol=1e-6)


def test_uvr_overcount_when_overlap_does_not_divide_chunk():
    # C = 1000, N = 3 → hop 333: a window of 1000 covers 3 or 4 chunk starts,
    # and UVR divides by 3 anyway.
    mix = np.ones((2, 4000), np.float32)
    out = ref.demix_uvr(identity(1), mix, 1000, 3, 1, 1)[0]
    values = np.unique(np.round(out, 5))
    np.testing.assert_allclose(values, [1.0, 4 / 3], rtol=1e-5)
    # Averaging by the count of covering chunks returns the input.
    out = ref.demix_uvr(identity(1), mix, 1000, 3, 1, 1, average_by_count=True)[0]
    np.testing.assert_allclose(out, mix, atol=1e-6)


def test_uvr_count_average_is_uvr_when_overlap_divides_chunk():
    mix = noise(3300, 4)
    for overlap in (1, 2, 4, 5, 8):
        a = ref.demix_uvr(chunk_norm, mix, 1000, overlap, 2, 2)
        b = ref.demix_uvr(chunk_norm, mix, 1000, overlap, 2, 2, average_by_count=True)
        np.testing.assert_array_equal(a, b)


def test_uvr_pad_formula_floor_mod():
    # L < C: Python's % keeps the pad in (0, hop]; the output has length L.
    mix = noise(100)
    out = ref.demix_uvr(chunk_norm, mix, 1000, 8, 2, 2)
    assert out.shape == (2, 2, 100)


def test_msst_batch_quirk_and_per_chunk_window():
    # 32 chunks: MSST's window for the last batch of 8 drops the fade-out of
    # chunks whose fade-out lies inside the output.
    mix = noise(6400, 1)
    b1 = ref.demix_msst(chunk_norm, mix, 1000, 4, 1, 2)
    b8 = ref.demix_msst(chunk_norm, mix, 1000, 4, 8, 2)
    assert np.abs(b1 - b8).max() > 1e-3
    for batch in (1, 3, 8):
        pc = ref.demix_msst(chunk_norm, mix, 1000, 4, batch, 2, per_chunk_window=True)
        np.testing.assert_array_equal(pc, b1)


def test_separate_with_export(tmp_path):
    model = os.path.join(ROOT, "testdata", "models", "tiny6.pt")
    if not os.path.exists(model):
        pytest.skip("testdata/models/tiny6.pt not generated")
    mix = noise(3000, 2) * 0.5
    inp = tmp_path / "in.f32"
    mix.tofile(inp)
    out = tmp_path / "out.f32"
    assert ref.main(["--model", model, "--input", str(inp), "--output", str(out), "--batch", "2",
                     "--per-chunk-window"]) == 0
    got = np.fromfile(out, dtype="<f4").reshape(6, 2, 3000)
    module, meta = ref.load_torchscript(model)
    want = ref.separate(module, meta, mix)  # batch 1: MSST itself
    # Equal up to the rounding differences of batched convolutions.
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * np.abs(want).max())


def test_cli_errors(capsys):
    assert ref.main(["--model", "/nonexistent.pt", "--input", "x.f32", "--output", "y.f32"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("msst_reference: ") and err.count("\n") == 1
    with pytest.raises(SystemExit) as e:
        ref.main(["--input", "x.f32", "--output", "y"])
    assert e.value.code == 2


def test_apply_tta_formula():
    # MSST's apply_tta: (orig + swap-back(demix(swapped)) - demix(-mix)) / 3.
    # A model that is neither odd nor symmetric in its channels shows every
    # term: the square of the left channel, and the right channel only in
    # the right output.
    def demix(m):
        m = np.asarray(m, dtype=np.float32)
        return np.stack([np.stack([m[0] * m[0] + 0.5 * m[0], m[1] + 0.25 * m[0]])]).astype(np.float32)

    mix = noise(50, seed=3)
    got = ref.apply_tta(demix, mix, demix(mix))
    swapped = demix(mix[::-1].copy())[:, ::-1]
    want = (demix(mix) + swapped - demix(-mix)) / np.float32(3)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert np.abs(got - demix(mix)).max() > 1e-2  # the augmentation changes the result


def test_apply_tta_equivariant_model():
    # For a model that is odd and treats channels alike (chunk_norm), the
    # augmented separations un-augment to the plain one.
    mix = noise(2345, seed=4)
    plain = ref.separate(chunk_norm, {"chunk_size": 1000, "num_overlap": 4, "batch_size": 1,
                                      "stems": ["a", "b"]}, mix)
    tta = ref.separate(chunk_norm, {"chunk_size": 1000, "num_overlap": 4, "batch_size": 1,
                                    "stems": ["a", "b"]}, mix, tta=True)
    np.testing.assert_allclose(tta, plain, atol=1e-5)
