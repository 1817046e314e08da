"""Reading MSST / UVR checkpoints of TFC-TDF v3 models.

Checkpoints come as a raw state_dict (2023–2024 MSST training, the DrumSep
releases) or wrapped under `state`, `state_dict` or `model_state_dict`
(MSST ≥ 2025); DataParallel training adds a `module.` prefix to every key.

Checkpoints come from strangers, and unpickling runs whatever a pickle
names. read_state_dict therefore never unpickles without restriction unless
the caller trusts the file (--trust-checkpoint); see _torch_load.
"""

import codecs
import inspect
import pickle
import types
import warnings
import zipfile
from collections import OrderedDict
from typing import Dict, List, Mapping

import torch
from torch import Tensor, nn

from .config import ExportError

# MSST's loaders unwrap these, in this order.
WRAPPER_KEYS = ("state", "state_dict", "model_state_dict")

_HAS_WEIGHTS_ONLY = "weights_only" in inspect.signature(torch.load).parameters


def _first_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0][:200]


def _is_torchscript(path: str) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return any(n.endswith("/constants.pkl") or "/code/" in n for n in z.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


class _RefusedGlobal(pickle.UnpicklingError):
    """The pickle names a python object outside the allowlist."""


class _NotTorchZip(pickle.UnpicklingError):
    """A file that only unrestricted unpickling could read: not a torch zip
    archive starting at offset 0 (a legacy pickle, or bytes before a zip)."""


class UnsafeCheckpointWarning(UserWarning):
    """A trusted checkpoint is about to be unpickled without restriction."""


# A torch zip archive starts with a zip local file header. torch.load decides
# between its zip and its legacy (bare pickle) reader on these 4 bytes, so the
# checks here look at the same bytes, never at what zipfile.is_zipfile finds
# (it searches the end of the file: a pickle with a zip appended passes).
ZIP_MAGIC = b"PK\x03\x04"


def _allowed_globals() -> Dict[str, object]:
    """What a model checkpoint may name: torch's weights_only allowlist (tensor
    rebuilders, tensor and storage classes, dtypes, OrderedDict), parameter
    rebuilders of other torch versions, and codecs.encode (how protocol 2
    pickles bytes). Nothing here runs code beyond building those objects."""
    allowed: Dict[str, object] = {}
    try:
        from torch import _weights_only_unpickler as w
        allowed.update(w._get_allowed_globals())
    except (ImportError, AttributeError):
        pass
    allowed["collections.OrderedDict"] = OrderedDict
    allowed["torch.Size"] = torch.Size
    allowed["torch.nn.parameter.Parameter"] = torch.nn.Parameter
    allowed["_codecs.encode"] = codecs.encode
    for name in ("_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_parameter", "_rebuild_parameter_with_state"):
        if hasattr(torch._utils, name):
            allowed[f"torch._utils.{name}"] = getattr(torch._utils, name)
    for name in dir(torch):
        if isinstance(getattr(torch, name, None), torch.dtype):
            allowed[f"torch.{name}"] = getattr(torch, name)
    return allowed


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the allowlisted globals. torch.load
    subclasses it (it resolves storage types itself and hands every other
    global to find_class here), so a checkpoint loaded through it cannot name
    os.system or any other callable: the restriction holds during the load
    itself, not in a check beforehand that a swapped file could pass."""

    _allowed = None

    def find_class(self, module, name):
        if _RestrictedUnpickler._allowed is None:
            _RestrictedUnpickler._allowed = _allowed_globals()
        key = f"{module}.{name}"
        if key not in self._allowed:
            raise _RefusedGlobal(key)
        return self._allowed[key]


def _restricted_load(file, **kwargs):
    return _RestrictedUnpickler(file, **kwargs).load()


# A pickle module for torch's archive reader: every pickle it reads goes through it.
_restricted_pickle = types.ModuleType("drumsplit_restricted_pickle")
_restricted_pickle.Unpickler = _RestrictedUnpickler
_restricted_pickle.load = _restricted_load
_restricted_pickle.UnpicklingError = pickle.UnpicklingError


def _load_zip_restricted(f):
    """Load the torch zip archive open as f with _RestrictedUnpickler.

    torch.load(pickle_module=…) cannot be used: torch 1.13.0 ignores the
    argument unless weights_only is set and unpickles with plain pickle
    (the tests check that a payload in data.pkl does not run). torch's own
    archive reader (_open_zipfile_reader, _load: the two steps of
    torch.load's zip path, with the same signature from 1.6 to 2.x) is
    called directly instead.
    """
    ser = torch.serialization
    with ser._open_zipfile_reader(f) as z:
        return ser._load(z, "cpu", _restricted_pickle, encoding="utf-8")


def _torch_load(path: str, trust: bool):
    """Load the checkpoint at path; see read_state_dict for the policy.

    The file is opened once and every attempt reads that open file, so
    replacing the path between the checks and the load changes nothing.
    """
    with open(path, "rb") as f:
        head = f.read(len(ZIP_MAGIC))
        refusal = None
        if _HAS_WEIGHTS_ONLY:
            f.seek(0)
            try:
                return torch.load(f, map_location="cpu", weights_only=True)
            except pickle.UnpicklingError as e:
                # torch 1.13's weights_only refuses even floats, which MSST ≥ 2025
                # checkpoints hold next to the weights (metrics, optimizer settings).
                if "Weights only load failed" not in str(e):
                    raise
        if head == ZIP_MAGIC:
            f.seek(0)
            try:
                return _load_zip_restricted(f)
            except _RefusedGlobal as e:
                if not trust:
                    raise
                refusal = f"it pickles the python object {e}"
        elif not trust:
            f.seek(0)
            if head.startswith(b"\x80") or zipfile.is_zipfile(f):
                raise _NotTorchZip()
            raise pickle.UnpicklingError("neither torch's zip format nor a pickle")
        else:
            refusal = "not a torch zip archive at offset 0"
        warnings.warn(UnsafeCheckpointWarning(
            f"unpickling checkpoint {path} without restriction (--trust-checkpoint; {refusal}): "
            "it can run any code"), stacklevel=4)
        f.seek(0)
        no_restriction = {"weights_only": False} if _HAS_WEIGHTS_ONLY else {}
        return torch.load(f, map_location="cpu", **no_restriction)


def read_state_dict(path: str, trust: bool = False) -> Dict[str, Tensor]:
    """Load a checkpoint file and return its model state_dict (keys without `module.`).

    Nothing in the file runs unless trust is set. The file is unpickled with
    torch's weights_only=True where the installed torch has it (≥ 1.13).
    Where that refuses the file (1.13 refuses floats, which MSST keeps beside
    the weights) or is missing, a torch zip archive (zip magic at offset 0) is
    loaded through an unpickler that resolves only tensor rebuilders, storages,
    dtypes and plain containers; anything else — legacy pickles that
    weights_only refused, bytes before a zip — is refused. trust=True lifts
    the restriction, with an UnsafeCheckpointWarning, for checkpoints that
    pickle other python objects.
    """
    if _is_torchscript(path):
        raise ExportError(f"checkpoint {path} is a TorchScript archive (an exported model?), "
                          "not a training checkpoint")
    try:
        obj = _torch_load(path, trust)
    except FileNotFoundError:
        raise ExportError(f"checkpoint {path}: no such file") from None
    except IsADirectoryError:
        raise ExportError(f"checkpoint {path}: is a directory") from None
    except PermissionError:
        raise ExportError(f"checkpoint {path}: permission denied") from None
    except _RefusedGlobal as e:
        raise ExportError(f"refusing to unpickle checkpoint {path}: it pickles the python object {e} "
                          "besides tensors, which could run code; pass --trust-checkpoint only if you "
                          "trust its source") from None
    except _NotTorchZip:
        raise ExportError(f"refusing to unpickle checkpoint {path}: not a torch zip archive at offset 0; "
                          "pass --trust-checkpoint only if you trust its source") from None
    except Exception as e:  # torch.load raises many types for foreign files
        raise ExportError(f"checkpoint {path} is not a PyTorch checkpoint ({_first_line(e)})") from None

    sd = obj
    for key in WRAPPER_KEYS:
        if isinstance(sd, Mapping) and key in sd:
            sd = sd[key]
    if not isinstance(sd, Mapping):
        raise ExportError(f"checkpoint {path} holds a {type(sd).__name__}, not a state_dict")
    out: Dict[str, Tensor] = {}
    for k, v in sd.items():
        if not isinstance(k, str):
            raise ExportError(f"checkpoint {path}: state_dict key {k!r} is not a string")
        if not isinstance(v, Tensor):
            raise ExportError(f"checkpoint {path}: state_dict entry {k!r} is a {type(v).__name__}, "
                              "not a tensor (not a model state_dict?)")
        name = k[len("module."):] if k.startswith("module.") else k
        if name in out:
            raise ExportError(f"checkpoint {path}: key {name!r} appears twice (with and without module.)")
        out[name] = v
    if not out:
        raise ExportError(f"checkpoint {path} holds an empty state_dict")
    return out


def _shape(t: Tensor) -> List[int]:
    return list(t.shape)


def _few(items: List[str], n: int = 3) -> str:
    s = ", ".join(items[:n])
    return s + (", …" if len(items) > n else "")


def load_state_dict_into(net: nn.Module, sd: Mapping[str, Tensor], source: str = "checkpoint",
                         config: str = "config") -> None:
    """Copy sd into net after checking keys and shapes; errors name what differs.

    BatchNorm's num_batches_tracked is optional (checkpoints from before
    torch 0.4.1 lack it and inference never reads it).
    """
    want = net.state_dict()
    sd = dict(sd)
    for k in want:
        if k.endswith(".num_batches_tracked") and k not in sd:
            sd[k] = want[k]
    missing = [k for k in want if k not in sd]
    unexpected = [k for k in sd if k not in want]
    mismatched = [k for k in want if k in sd and tuple(sd[k].shape) != tuple(want[k].shape)]
    if missing or unexpected or mismatched:
        parts = []
        if missing:
            parts.append(f"{len(missing)} of {len(want)} keys missing ({_few(missing)})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected keys ({_few(unexpected)})")
        if mismatched:
            shown = "; ".join(f"{k} is {_shape(sd[k])} in the checkpoint, {_shape(want[k])} for the config"
                              for k in mismatched[:3])
            parts.append(f"{len(mismatched)} shape mismatches ({shown}{'; …' if len(mismatched) > 3 else ''})")
        hint = _hint(net, sd, want, missing, unexpected, mismatched)
        raise ExportError(f"{source} does not fit {config}: " + ", ".join(parts) + hint)
    for k, v in sd.items():
        if want[k].is_floating_point() and not v.is_floating_point():
            raise ExportError(f"{source}: tensor {k} has dtype {v.dtype}, expected a floating point tensor")
    net.load_state_dict(sd, strict=True)


def _hint(net, sd, want, missing, unexpected, mismatched) -> str:
    if missing and len(unexpected) == len(sd):
        return " — not a TFC-TDF v3 (MDX23C) checkpoint?"
    if mismatched == ["final_conv.2.weight"] and not missing and not unexpected:
        got, exp = sd["final_conv.2.weight"].shape[0], want["final_conv.2.weight"].shape[0]
        per = exp // net.num_targets
        if got % per == 0:
            return (f" — the checkpoint outputs {got // per} stems, the config "
                    f"{net.num_targets} (training.instruments / target_instrument)")
    if any(".tfc1.0." in k for k in missing + unexpected):
        return " — check model.norm"
    if mismatched:
        return " — check the model and audio sections (num_channels, growth, dim_f, num_subbands, …)"
    return ""


def load_checkpoint(path: str, net: nn.Module, config: str = "config", trust: bool = False) -> None:
    """Read the checkpoint at path into net (see read_state_dict, load_state_dict_into)."""
    sd = read_state_dict(path, trust=trust)
    load_state_dict_into(net, sd, source=f"checkpoint {path}", config=config)


__all__ = ["WRAPPER_KEYS", "UnsafeCheckpointWarning", "read_state_dict", "load_state_dict_into", "load_checkpoint"]
