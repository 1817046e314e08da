"""Tests of scripts/eval_reference.py, the numpy reference for drumsplit eval,
and of the fixture the Go eval package is checked against."""

import importlib.util
import json
import os

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
ROOT = os.path.dirname(SCRIPTS)
FIXTURE = os.path.join(ROOT, "testdata", "eval", "fixture.json")

_spec = importlib.util.spec_from_file_location("eval_reference", os.path.join(SCRIPTS, "eval_reference.py"))
ev = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ev)


def load_fixture():
    with open(FIXTURE) as f:
        return json.load(f)


def test_fixture_scores_match_numpy():
    """Every stored score is what the reference computes from the stored signals."""
    fx = load_fixture()
    assert fx["epsilon"] == 1e-8
    assert len(fx["cases"]) >= 8
    for c in fx["cases"]:
        ref = ev.decode(c["reference"], c["channels"])
        est = ev.decode(c["estimate"], c["channels"])
        assert ref.dtype == np.float32 and ref.shape == est.shape
        assert ev.sdr(ref, est) == pytest.approx(c["sdr"], abs=1e-9), c["name"]
        assert ev.si_sdr(ref, est) == pytest.approx(c["si_sdr"], abs=1e-9), c["name"]


def test_fixture_is_reproducible(tmp_path):
    """The committed fixture is what --make-fixture writes: the signals bit for
    bit, the scores to the last few ulps (numpy's reductions may sum in another
    order on another CPU, which moves the last digit)."""
    out = tmp_path / "fixture.json"
    ev.main(["--make-fixture", str(out)])
    made, stored = json.loads(out.read_text()), load_fixture()
    assert made.keys() == stored.keys()
    assert made["epsilon"] == stored["epsilon"]
    assert len(made["cases"]) == len(stored["cases"])
    for m, s in zip(made["cases"], stored["cases"]):
        assert m.keys() == s.keys(), s["name"]
        for key in m:
            if key in ("sdr", "si_sdr"):
                assert m[key] == pytest.approx(s[key], rel=1e-13, abs=1e-13), (s["name"], key)
            else:
                assert m[key] == s[key], (s["name"], key)


def test_formulas():
    rng = np.random.default_rng(0)
    ref = rng.standard_normal((2, 1000))
    energy = np.sum(ref ** 2)
    # A perfect estimate is capped by epsilon.
    assert ev.sdr(ref, ref) == pytest.approx(10 * np.log10((energy + 1e-8) / 1e-8))
    assert ev.si_sdr(ref, ref) == pytest.approx(10 * np.log10(energy / 1e-8 + 1e-8))
    # Half the amplitude: error energy a quarter of the reference's.
    assert ev.sdr(ref, 0.5 * ref) == pytest.approx(10 * np.log10(4), abs=1e-9)
    # SI-SDR ignores the scale; SDR does not.
    est = ref + 0.1 * rng.standard_normal((2, 1000))
    assert ev.si_sdr(ref, 3 * est) == pytest.approx(ev.si_sdr(ref, est), abs=1e-3)
    assert ev.sdr(ref, 3 * est) < ev.sdr(ref, est) - 5
    # Silence against silence.
    z = np.zeros((2, 10))
    assert ev.sdr(z, z) == 0.0


def test_evaluate_dirs(tmp_path):
    sf = pytest.importorskip("soundfile")
    rng = np.random.default_rng(5)
    ref_dir, est_dir = tmp_path / "ref", tmp_path / "est"
    stems = {n: (rng.standard_normal((2000, 2)) * 0.1).astype(np.float32) for n in ("kick", "ride", "crash", "toms")}
    stems["toms"][:] = 0  # a kit without toms
    for track in ("00000", "00001"):
        (ref_dir / track).mkdir(parents=True)
        for n, x in stems.items():
            sf.write(str(ref_dir / track / f"{n}.wav"), x, 44100, subtype="FLOAT")
        sf.write(str(ref_dir / track / "mixture.wav"), sum(stems.values()), 44100, subtype="FLOAT")
    # Track 0 in the flat layout, track 1 nested under mixture/ (separate -o est/TRACK).
    (est_dir / "00000").mkdir(parents=True)
    (est_dir / "00001" / "mixture").mkdir(parents=True)
    sf.write(str(est_dir / "00000" / "kick.wav"), stems["kick"] * 0.5, 44100, subtype="FLOAT")
    sf.write(str(est_dir / "00000" / "toms.wav"), stems["kick"], 44100, subtype="FLOAT")
    sf.write(str(est_dir / "00001" / "mixture" / "kick.wav"), stems["kick"] * 0.5, 44100, subtype="FLOAT")
    sf.write(str(est_dir / "00001" / "mixture" / "cymbals.flac"), stems["ride"] + stems["crash"], 44100, subtype="PCM_24")
    rep = ev.evaluate_dirs(str(ref_dir), str(est_dir))
    assert [t["track"] for t in rep["tracks"]] == ["00000", "00001"]
    assert rep["per_stem"]["kick"]["sdr_mean"] == pytest.approx(10 * np.log10(4), abs=1e-6)
    assert rep["tracks"][0]["stems"]["toms"]["silent_reference"]
    assert "toms" not in rep["per_stem"]
    assert rep["per_stem"]["cymbals"]["sdr_mean"] > 40  # 24-bit rounding only
