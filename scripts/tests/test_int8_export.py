"""`export_model.py --precision int8`: the recipe's layers, the exported
TorchScript int8 model, its stored fidelity, and the command line's errors."""

import json
import os
import subprocess
import sys
import zipfile

import pytest
import torch

from model_testutil import CONFIGS, SCRIPTS

from drumsplit_model import load_config, random_state_dict
from drumsplit_model.export import read_chunks
from drumsplit_model.net import TFCTDFNet
from drumsplit_model import quantize

TINY = os.path.join(CONFIGS, "tiny_6stem.yaml")
EXPORT = os.path.join(SCRIPTS, "export_model.py")


def drums(n, chunk, seed):
    """n chunks of decaying noise bursts, a crude stand-in for drum hits."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(chunk, dtype=torch.float32)
    out = torch.zeros(n, 2, chunk)
    for i in range(n):
        for _ in range(4):
            at = int(torch.randint(0, chunk, (1,), generator=g))
            env = torch.exp(-(t - at).clamp(min=0) / 200) * (t >= at)
            out[i] += 0.3 * torch.randn(2, chunk, generator=g) * env
    return out


def write_raw(path, x):
    path.write_bytes(x.contiguous().numpy().astype("<f4").tobytes())
    return str(path)


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory):
    cfg = load_config(TINY)
    p = tmp_path_factory.mktemp("ck") / "tiny.ckpt"
    torch.save(random_state_dict(cfg, seed=3), p)
    return cfg, str(p)


def test_recipe_quantises_deep_layers_only():
    cfg = load_config(TINY)  # 3 scales: levels 0..3 (3 = bottleneck)
    net = TFCTDFNet(cfg)
    got = quantize.int8_layers(net)
    assert got, "no layer chosen"
    for name in got:
        assert not name.startswith(("first_conv", "final_conv"))
        assert not name.startswith(("encoder_blocks.0.tfc_tdf", "encoder_blocks.1.tfc_tdf"))
        assert not name.startswith(("decoder_blocks.2", "decoder_blocks.1.tfc_tdf"))
        assert name != "encoder_blocks.0.downscale.conv.2"  # produces level 1
    # Level >= 2: encoder 2 (and the downscale of 1, which produces level 2),
    # the bottleneck, decoder 0 and the upscale of decoder 1 (it reads level 2).
    assert "encoder_blocks.1.downscale.conv.2" in got
    assert "encoder_blocks.2.tfc_tdf.blocks.0.tfc1.2" in got
    assert "bottleneck_block.blocks.0.tdf.2" in got
    assert "decoder_blocks.0.tfc_tdf.blocks.0.shortcut" in got
    assert "decoder_blocks.1.upscale.conv.2" in got
    assert set(quantize.int8_layers(net, min_level=0)) == set(quantize.layer_names(net)) - {
        "first_conv", "final_conv.0", "final_conv.2"}


def test_int8_export_runs_close_to_fp32_and_says_how_close(tmp_path, tiny_ckpt):
    cfg, ck = tiny_ckpt
    cal = write_raw(tmp_path / "cal.f32", drums(12, cfg.chunk_size, seed=1))
    check_audio = drums(4, cfg.chunk_size, seed=2)
    check = write_raw(tmp_path / "check.f32", check_audio)
    f32, i8 = str(tmp_path / "f32.pt"), str(tmp_path / "i8.pt")
    for out, extra in ((f32, []), (i8, ["--precision", "int8", "--calibration", cal, "--check", check])):
        r = subprocess.run([sys.executable, EXPORT, "--checkpoint", ck, "--config", TINY, "-o", out] + extra,
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    assert "int8: " in r.stdout and "SDR against fp32" in r.stdout
    with zipfile.ZipFile(i8) as z:
        meta = json.loads(z.read("i8/extra/drumsplit.json"))
    assert meta["precision"] == "int8"
    q = meta["int8"]
    assert q["layers"] == quantize.int8_layers(TFCTDFNet(cfg))
    assert sorted(q["layers"] + q["fp32_layers"]) == sorted(quantize.layer_names(TFCTDFNet(cfg)))
    assert (q["calibration_chunks"], q["check_chunks"]) == (12, 4)
    assert list(q["sdr_vs_fp32_db"]) == cfg.stems

    a, b = torch.jit.load(f32), torch.jit.load(i8)
    # Really quantised: the chosen layers call quantised kernels, the others do not.
    def code(name):
        m = b
        for part in name.split("."):
            m = getattr(m, part)
        return m.code

    assert "ops.quantized.conv2d" in code("encoder_blocks.2.tfc_tdf.blocks.0.tfc1.2.module")
    assert "ops.quantized.linear" in code("bottleneck_block.blocks.0.tdf.2.module")
    assert "quantized" not in code("first_conv") and "quantized" not in code("encoder_blocks.0.tfc_tdf.blocks.0.tfc1.2")
    with torch.no_grad():
        want, got = a(check_audio), b(check_audio)
        spec = a.stft(check_audio)
        want_s, got_s = a.forward_spec(spec), b.forward_spec(spec)
    sdr = quantize.stem_sdr(want, got)
    assert min(sdr) > 20, sdr
    assert not torch.equal(want, got)  # int8 is not a no-op
    # The stored fidelity is what the saved model does on the check audio.
    for s, v in zip(cfg.stems, sdr):
        assert abs(q["sdr_vs_fp32_db"][s] - v) < 0.05, (s, q["sdr_vs_fp32_db"][s], v)
    assert min(quantize.stem_sdr(want_s, got_s)) > 20


def test_int8_command_line_errors(tmp_path, tiny_ckpt):
    cfg, ck = tiny_ckpt
    base = [sys.executable, EXPORT, "--checkpoint", ck, "--config", TINY, "-o", str(tmp_path / "m.pt")]
    good = write_raw(tmp_path / "good.f32", drums(2, cfg.chunk_size, seed=5))
    empty = tmp_path / "empty.f32"
    empty.write_bytes(b"")
    odd = tmp_path / "odd.f32"
    odd.write_bytes(b"\0" * (4 * 2 * cfg.chunk_size + 4))
    cases = [
        (["--precision", "int8"], 2, "--precision int8 needs --calibration and --check"),
        (["--calibration", good, "--check", good], 2, "go with --precision int8 only"),
        (["--precision", "int8", "--calibration", str(empty), "--check", good], 1, "int8 needs calibration audio"),
        (["--precision", "int8", "--calibration", str(odd), "--check", good], 1, "are not whole chunks"),
        (["--precision", "int8", "--calibration", str(tmp_path / "none.f32"), "--check", good], 1, "cannot read"),
    ]
    for extra, code, needle in cases:
        r = subprocess.run(base + extra, capture_output=True, text=True)
        assert r.returncode == code, (extra, r.stderr)
        assert needle in r.stderr, (extra, r.stderr)
        if code == 1:
            assert r.stderr.count("\n") == 1, r.stderr
    assert not os.path.exists(tmp_path / "m.pt")


def test_describe_prints_what_calibration_needs():
    r = subprocess.run([sys.executable, EXPORT, "--config", TINY, "--describe"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"sample_rate": 44100, "chunk_size": 960, "channels": 2}


def test_read_chunks_refuses_non_finite(tmp_path):
    x = torch.zeros(1, 2, 8)
    x[0, 1, 3] = float("nan")
    p = write_raw(tmp_path / "nan.f32", x)
    with pytest.raises(Exception, match="NaN"):
        read_chunks(p, 8)
    assert read_chunks(write_raw(tmp_path / "ok.f32", torch.ones(3, 2, 8)), 8).shape == (3, 2, 8)
