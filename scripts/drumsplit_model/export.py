"""Writing drumsplit's exported model archive (docs/ARCHITECTURE.md).

The archive is a TorchScript module saved with torch.jit.save, holding the
metadata as the extra file drumsplit.json. torch.jit.script (not trace) is
used: the scripted module keeps the batch size, the chunk length and the
stem count generic, and the tests check it against the eager module for
several configs, batch sizes and both methods.
"""

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections import OrderedDict
from typing import Any, Dict, List, Optional

import torch
from torch import nn

from .checkpoint import load_checkpoint
from .config import ExportError, ModelConfig, load_config
from .net import BatchNorm, Conv2d, ConvTranspose2d, GroupNorm, InstanceNorm, Linear, TFCTDFNet

FORMAT = "drumsplit-model"
FORMAT_VERSION = 1
METADATA_FILE = "drumsplit.json"
PRECISIONS = ("fp32", "fp16", "int8")


def sha256_file(path: str) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def weights_sha256(path: str) -> str:
    """The weights digest of the model archive at path (docs/ARCHITECTURE.md):
    hex SHA-256 over the tensor records "<top>/data/<key>" in ascending byte
    order of "data/<key>", each fed as that name (UTF-8), a zero byte, its
    size as a big-endian uint64, and the SHA-256 of its bytes. The metadata
    record is not part of it, so the digest can be stored in the same
    archive; hashing each record on its own lets readers check them in
    parallel."""
    with zipfile.ZipFile(path) as z:
        records = []
        for info in z.infolist():
            top, sep, rest = info.filename.partition("/")
            if top and sep and rest.startswith("data/"):
                records.append((rest.encode("utf-8"), info))
        records.sort(key=lambda r: r[0])
        h = hashlib.sha256()
        for name, info in records:
            rh = hashlib.sha256()
            with z.open(info) as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    rh.update(block)
            h.update(name + b"\0" + info.file_size.to_bytes(8, "big") + rh.digest())
    return h.hexdigest()


def _with_weights_digest(meta: Dict[str, Any], digest: str) -> "OrderedDict[str, Any]":
    """meta with weights_sha256 set, placed after checkpoint_sha256."""
    out: "OrderedDict[str, Any]" = OrderedDict()
    for k, v in meta.items():
        if k != "weights_sha256":
            out[k] = v
        if k == "checkpoint_sha256":
            out["weights_sha256"] = digest
    if "weights_sha256" not in out:
        out["weights_sha256"] = digest
    return out


def build_metadata(cfg: ModelConfig, name: str, precision: str, checkpoint_sha256: str,
                   architecture: str = "tfc_tdf_v3") -> Dict[str, Any]:
    """The drumsplit.json content for a model of cfg."""
    if precision not in PRECISIONS:
        raise ExportError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    return OrderedDict([
        ("format", FORMAT),
        ("format_version", FORMAT_VERSION),
        ("architecture", architecture),
        ("sample_rate", cfg.sample_rate),
        ("channels", cfg.audio_channels),
        ("n_fft", cfg.n_fft),
        ("hop_length", cfg.hop_length),
        ("dim_f", cfg.dim_f),
        ("chunk_size", cfg.chunk_size),
        ("frames_multiple", cfg.frames_multiple),
        ("stems", cfg.stems),
        ("num_overlap", cfg.num_overlap),
        ("batch_size", cfg.batch_size),
        ("precision", precision),
        ("checkpoint_sha256", checkpoint_sha256),
        ("torch_version", torch.__version__),
        ("name", name),
        ("config", cfg.raw),
    ])


def half_weights(net: nn.Module) -> nn.Module:
    """Store the conv, transposed conv and linear weights in float16 and keep the
    norm parameters in float32: exactly the operands autocast gives those ops."""
    for m in net.modules():
        if isinstance(m, (Conv2d, ConvTranspose2d, Linear)):
            m.to(torch.float16)
    return net


def export_module(module: nn.Module, meta: Dict[str, Any], out: str) -> int:
    """Script module, save it with meta as extra/drumsplit.json to out
    (atomically: a temporary file next to out renamed into place). Returns
    the file size.

    meta gains weights_sha256, the digest of the tensor records: the archive
    is saved once to learn it and once more with it in the metadata (the
    tensor records of the two saves must agree, which is checked)."""
    module.eval()
    try:
        scripted = torch.jit.script(module)
    except Exception as e:  # a bug of ours, not the user's; keep the message short
        raise ExportError(f"torch.jit.script failed: {str(e).strip().splitlines()[0]}") from None
    out_dir = os.path.dirname(os.path.abspath(out))
    try:
        tmp_dir = tempfile.mkdtemp(prefix=".drumsplit-export-", dir=out_dir)
    except OSError as e:
        raise ExportError(f"cannot write {out}: {e.strerror or e}") from None
    # torch names the archive's top folder after the file, so the temporary
    # file gets the output's name: the bytes do not depend on the temp path.
    tmp = os.path.join(tmp_dir, os.path.basename(out))
    try:
        torch.jit.save(scripted, tmp, _extra_files={METADATA_FILE: json.dumps(meta, indent=2) + "\n"})
        digest = weights_sha256(tmp)
        final = _with_weights_digest(meta, digest)
        torch.jit.save(scripted, tmp, _extra_files={METADATA_FILE: json.dumps(final, indent=2) + "\n"})
        if weights_sha256(tmp) != digest:
            raise ExportError("torch.jit.save wrote other tensor records the second time; cannot record "
                              "the weights digest")
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        size = os.path.getsize(tmp)
        os.replace(tmp, out)
    except (OSError, RuntimeError) as e:
        raise ExportError(f"cannot write {out}: {getattr(e, 'strerror', None) or str(e).splitlines()[0]}") from None
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    meta.clear()
    meta.update(final)
    return size


