"""Tests of scripts/train.py: the example sampler, the SDR loss, the output
initialisation, and a short run with checkpoints and resume."""

import json
import math
import os
import random
import sys

import numpy as np
import pytest
import soundfile as sf
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
ROOT = os.path.dirname(SCRIPTS)
sys.path.insert(0, SCRIPTS)

import train  # noqa: E402
from drumsplit_model import load_config  # noqa: E402

STEMS = ["kick", "snare", "toms", "hh", "ride", "crash"]
TINY = os.path.join(ROOT, "configs", "tiny_6stem.yaml")


def ramp_track(n, stems=6):
    """Every stem and channel holds 1, 2, 3, …: a crop's first value tells its offset."""
    x = np.arange(1, n + 1, dtype=np.float32) / n
    return np.broadcast_to(x, (stems, 2, n)).copy()


def test_sampler_mix_is_the_sum_of_the_stems():
    rng = np.random.default_rng(0)
    tracks = [(f"t{i}", rng.uniform(-0.3, 0.3, (6, 2, 5000)).astype(np.float32)) for i in range(3)]
    for pitch in (0.0, 2.0):
        s = train.ChunkSampler(tracks, 1000, 0.5, random.Random(1), pitch)
        for _ in range(20):
            mix, stems = s.example()
            assert mix.shape == (2, 1000) and stems.shape == (6, 2, 1000)
            np.testing.assert_allclose(mix, stems.sum(0), atol=1e-6)
            assert np.abs(mix).max() <= 1.0 + 1e-6


def test_sampler_takes_tracks_of_exactly_one_chunk():
    track = np.ones((6, 2, 1000), np.float32)
    mix, stems = train.ChunkSampler([("t", track)], 1000, 0.5, random.Random(0)).example()
    assert stems.shape == (6, 2, 1000)
    with pytest.raises(SystemExit, match="as long as one chunk"):
        train.ChunkSampler([("t", track)], 1000, 0.5, random.Random(0), 1.0)


def test_sampler_keeps_one_tracks_stems_aligned():
    n, chunk = 20000, 1000
    s = train.ChunkSampler([("t", ramp_track(n))], chunk, 0.0, random.Random(2), 0.0)
    for _ in range(20):
        _, stems = s.example()
        # stem = gain * (off + 1 + k) / n: the ratio of the last value to the
        # first, (off + chunk) / (off + 1), gives the offset whatever the gain
        r = stems[:, 0, -1].astype(np.float64) / stems[:, 0, 0]
        off = (chunk - r) / (r - 1)
        assert np.ptp(off) < 1, off


@pytest.mark.parametrize("pitch", [1.0, 3.0])
def test_sampler_retunes_within_the_range(pitch):
    sr, chunk, f0 = 44100, 8192, 441.0
    t = np.arange(4 * chunk) / sr
    track = np.zeros((6, 2, t.size), np.float32)
    track[1] = 0.5 * np.sin(2 * np.pi * f0 * t)
    s = train.ChunkSampler([("t", track)], chunk, 0.0, random.Random(3), pitch)
    seen = []
    for _ in range(30):
        _, stems = s.example()
        spec = np.abs(np.fft.rfft(stems[1, 0] * np.hanning(chunk), 16 * chunk))
        f = np.argmax(spec) * sr / (16 * chunk)
        semis = 12 * math.log2(f / f0)
        assert abs(semis) <= pitch + 0.05
        seen.append(semis)
    assert np.ptp(seen) > pitch / 2, "the retuning does not vary"


def test_busy_draws_rare_stems_more_often():
    rng = np.random.default_rng(4)
    tracks = []
    for i in range(4):
        t = rng.uniform(-0.1, 0.1, (6, 2, 20000)).astype(np.float32)
        t[2] = 0
        t[2, :, 9000:11000] = 0.1  # the toms play once per track
        tracks.append((f"t{i}", t))

    def presence(busy):
        s = train.ChunkSampler(tracks, 1000, 1.0, random.Random(5), 0.0, busy)
        return np.mean([np.mean(s.example()[1][2] ** 2) > 1e-6 for _ in range(300)])

    rare, busy = presence(0.0), presence(1.0)
    assert rare < 0.2 and busy > 0.6, (rare, busy)


