"""scripts/msst_infer.py (the whole-process reference of `drumsplit bench`)
and scripts/make_bench_config.py (its models' configs)."""

import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
import torch
import yaml

from model_testutil import CONFIGS, ROOT, SCRIPTS

import make_bench_config
import msst_infer
import msst_reference
from drumsplit_model import load_config, random_state_dict

TINY = os.path.join(CONFIGS, "tiny_6stem.yaml")
STEMS = ["kick", "snare", "toms", "hh", "ride", "crash"]


@pytest.fixture
def job(tmp_path):
    """A tiny model's config and checkpoint, and an input folder holding one mix."""
    ckpt = tmp_path / "tiny.ckpt"
    torch.save(random_state_dict(load_config(TINY), seed=3), ckpt)
    inp = tmp_path / "in"
    inp.mkdir()
    mix = np.random.default_rng(2).uniform(-0.5, 0.5, size=(5000, 2)).astype(np.float32)
    sf.write(inp / "groove.wav", mix, 44100, subtype="FLOAT")
    return dict(config=TINY, ckpt=str(ckpt), inp=str(inp), out=str(tmp_path / "out"), mix=mix.T.copy())


def args(j, *extra):
    return ["--model_type", "mdx23c", "--config_path", j["config"], "--start_check_point", j["ckpt"],
            "--input_folder", j["inp"], "--store_dir", j["out"], "--force_cpu", *extra]


def test_stems_are_msst_demix(job):
    """Each stem file holds MSST's demix at the config's inference settings
    (overlap 4, batch 1), as 32-bit float: exactly what msst_reference
    computes with the same network and weights."""
    assert msst_infer.main(args(job)) == 0
    net, meta = msst_reference.load_eager(job["config"], job["ckpt"])
    want = msst_reference.separate(net, meta, job["mix"])  # the model's overlap and batch
    for i, stem in enumerate(STEMS):
        path = os.path.join(job["out"], "groove", f"{stem}.wav")
        got, sr = sf.read(path, dtype="float32", always_2d=True)
        assert sr == 44100 and sf.info(path).subtype == "FLOAT"
        np.testing.assert_array_equal(got.T, want[i])
    assert np.abs(want).max() > 0


def test_wrapped_checkpoint_and_pcm(job):
    """MSST's {"state_dict": ...} wrapper is unwrapped; --pcm_type picks the sample format."""
    sd = torch.load(job["ckpt"])
    torch.save({"state_dict": sd, "epoch": 3}, job["ckpt"])
    assert msst_infer.main(args(job, "--pcm_type", "PCM_16")) == 0
    assert sf.info(os.path.join(job["out"], "groove", "kick.wav")).subtype == "PCM_16"


def run(argv, **env):
    e = dict(os.environ, **env)
    return subprocess.run([sys.executable, os.path.join(SCRIPTS, "msst_infer.py"), *argv], cwd=ROOT,
                          capture_output=True, text=True, env=e)


def test_errors_are_one_line(job, tmp_path):
    """A checkpoint of another width and a mix at another rate fail with one line each."""
    wide = tmp_path / "wide.yaml"
    assert make_bench_config.main([TINY, "--width", "8", "-o", str(wide)]) == 0
    r = run(args(dict(job, config=str(wide))))
    assert r.returncode == 1 and "does not fit" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    sf.write(os.path.join(job["inp"], "groove.wav"), job["mix"].T, 48000, subtype="FLOAT")
    r = run(args(job), OMP_NUM_THREADS="1")
    assert r.returncode == 1 and "48000 Hz" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = run(args(job, "--model_type", "bs_roformer"))
    assert r.returncode == 2 and "mdx23c" in r.stderr


def test_bench_config_width(tmp_path):
    """--width sets num_channels and growth and keeps everything else."""
    src = os.path.join(CONFIGS, "drumsep_6stem_mdx23c.yaml")
    out = tmp_path / "w16.yaml"
    assert make_bench_config.main([src, "--width", "16", "-o", str(out)]) == 0
    with open(src) as f:
        want = yaml.safe_load(f)
    with open(out) as f:
        got = yaml.safe_load(f)
    assert got["model"]["num_channels"] == 16 and got["model"]["growth"] == 16
    want["model"].update(num_channels=16, growth=16)
    assert got == want
    cfg = load_config(str(out))
    assert (cfg.num_channels, cfg.growth, cfg.num_scales, cfg.stems) == (16, 16, 5, STEMS)


def test_bench_config_errors(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a list\n")
    assert make_bench_config.main([str(bad), "--width", "16", "-o", str(tmp_path / "o.yaml")]) == 1
    assert "not an MSST config" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        make_bench_config.main([TINY, "--width", "0", "-o", str(tmp_path / "o.yaml")])
    assert e.value.code == 2
