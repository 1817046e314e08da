"""Hostile checkpoints: nothing in a checkpoint runs unless --trust-checkpoint says so.

Every payload here would create a marker directory when unpickled; the tests
assert that the marker never appears and that the refusal is one clear line.
"""

import io
import os
import pickle
import subprocess
import sys
import warnings
from collections import OrderedDict

import pytest
import torch

from model_testutil import CONFIGS, SCRIPTS

import export_model
from drumsplit_model import ExportError, load_config, random_state_dict
from drumsplit_model import checkpoint
from drumsplit_model.checkpoint import read_state_dict

TINY = os.path.join(CONFIGS, "tiny_6stem.yaml")


class Payload:
    """Unpickling this calls os.mkdir(marker): code run by a checkpoint."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


@pytest.fixture(scope="module")
def sd():
    return random_state_dict(load_config(TINY), seed=5)


@pytest.fixture
def marker(tmp_path):
    return str(tmp_path / "payload-ran")


def torch_zip_bytes(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def refused(path, **kwargs):
    with pytest.raises(ExportError) as e:
        read_state_dict(path, **kwargs)
    msg = str(e.value)
    assert msg and "\n" not in msg
    return msg


@pytest.mark.parametrize("inner", ["state_dict", "with_floats"])
def test_polyglot_pickle_before_zip_is_refused(tmp_path, sd, marker, inner):
    """A pickle payload followed by a harmless torch zip: python's zipfile finds
    the zip at the end, torch.load reads the pickle at the start."""
    benign = sd if inner == "state_dict" else {"state_dict": sd, "best_metric": 10.5, "epoch": 3}
    path = write(tmp_path, "polyglot.ckpt", pickle.dumps(Payload(marker)) + torch_zip_bytes(benign))
    msg = refused(path)
    assert not os.path.exists(marker), "the checkpoint ran code"
    assert msg == (f"refusing to unpickle checkpoint {path}: not a torch zip archive at offset 0; "
                   "pass --trust-checkpoint only if you trust its source")


def test_zip_after_other_bytes_is_refused(tmp_path, sd):
    path = write(tmp_path, "prefixed.ckpt", b"\0" * 64 + torch_zip_bytes({"state_dict": sd, "lr": 0.1}))
    assert "not a torch zip archive at offset 0" in refused(path)


def test_legacy_pickle_with_payload_is_refused(tmp_path, sd, marker):
    path = str(tmp_path / "legacy.ckpt")
    torch.save({"state_dict": sd, "args": Payload(marker)}, path, _use_new_zipfile_serialization=False)
    msg = refused(path)
    assert not os.path.exists(marker), "the checkpoint ran code"
    assert "not a torch zip archive at offset 0" in msg and "--trust-checkpoint" in msg


def test_bare_pickle_payload_is_refused(tmp_path, marker):
    path = write(tmp_path, "bare.ckpt", pickle.dumps(Payload(marker), protocol=2))
    refused(path)
    assert not os.path.exists(marker), "the checkpoint ran code"


def test_zip_checkpoint_with_payload_is_refused(tmp_path, sd, marker):
    """A genuine torch zip whose data.pkl names os.mkdir next to the weights and
    a float (which torch 1.13's weights_only refuses, so the restricted
    unpickler of our own decides)."""
    path = write(tmp_path, "zip.ckpt", torch_zip_bytes({"state_dict": sd, "best": 1.5, "args": Payload(marker)}))
    msg = refused(path)
    assert not os.path.exists(marker), "the checkpoint ran code"
    assert msg.startswith(f"refusing to unpickle checkpoint {path}: it pickles the python object {os.mkdir.__module__}.mkdir ")
    assert "--trust-checkpoint" in msg


def test_trust_warns_before_unpickling(tmp_path, sd):
    """--trust-checkpoint lifts the restriction, and says so."""
    path = str(tmp_path / "old.ckpt")
    torch.save({"state_dict": sd, "best": 1.5}, path, _use_new_zipfile_serialization=False)
    with pytest.warns(checkpoint.UnsafeCheckpointWarning, match="without restriction"):
        got = read_state_dict(path, trust=True)
    assert set(got) == set(sd)


def test_safe_checkpoints_load_without_warning(tmp_path, sd):
    """Real checkpoints load without --trust-checkpoint and without a warning:
    raw and wrapped state_dicts, with the floats, tuples and nested dicts that
    MSST keeps beside the weights, zip and (plain) legacy format."""
    full = {"state_dict": sd, "epoch": 3, "best_metric": 10.8, "name": "drums",
            "optimizer_state_dict": {"state": {}, "param_groups": [{"lr": 9e-5, "betas": (0.9, 0.999)}]}}
    zipped = write(tmp_path, "full.ckpt", torch_zip_bytes(full))
    legacy = str(tmp_path / "legacy.ckpt")
    torch.save(OrderedDict(sd), legacy, _use_new_zipfile_serialization=False)
    for path in (zipped, legacy):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = read_state_dict(path)
        assert all(torch.equal(got[k], v) for k, v in sd.items())


def test_cli_polyglot(tmp_path, sd, marker):
    """export_model.py as its own process: exit 1, one line, nothing ran, nothing written."""
    ck = write(tmp_path, "polyglot.ckpt", pickle.dumps(Payload(marker)) + torch_zip_bytes(sd))
    out = str(tmp_path / "x.pt")
    r = subprocess.run([sys.executable, os.path.join(SCRIPTS, "export_model.py"), "--checkpoint", ck,
                        "--config", TINY, "-o", out], capture_output=True, text=True)
    assert r.returncode == 1
    assert not os.path.exists(marker), "the checkpoint ran code"
    assert not os.path.exists(out)
    assert r.stderr.count("\n") == 1 and "not a torch zip archive at offset 0" in r.stderr, r.stderr


def test_cli_trust_prints_one_warning_line(tmp_path, sd, capsys):
    ck = str(tmp_path / "old.ckpt")
    torch.save({"state_dict": sd, "best": 1.5}, ck, _use_new_zipfile_serialization=False)
    out = str(tmp_path / "m.pt")
    assert export_model.main(["--checkpoint", ck, "--config", TINY, "-o", out, "-q"]) == 1
    assert "not a torch zip archive at offset 0" in capsys.readouterr().err
    assert export_model.main(["--checkpoint", ck, "--config", TINY, "-o", out, "-q", "--trust-checkpoint"]) == 0
    err = capsys.readouterr().err
    assert err == (f"export_model: warning: unpickling checkpoint {ck} without restriction "
                   "(--trust-checkpoint; not a torch zip archive at offset 0): it can run any code\n")