def test_sdr_loss():
    g = torch.Generator().manual_seed(0)
    ref = torch.randn(2, 6, 2, 500, generator=g)
    ref[:, 2] = 0  # a silent stem
    mix = ref.sum(1)
    perfect = train.sdr_loss(ref.clone(), ref, mix)
    silent = train.sdr_loss(torch.zeros_like(ref), ref, mix)
    assert perfect.item() < -60
    assert silent.item() == pytest.approx(0.0, abs=1e-4)
    # output on the silent stem costs its energy relative to the mixture's
    leak = ref.clone()
    leak[:, 2] = mix
    assert train.sdr_loss(leak, ref, mix).item() > perfect.item() + 0.1
    # halfway there: 6 dB on every sounding stem
    assert train.sdr_loss(0.5 * ref, ref, mix).item() == pytest.approx(-6.02, abs=0.01)


def test_batch_sdr_loss():
    g = torch.Generator().manual_seed(1)
    ref = torch.randn(3, 6, 2, 400, generator=g)
    ref[:, 5] = 0  # silent in the whole batch
    ref[0, 1] *= 100  # one loud chunk of the snare
    mix = ref.sum(1)
    floor = 1e-3 * mix.pow(2).sum()
    perfect = train.batch_sdr_loss(ref.clone(), ref, mix)
    # the best a stem can score is 10·log10(1 + ref/floor); a silent stem scores 0
    ref_e = ref.pow(2).sum(dim=(0, 2, 3))
    want = -(10 * torch.log10((ref_e + floor) / floor)).mean()
    assert perfect.item() == pytest.approx(want.item(), rel=1e-5)
    assert train.batch_sdr_loss(torch.zeros_like(ref), ref, mix).item() == pytest.approx(0, abs=1e-6)
    # the snare's error in its loud chunk costs far more than the same relative error in a quiet one
    loud, quiet = ref.clone(), ref.clone()
    loud[0, 1] *= 0.5
    quiet[1, 1] *= 0.5
    base = perfect.item()
    assert train.batch_sdr_loss(loud, ref, mix).item() - base > \
        10 * (train.batch_sdr_loss(quiet, ref, mix).item() - base)
    # leakage into the silent stem is paid for
    leak = ref.clone()
    leak[:, 5] = 0.1 * mix
    assert train.batch_sdr_loss(leak, ref, mix).item() > base


def test_batch_sdr_loss_weights():
    g = torch.Generator().manual_seed(2)
    ref = torch.randn(2, 6, 2, 300, generator=g)
    mix = ref.sum(1)
    est = ref * torch.linspace(0.1, 0.9, 6)[None, :, None, None]
    per_stem = [train.batch_sdr_loss(est[:, i:i + 1], ref[:, i:i + 1], mix).item() for i in range(6)]
    w = torch.tensor([1.0, 1, 1, 3, 3, 3])
    want = sum(p * wi for p, wi in zip(per_stem, w.tolist())) / w.sum().item()
    assert train.batch_sdr_loss(est, ref, mix, weights=w).item() == pytest.approx(want, rel=1e-5)
    assert train.batch_sdr_loss(est, ref, mix, weights=torch.ones(6)).item() == \
        pytest.approx(train.batch_sdr_loss(est, ref, mix).item(), rel=1e-6)


def test_parse_stem_weights():
    w = train.parse_stem_weights("hh=3,crash=0.5", STEMS)
    assert w.tolist() == [1, 1, 1, 3, 1, 0.5]
    assert train.parse_stem_weights("", STEMS).tolist() == [1] * 6
    for spec, msg in [("cowbell=2", "cowbell"), ("hh=lots", "not a number"), ("hh=-1", "0 or more"),
                      ("hh=nan", "0 or more"), (",".join(s + "=0" for s in STEMS), "every weight is 0")]:
        with pytest.raises(SystemExit, match=msg):
            train.parse_stem_weights(spec, STEMS)


def test_new_net_starts_quiet():
    cfg = load_config(TINY)
    x = torch.randn(2, 2, cfg.chunk_size) * 0.1
    torch.manual_seed(0)
    loud = train.new_net(cfg, 1.0)(x)
    torch.manual_seed(0)
    quiet = train.new_net(cfg, 0.01)(x)
    ratio = quiet.pow(2).mean().sqrt() / loud.pow(2).mean().sqrt()
    assert ratio.item() == pytest.approx(0.01, rel=1e-3)


def write_split(root, split, tracks, seconds, seed):
    rng = np.random.default_rng(seed)
    n = int(44100 * seconds)
    for i in range(tracks):
        d = os.path.join(root, split, f"{i:05d}")
        os.makedirs(d)
        for s in STEMS:
            hits = np.zeros((n, 2), np.float32)
            for at in rng.integers(0, n - 200, 6):
                hits[at:at + 200] += rng.uniform(-0.2, 0.2, (200, 2)).astype(np.float32)
            sf.write(os.path.join(d, s + ".wav"), hits, 44100, subtype="FLOAT")


