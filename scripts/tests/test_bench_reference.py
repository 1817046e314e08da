"""scripts/bench_reference.py: the reference side of `drumsplit bench`, on the tiny committed model."""

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
import torch

from model_testutil import ROOT, SCRIPTS

import bench_reference as br
import msst_reference

TINY = os.path.join(ROOT, "testdata", "models", "tiny6.pt")


@pytest.fixture
def wav(tmp_path):
    x = np.random.default_rng(1).uniform(-0.5, 0.5, size=(3000, 2)).astype(np.float32)
    p = tmp_path / "in.wav"
    sf.write(p, x, 44100, subtype="FLOAT")
    return str(p), x.T.copy()


def test_grid_json(tmp_path, wav):
    path, mix = wav
    out = tmp_path / "ref.json"
    assert br.main(["--model", TINY, "--input", path, "--overlap", "2,4", "--batch", "1,3", "--runs", "2",
                    "--warmup", "1", "--threads", "1", "-q", "-o", str(out)]) == 0
    run = json.loads(out.read_text())
    assert run["tool"] == "reference"
    assert run["settings"]["threads"] == 1 and run["settings"]["runs"] == 2
    assert run["input"]["frames"] == 3000
    # The hash convention of internal/bench/input.go: little-endian float32, channel after channel.
    assert run["input"]["sha256"] == hashlib.sha256(mix.astype("<f4").tobytes()).hexdigest()
    model = br.load_model(TINY, "cpu")[0]
    assert run["model"]["params"] == sum(p.numel() for p in model.parameters())
    assert run["machine"]["slug"] and run["machine"]["logical_cpus"] >= 1
    pts = [(r["overlap"], r["batch"]) for r in run["results"]]
    assert pts == [(2, 1), (4, 1), (2, 3), (4, 3)]
    for r in run["results"]:
        assert "error" not in r
        assert len(r["times_s"]) == 2 and r["median_s"] > 0 and r["rtf"] > 0
        assert 0 < r["device_busy"] <= 1 and r["cpu_s"] > 0
        # MSST's chunk count: steps over the reflect-padded input.
        chunk, step = 960, 960 // r["overlap"]
        border = chunk - step
        n = 3000 + 2 * border if 3000 > 2 * border else 3000
        assert r["chunks"] == -(-n // step)


def test_same_network_as_export(wav):
    # The eager network with the export's weights computes what the export does.
    path, mix = wav
    net, meta, _ = br.load_model(TINY, "cpu")
    scripted, _ = msst_reference.load_torchscript(TINY)
    x = torch.tensor(mix[:, :960])[None]
    with torch.inference_mode():
        a, b = net(x), scripted(x)
    assert (a - b).abs().max() <= 1e-5 * b.abs().max()


def test_serve(tmp_path, wav):
    path, _ = wav
    proc = subprocess.Popen([sys.executable, os.path.join(SCRIPTS, "bench_reference.py"), "--serve", "--model", TINY,
                             "--input", path, "--runs", "2", "--warmup", "1", "--threads", "1"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(req):
        proc.stdin.write(json.dumps(req) + "\n")
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())

    try:
        assert json.loads(proc.stdout.readline()) == {"ready": True, "threads": 1}
        assert ask({"op": "open", "device": "cpu", "precision": "fp32", "overlap": 2, "batch": 2}) == {"ok": True}
        for _ in range(2):
            a = ask({"op": "run"})
            assert a["ok"] and a["seconds"] > 0
        res = ask({"op": "close"})
        assert res["overlap"] == 2 and res["batch"] == 2 and len(res["times_s"]) == 2
        # fp16 is CUDA autocast only: the point fails, the server goes on.
        a = ask({"op": "open", "device": "cpu", "precision": "fp16", "overlap": 2, "batch": 1})
        assert "CUDA" in a["error"]
        assert "error" in ask({"op": "close"})
        proc.stdin.close()
        run = json.loads(proc.stdout.readline())
        assert run["tool"] == "reference" and len(run["results"]) == 2
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_bad_request(wav):
    path, _ = wav
    p = subprocess.run([sys.executable, os.path.join(SCRIPTS, "bench_reference.py"), "--serve", "--model", TINY,
                        "--input", path, "--runs", "1"], input='{"op": "run"}\n', capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 1
    assert p.stderr.strip().splitlines()[-1].startswith("bench_reference: bad request")


def test_slug():
    m = {"os": "linux", "cpu": "Intel(R) Xeon(R) CPU @ 2.20GHz", "logical_cpus": 2, "gpus": []}
    assert br.slug(m) == "linux-xeon-2-20ghz-2c"  # as bench.Slug
    m["gpus"] = [{"name": "NVIDIA H200"}]
    assert br.slug(m) == "linux-nvidia-h200"


def test_env_vars_match_go():
    """The reference records the same environment as drumsplit (bench.EnvVars in internal/bench/result.go)."""
    import re
    src = open(os.path.join(ROOT, "internal", "bench", "result.go")).read()
    block = re.search(r"var EnvVars = \[\]string\{(.*?)\}", src, re.S)
    assert block, "bench.EnvVars not found in internal/bench/result.go"
    assert tuple(re.findall(r'"([A-Z_]+)"', block.group(1))) == br.ENV_VARS
