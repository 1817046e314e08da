"""MSST yaml configs for TFC-TDF v3 (MDX23C) models.

The yaml schema is MSST's (ZFTurbo/Music-Source-Separation-Training): the
network reads audio.{n_fft, hop_length, dim_f, num_channels}, model.*,
training.{instruments, target_instrument}; the runner reads audio.chunk_size
(or inference.chunk_size) and inference.{num_overlap, batch_size}. UVR's
copies of the same files capitalise the stem names and some files carry
python-specific yaml tags such as !!python/tuple; both are accepted.
"""

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import yaml


class ExportError(Exception):
    """An error for the user; its message is a single line."""

    def __init__(self, msg: str):
        super().__init__(" ".join(str(msg).split()))


class _ConfigLoader(yaml.SafeLoader):
    """SafeLoader that reads !!python/tuple as a list and ignores unknown tags.

    MSST configs are sometimes written by yaml.dump of python objects, which
    adds tags (!!python/tuple for `scale`). Constructing the plain node
    behind an unknown tag keeps the values and never runs python code.
    """


def _construct_tuple(loader, node):
    return loader.construct_sequence(node, deep=True)


def _construct_untagged(loader, tag_suffix, node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_ConfigLoader.add_constructor("tag:yaml.org,2002:python/tuple", _construct_tuple)
# The empty prefix matches every tag without a constructor of its own.
_ConfigLoader.add_multi_constructor("", _construct_untagged)


@dataclass
class ModelConfig:
    """The validated numbers of an MSST TFC-TDF v3 config.

    stems are the output names in yaml order, lowercased (drumsplit's
    canonical stem names); for a target_instrument config it is that one stem.
    """

    # audio
    sample_rate: int
    audio_channels: int
    n_fft: int
    hop_length: int
    dim_f: int
    chunk_size: int
    # model
    num_subbands: int
    num_scales: int
    scale: Tuple[int, int]
    num_blocks_per_scale: int
    num_channels: int
    growth: int
    bottleneck_factor: int
    norm: str
    act: str
    # training / inference
    instruments: List[str]
    target_instrument: Optional[str]
    num_overlap: int
    batch_size: int
    use_amp: bool
    raw: Dict[str, Any] = field(default_factory=dict)

    @property
    def stems(self) -> List[str]:
        """Output stem names in output order."""
        if self.target_instrument:
            return [self.target_instrument]
        return list(self.instruments)

    @property
    def num_targets(self) -> int:
        """S, the number of stems the network outputs."""
        return len(self.stems)

    @property
    def dim_c(self) -> int:
        """Channels after subband folding: subbands x audio channels x (re, im)."""
        return self.num_subbands * self.audio_channels * 2

    @property
    def frames(self) -> int:
        """STFT frames T of one chunk (center=True)."""
        return self.chunk_size // self.hop_length + 1

    @property
    def frames_multiple(self) -> int:
        """T must be a multiple of this for the U-Net's skip connections to line up."""
        return self.scale[0] ** self.num_scales

    def chunk_for_frames(self, frames: int) -> int:
        """The chunk length in samples that gives `frames` STFT frames."""
        return (frames - 1) * self.hop_length

    def with_chunk(self, chunk_size: int) -> "ModelConfig":
        """A copy with another chunk size (validated)."""
        c = ModelConfig(**{k: getattr(self, k) for k in self.__dataclass_fields__})
        c.chunk_size = chunk_size
        c.validate()
        return c

    def validate(self) -> None:
        """Check the numbers fit together; raises ExportError naming the field."""
        if self.audio_channels != 2:
            raise ExportError(f"audio.num_channels is {self.audio_channels}: drumsplit models are stereo (2)")
        for name in ("sample_rate", "n_fft", "hop_length", "dim_f", "chunk_size", "num_subbands",
                     "num_scales", "num_blocks_per_scale", "num_channels", "bottleneck_factor",
                     "num_overlap", "batch_size"):
            if getattr(self, name) <= 0:
                raise ExportError(f"{_path_of(name)} must be positive, got {getattr(self, name)}")
        if self.growth < 0:
            raise ExportError(f"model.growth must not be negative, got {self.growth}")
        if self.scale[0] <= 0 or self.scale[1] <= 0:
            raise ExportError(f"model.scale must be two positive integers, got {list(self.scale)}")
        bins = self.n_fft // 2 + 1
        if self.dim_f > bins:
            raise ExportError(f"audio.dim_f {self.dim_f} exceeds the {bins} bins of n_fft {self.n_fft}")
        if self.dim_f % self.num_subbands:
            raise ExportError(f"audio.dim_f {self.dim_f} is not divisible by model.num_subbands {self.num_subbands}")
        f = self.dim_f // self.num_subbands
        fm = self.scale[1] ** self.num_scales
        if f % fm:
            raise ExportError(f"audio.dim_f/num_subbands = {f} is not divisible by scale[1]^num_scales = {fm}")
        if self.chunk_size % self.hop_length:
            raise ExportError(f"chunk_size {self.chunk_size} is not a multiple of audio.hop_length {self.hop_length}")
        if self.frames % self.frames_multiple:
            raise ExportError(f"chunk_size {self.chunk_size} gives {self.frames} STFT frames, not a multiple of "
                              f"scale[0]^num_scales = {self.frames_multiple}")
        if not self.stems:
            raise ExportError("training.instruments is empty")
        if len(set(self.stems)) != len(self.stems):
            raise ExportError(f"training.instruments has duplicate names (after lowercasing): {self.stems}")
        # Validate the factories early so the error names the yaml field.
        norm_kind(self.norm)
        act_kind(self.act)


_FIELD_PATHS = {
    "sample_rate": "audio.sample_rate", "n_fft": "audio.n_fft", "hop_length": "audio.hop_length",
    "dim_f": "audio.dim_f", "chunk_size": "audio.chunk_size", "num_subbands": "model.num_subbands",
    "num_scales": "model.num_scales", "num_blocks_per_scale": "model.num_blocks_per_scale",
    "num_channels": "model.num_channels", "bottleneck_factor": "model.bottleneck_factor",
    "num_overlap": "inference.num_overlap", "batch_size": "inference.batch_size",
}


def _path_of(name: str) -> str:
    return _FIELD_PATHS.get(name, name)


def norm_kind(norm: Optional[str]) -> Tuple[str, int]:
    """MSST's norm factory: ('batch'|'instance'|'group'|'identity', groups)."""
    if norm == "BatchNorm":
        return "batch", 0
    if norm == "InstanceNorm":
        return "instance", 0
    if isinstance(norm, str) and "GroupNorm" in norm:
        try:
            g = int(norm.replace("GroupNorm", ""))
        except ValueError:
            raise ExportError(f"model.norm {norm!r}: expected GroupNorm followed by the number of groups") from None
        if g <= 0:
            raise ExportError(f"model.norm {norm!r}: the number of groups must be positive")
        return "group", g
    return "identity", 0


def act_kind(act: str) -> Tuple[str, float]:
    """MSST's activation factory: ('gelu'|'relu'|'elu', alpha)."""
    if act == "gelu":
        return "gelu", 0.0
    if act == "relu":
        return "relu", 0.0
    if isinstance(act, str) and act[:3] == "elu":
        try:
            return "elu", float(act[3:])
        except ValueError:
            raise ExportError(f"model.act {act!r}: expected elu followed by alpha, e.g. elu1.0") from None
    raise ExportError(f"model.act {act!r} is not one of gelu, relu, eluX")


_MISSING = object()


def _get(cfg: Dict[str, Any], path: str, default: Any = _MISSING) -> Any:
    node: Any = cfg
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            if default is _MISSING:
                raise ExportError(f"config is missing required field {path}")
            return default
        node = node[part]
    if node is None and default is _MISSING:
        raise ExportError(f"config field {path} is empty")
    return node


def _int(cfg: Dict[str, Any], path: str, default: Any = _MISSING) -> int:
    v = _get(cfg, path, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or int(v) != v:
        raise ExportError(f"config field {path} must be an integer, got {v!r}")
    return int(v)


def _stem_name(v: Any, path: str) -> str:
    if isinstance(v, bool) or v is None or not isinstance(v, (str, int)):
        raise ExportError(f"config field {path} holds {v!r}, not a stem name")
    name = str(v).strip().lower()
    if not name:
        raise ExportError(f"config field {path} holds an empty stem name")
    return name


def parse_config(cfg: Any, source: str = "config") -> ModelConfig:
    """Validate a parsed MSST yaml mapping and return its ModelConfig."""
    if not isinstance(cfg, dict):
        raise ExportError(f"{source}: not an MSST config (expected a mapping with audio, model, training)")
    for section in ("audio", "model", "training"):
        sec = cfg.get(section, _MISSING)
        if sec is _MISSING:
            raise ExportError(f"config is missing required section {section}")
        if not isinstance(sec, dict):
            raise ExportError(f"config section {section} is not a mapping")
    inference = cfg.get("inference") or {}
    if not isinstance(inference, dict):
        raise ExportError("config section inference is not a mapping")

    scale = _get(cfg, "model.scale")
    if not isinstance(scale, (list, tuple)) or len(scale) != 2 or not all(
            isinstance(s, int) and not isinstance(s, bool) for s in scale):
        raise ExportError(f"config field model.scale must be a list of two integers, got {scale!r}")

    instruments = _get(cfg, "training.instruments")
    if not isinstance(instruments, (list, tuple)):
        raise ExportError(f"config field training.instruments must be a list, got {instruments!r}")
    names = [_stem_name(v, f"training.instruments[{i}]") for i, v in enumerate(instruments)]
    target = _get(cfg, "training.target_instrument", None)
    target_name = _stem_name(target, "training.target_instrument") if target else None

    # MSST's demix takes inference.chunk_size when the config has it, else audio.chunk_size.
    if "chunk_size" in inference and inference["chunk_size"] is not None:
        chunk = _int(cfg, "inference.chunk_size")
    else:
        chunk = _int(cfg, "audio.chunk_size")

    norm = _get(cfg, "model.norm", None)
    act = _get(cfg, "model.act")
    use_amp = _get(cfg, "training.use_amp", True)

    mc = ModelConfig(
        sample_rate=_int(cfg, "audio.sample_rate"),
        audio_channels=_int(cfg, "audio.num_channels", 2),
        n_fft=_int(cfg, "audio.n_fft"),
        hop_length=_int(cfg, "audio.hop_length"),
        dim_f=_int(cfg, "audio.dim_f"),
        chunk_size=chunk,
        num_subbands=_int(cfg, "model.num_subbands"),
        num_scales=_int(cfg, "model.num_scales"),
        scale=(int(scale[0]), int(scale[1])),
        num_blocks_per_scale=_int(cfg, "model.num_blocks_per_scale"),
        num_channels=_int(cfg, "model.num_channels"),
        growth=_int(cfg, "model.growth"),
        bottleneck_factor=_int(cfg, "model.bottleneck_factor"),
        norm=norm if norm is None else str(norm),
        act=str(act),
        instruments=names,
        target_instrument=target_name,
        num_overlap=_int(cfg, "inference.num_overlap", 4),
        batch_size=_int(cfg, "inference.batch_size", 1),
        use_amp=bool(use_amp),
        raw=_jsonable(cfg),
    )
    mc.validate()
    return mc


def load_config(path: str) -> ModelConfig:
    """Read and validate an MSST yaml config file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ExportError(f"config {path}: {e.strerror or e}") from None
    try:
        cfg = yaml.load(data, Loader=_ConfigLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ExportError(f"config {path}: not valid yaml{where}: {problem}") from None
    try:
        return parse_config(cfg, source=f"config {path}")
    except ExportError as e:
        msg = str(e)
        if not msg.startswith(f"config {path}"):
            msg = f"config {path}: {msg}"
        raise ExportError(msg) from None


def _jsonable(v: Any) -> Any:
    """The config as plain JSON values (for the archive's metadata)."""
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)