def test_training_run_checkpoints_and_resumes(tmp_path):
    data, out = tmp_path / "data", tmp_path / "run"
    write_split(str(data), "train", 3, 0.2, 1)
    write_split(str(data), "valid", 1, 0.1, 2)
    base = ["--data", str(data), "--config", TINY, "--out", str(out), "--batch", "2",
            "--threads", "1", "--lr", "0.001", "--pitch", "1", "--valid-tracks", "1",
            "--busy", "0.5", "--stem-weight", "hh=2,crash=2"]
    train.main(base + ["--steps", "4"])
    for f in ("last.ckpt", "best.ckpt", "metrics.jsonl"):
        assert (out / f).exists(), f
    ck = torch.load(out / "last.ckpt", map_location="cpu")
    assert ck["step"] == 4
    train.main(base + ["--steps", "7", "--resume"])
    assert torch.load(out / "last.ckpt", map_location="cpu")["step"] == 7
    recs = [json.loads(line) for line in open(out / "metrics.jsonl")]
    assert [r["step"] for r in recs] == [4, 7]
    assert set(recs[-1]["per_stem"]) <= set(STEMS) and math.isfinite(recs[-1]["valid_sdr"])
    # best.ckpt is a plain state_dict, as scripts/export_model.py reads MSST's
    state = torch.load(out / "best.ckpt", map_location="cpu")
    assert "final_conv.2.weight" in state
    with pytest.raises(SystemExit, match="cowbell"):
        train.main(base + ["--steps", "8", "--resume", "--stem-weight", "cowbell=2"])


def export_tiny(tmp_path, cfg_path=TINY, seed=7):
    """An exported model of cfg_path with random weights, as scripts/export_model.py writes it."""
    from drumsplit_model import export_model, random_state_dict
    sd = random_state_dict(load_config(cfg_path), seed=seed)
    ck = str(tmp_path / f"w{seed}.ckpt")
    torch.save(sd, ck)
    out = str(tmp_path / f"m{seed}.pt")
    export_model(ck, cfg_path, out)
    return out, sd


def test_init_from_export_copies_every_weight(tmp_path):
    path, sd = export_tiny(tmp_path)
    net = train.new_net(load_config(TINY))
    assert not torch.equal(net.state_dict()["final_conv.2.weight"], sd["final_conv.2.weight"])
    train.init_from_export(net, path)
    got = net.state_dict()
    assert set(got) == set(sd)
    for k, v in sd.items():
        assert torch.equal(got[k], v.to(got[k].dtype)), k


def test_init_from_export_refuses_another_config(tmp_path):
    path, _ = export_tiny(tmp_path)
    small = load_config(os.path.join(ROOT, "configs", "drumsplit_small.yaml"))
    with pytest.raises(SystemExit, match="does not match the config"):
        train.init_from_export(train.new_net(small), path)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a model")
    with pytest.raises(SystemExit, match="not an exported model"):
        train.init_from_export(train.new_net(load_config(TINY)), str(junk))


def test_training_run_starts_from_init(tmp_path):
    data, out = tmp_path / "data", tmp_path / "run"
    write_split(str(data), "train", 2, 0.2, 1)
    write_split(str(data), "valid", 1, 0.1, 2)
    path, sd = export_tiny(tmp_path)
    # lr 1e-12: one step leaves the weights where --init put them
    base = ["--data", str(data), "--config", TINY, "--out", str(out), "--batch", "2", "--threads", "1",
            "--lr", "1e-12", "--valid-tracks", "1", "--init", path]
    train.main(base + ["--steps", "1"])
    got = torch.load(out / "last.ckpt", map_location="cpu")["model_state_dict"]
    for k, v in sd.items():
        torch.testing.assert_close(got[k], v.to(got[k].dtype), rtol=0, atol=1e-6, msg=k)
    # --resume continues from last.ckpt, not from --init again
    with torch.no_grad():
        got["final_conv.2.weight"].add_(1.0)
    ck = torch.load(out / "last.ckpt", map_location="cpu")
    ck["model_state_dict"] = got
    torch.save(ck, out / "last.ckpt")
    train.main(base + ["--steps", "2", "--resume"])
    after = torch.load(out / "last.ckpt", map_location="cpu")["model_state_dict"]
    torch.testing.assert_close(after["final_conv.2.weight"], sd["final_conv.2.weight"] + 1.0,
                               rtol=0, atol=1e-6)


