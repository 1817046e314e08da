"""Reading MSST / UVR checkpoints of TFC-TDF v3 models.

Checkpoints come as a raw state_dict (2023–2024 MSST training, the DrumSep
releases) or wrapped under `state`, `state_dict` or `model_state_dict`
(MSST ≥ 2025); DataParallel training adds a `module.` prefix to every key.
"""

import codecs
import inspect
import io
import pickle
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


class _NotVerifiable(Exception):
    """A pickle file whose globals we cannot check (not torch's zip format)."""


class _Stub:
    """Stands for tensors, parameters and storages during the dry run."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass


def _allowed_globals() -> Dict[str, object]:
    """What torch's weights_only mode lets a checkpoint name (tensor rebuilders,
    storages, dtypes, OrderedDict), plus codecs.encode (protocol-2 bytes)."""
    allowed: Dict[str, object] = {}
    try:
        from torch import _weights_only_unpickler as w
        allowed.update(w._get_allowed_globals())
    except (ImportError, AttributeError):
        pass
    allowed.update({
        "collections.OrderedDict": OrderedDict,
        "torch._utils._rebuild_tensor": None,
        "torch._utils._rebuild_tensor_v2": None,
        "torch._utils._rebuild_parameter": None,
        "torch._utils._rebuild_parameter_with_state": None,
        "torch.Size": torch.Size,
        "_codecs.encode": codecs.encode,
    })
    for name in dir(torch):
        if isinstance(getattr(torch, name, None), torch.dtype):
            allowed[f"torch.{name}"] = getattr(torch, name)
    return allowed


class _DryUnpickler(pickle.Unpickler):
    """Unpickles a checkpoint's data.pkl resolving only allowlisted globals, with
    stubs in place of every function that would build a tensor or storage.
    Running it proves that torch.load of the same bytes names nothing else."""

    _allowed = None

    def find_class(self, module, name):
        if _DryUnpickler._allowed is None:
            _DryUnpickler._allowed = _allowed_globals()
        if module == "torch.tensor":  # torch.load's own renaming
            module = "torch._tensor"
        key = f"{module}.{name}"
        if module == "torch" and "Storage" in name and hasattr(torch, name):
            return _Stub
        if key not in self._allowed:
            raise _RefusedGlobal(key)
        target = self._allowed[key]
        if target is None or key.startswith("torch._utils.") or key.startswith("torch.nn.parameter"):
            return _Stub
        return target

    def persistent_load(self, pid):
        return _Stub()


def _verify_zip_checkpoint(path: str) -> None:
    with zipfile.ZipFile(path) as z:
        pkls = [n for n in z.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pkls) != 1:
            raise pickle.UnpicklingError("zip archive without a data.pkl")
        data = z.read(pkls[0])
    _DryUnpickler(io.BytesIO(data), encoding="utf-8").load()


def _torch_load(path: str, trust: bool):
    no_restriction = {"weights_only": False} if _HAS_WEIGHTS_ONLY else {}
    if trust:
        return torch.load(path, map_location="cpu", **no_restriction)
    if _HAS_WEIGHTS_ONLY:
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as e:
            # torch 1.13's weights_only refuses even floats, which MSST ≥ 2025
            # checkpoints hold next to the weights (metrics, optimizer settings).
            if "Weights only load failed" not in str(e):
                raise
            first_error = e
    else:
        first_error = None
    if zipfile.is_zipfile(path):
        _verify_zip_checkpoint(path)
        return torch.load(path, map_location="cpu", **no_restriction)
    with open(path, "rb") as f:
        head = f.read(2)
    if not head.startswith(b"\x80"):
        raise pickle.UnpicklingError("neither torch's zip format nor a pickle")
    detail = _first_line(first_error).split("WeightsUnpickler error: ")[-1] if first_error else "legacy format"
    if head == b"\x80\x02":  # torch's pre-1.6 format: several pickles and raw storages
        raise _NotVerifiable(detail)
    raise pickle.UnpicklingError(detail)


def read_state_dict(path: str, trust: bool = False) -> Dict[str, Tensor]:
    """Load a checkpoint file and return its model state_dict (keys without `module.`).

    The file is unpickled with weights_only=True where the installed torch
    supports it (≥ 1.13). Where that refuses the file (1.13 refuses floats) or
    is missing, a dry run of the checkpoint's pickle first proves it names no
    python object beyond tensors, storages, dtypes and plain data; only then
    does torch.load run without restriction. So a checkpoint cannot run code;
    trust=True lifts that for checkpoints that pickle other python objects.
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
        raise ExportError(f"checkpoint {path} pickles the python object {e} besides tensors, which could "
                          "run code when loaded; if you trust the file, add --trust-checkpoint") from None
    except _NotVerifiable as e:
        raise ExportError(f"checkpoint {path} is not a PyTorch checkpoint, or one in the pre-1.6 format "
                          f"holding python objects that cannot be loaded safely ({e}); if you trust the "
                          "file, add --trust-checkpoint") from None
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


__all__ = ["WRAPPER_KEYS", "read_state_dict", "load_state_dict_into", "load_checkpoint"]