def read_chunks(path: str, chunk_size: int, channels: int = 2) -> torch.Tensor:
    """Audio chunks from a raw file: little-endian float32, [N, channels,
    chunk_size] C-contiguous (what `drumsplit export --calibrate` writes)."""
    try:
        data = open(path, "rb").read()
    except OSError as e:
        raise ExportError(f"cannot read {path}: {e.strerror or e}") from None
    per = channels * chunk_size * 4
    if len(data) % per:
        raise ExportError(f"{path}: {len(data)} bytes are not whole chunks of {channels} × {chunk_size} float32")
    x = torch.frombuffer(bytearray(data), dtype=torch.float32) if data else torch.empty(0)
    x = x.reshape(len(data) // per, channels, chunk_size)
    if not torch.isfinite(x).all():
        raise ExportError(f"{path}: calibration audio has NaN or infinite samples")
    return x


def export_model(checkpoint: str, config: str, out: str, precision: str = "fp32",
                 name: Optional[str] = None, trust: bool = False,
                 calibration: Optional[torch.Tensor] = None, check: Optional[torch.Tensor] = None,
                 int8_layers: Optional[List[str]] = None) -> Dict[str, Any]:
    """Export checkpoint + MSST yaml config to drumsplit's archive at out; returns the metadata.

    int8 needs calibration audio ([N, 2, chunk_size] float32) and check
    audio (likewise, not part of calibration): the int8 network's SDR
    against the fp32 network's on check is stored in the metadata.
    int8_layers overrides the recipe's choice of layers (research only)."""
    if precision not in PRECISIONS:
        raise ExportError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    cfg = load_config(config)
    net = TFCTDFNet(cfg)
    load_checkpoint(checkpoint, net, config=f"config {config}", trust=trust)
    net.eval()
    int8_meta = None
    if precision == "fp16":
        half_weights(net)
    elif precision == "int8":
        net, int8_meta = _int8(net, cfg, calibration, check, int8_layers)
    if not name:
        name = os.path.splitext(os.path.basename(checkpoint))[0]
    meta = build_metadata(cfg, name, precision, sha256_file(checkpoint))
    if int8_meta is not None:
        meta["int8"] = int8_meta
    export_module(net, meta, out)
    return meta


def _int8(net: TFCTDFNet, cfg: ModelConfig, calibration: Optional[torch.Tensor], check: Optional[torch.Tensor],
          layers: Optional[List[str]]):
    """The int8 network of net and the metadata section describing it."""
    from . import quantize

    for what, x in (("calibration", calibration), ("check", check)):
        if x is None or len(x) == 0:
            raise ExportError(f"int8 needs {what} audio")
        if x.dim() != 3 or x.shape[1] != cfg.audio_channels or x.shape[2] != cfg.chunk_size:
            raise ExportError(f"{what} audio has shape {list(x.shape)}, want [N, {cfg.audio_channels}, "
                              f"{cfg.chunk_size}]")
    engine = quantize.pick_engine()
    if layers is None:
        layers = quantize.int8_layers(net)
    if not layers:
        raise ExportError("int8: this network has no layer deep enough to quantise")
    q = quantize.quantize_int8(net, calibration, layers, engine)
    # The check runs what will be saved: the scripted int8 network.
    ref = quantize.run_batches(net, check)
    got = quantize.run_batches(torch.jit.script(q), check)
    sdr = quantize.stem_sdr(ref, got)
    meta = quantize.int8_metadata(layers, quantize.layer_names(net), engine, len(calibration), len(check),
                                  cfg.stems, sdr)
    return q, meta


def random_state_dict(cfg: ModelConfig, seed: int = 0) -> "OrderedDict[str, torch.Tensor]":
    """Random weights for cfg with MSST's key names: torch's default init for
    convs and linears, and non-trivial norm parameters and running statistics
    (so tests notice a norm that is skipped or gets the wrong tensors)."""
    gen_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        net = TFCTDFNet(cfg)
        with torch.no_grad():
            for m in net.modules():
                if isinstance(m, (InstanceNorm, BatchNorm, GroupNorm)):
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.normal_(0.0, 0.1)
                if isinstance(m, BatchNorm):
                    m.running_mean.normal_(0.0, 0.1)
                    m.running_var.uniform_(0.5, 2.0)
                    m.num_batches_tracked.fill_(1000)
        return net.state_dict()
    finally:
        torch.random.set_rng_state(gen_state)