def test_high_band_batch_sdr_loss():
    sr, n = 44100, 8192
    t = torch.arange(n) / sr
    g = torch.Generator().manual_seed(3)
    ref = torch.zeros(2, 6, 2, n)
    ref[:, 0] = torch.sin(2 * math.pi * 60 * t)                  # kick: lows only
    ref[:, 3] = 0.05 * torch.randn(2, 2, n, generator=g)        # hh: quiet noise
    mix = ref.sum(1)
    perfect = train.high_band_batch_sdr_loss(ref.clone(), ref, mix, sr)
    # a low hum in the hh output costs the waveform's SDR, not the treble's
    hum = ref.clone()
    hum[:, 3] += 0.05 * torch.sin(2 * math.pi * 100 * t)
    assert train.high_band_batch_sdr_loss(hum, ref, mix, sr).item() == pytest.approx(perfect.item(), abs=0.2)
    assert train.batch_sdr_loss(hum, ref, mix).item() > train.batch_sdr_loss(ref, ref, mix).item() + 0.5
    # the hh left in the kick output costs the waveform's kick SDR little, the treble's a lot
    leak = ref.clone()
    leak[:, 0] += 0.3 * ref[:, 3]
    leak[:, 3] *= 0.7
    wave = train.batch_sdr_loss(leak, ref, mix).item() - train.batch_sdr_loss(ref, ref, mix).item()
    high = train.high_band_batch_sdr_loss(leak, ref, mix, sr).item() - perfect.item()
    assert high > 2 * wave > 0, (high, wave)
    # a silent output scores 0 dB, as batch_sdr_loss
    assert train.high_band_batch_sdr_loss(torch.zeros_like(ref), ref, mix, sr).item() == \
        pytest.approx(0, abs=1e-5)


def test_step_clock_leaves_out_a_pause():
    now = [0.0]
    clock = train.StepClock(lambda: now[0])

    def step(seconds, paused=False):
        clock.start()
        now[0] += seconds
        if paused:
            clock.on_cont()
        return clock.stop()

    assert step(2.0) == 2.0
    assert step(600.0, paused=True) == 2.0  # stopped for ten minutes: counts as the step before
    assert step(3.0) == 3.0
    assert step(1.5, paused=True) == 1.5  # a short step stays what it was


def test_training_run_does_not_count_a_pause(tmp_path):
    import signal
    import threading
    data, out = tmp_path / "data", tmp_path / "run"
    write_split(str(data), "train", 2, 0.2, 1)
    write_split(str(data), "valid", 1, 0.1, 2)
    real = train.StepClock.stop
    paused = []

    def slow_stop(self):  # the second step is paused for 30 s, as SIGSTOP … SIGCONT would
        paused.append(1)
        if len(paused) == 2:
            self.t0 -= 30.0
            os.kill(os.getpid(), signal.SIGCONT)
            while not self.resumed:  # the handler runs between bytecodes of the main thread
                pass
        return real(self)

    assert threading.current_thread() is threading.main_thread()
    train.StepClock.stop = slow_stop
    try:
        train.main(["--data", str(data), "--config", TINY, "--out", str(out), "--batch", "2",
                    "--threads", "1", "--valid-tracks", "1", "--steps", "3"])
    finally:
        train.StepClock.stop = real
        signal.signal(signal.SIGCONT, signal.SIG_DFL)
    assert torch.load(out / "last.ckpt", map_location="cpu")["elapsed"] < 30


def test_sigterm_stops_with_last_ckpt_saved(tmp_path):
    import signal
    data, out = tmp_path / "data", tmp_path / "run"
    write_split(str(data), "train", 2, 0.2, 1)
    write_split(str(data), "valid", 1, 0.1, 2)
    real = train.StepClock.stop
    calls = []

    def stop_and_term(self):  # `kill PID` during the third step
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return real(self)

    base = ["--data", str(data), "--config", TINY, "--out", str(out), "--batch", "2",
            "--threads", "1", "--valid-tracks", "1", "--steps", "50"]
    train.StepClock.stop = stop_and_term
    try:
        train.main(base)
    finally:
        train.StepClock.stop = real
        signal.signal(signal.SIGCONT, signal.SIG_DFL)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # handed back
    assert torch.load(out / "last.ckpt", map_location="cpu")["step"] == 3
    assert not (out / "metrics.jsonl").exists()  # stopped: no validation
