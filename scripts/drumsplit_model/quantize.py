"""Static int8 quantisation of a TFCTDFNet for the CPU (`--precision int8`).

Eager-mode static quantisation: each chosen convolution or linear is wrapped
as quantise → int8 op → dequantise, its weights per output channel
(symmetric, 7 bits: see WEIGHT_QMAX), its input and output activations per
tensor (8 bits, affine) with ranges a HistogramObserver picks on calibration
audio. Everything else (norms, activations, the STFT, the layers left out)
stays float32.

Which layers. Measured on the bundled model (docs/CPU_LEVERS.md, "int8"):
quantising a layer adds noise set by its input's dynamic range, and inside
this network that range is extreme where the frequency axis is long: after
InstanceNorm and GELU the top level's activations peak at 100-200 standard
deviations (transients, low bins), so an 8-bit per-tensor grid puts one step
at about a third of a standard deviation and a single top-level layer costs
10-25 dB of SDR against fp32 on some stem. first_conv (the raw spectrogram)
and final_conv (spectrogram and mask) are worse still. The layers that can
be quantised while every stem keeps >= 30 dB against fp32 are the deep ones
(INT8_MIN_LEVEL): see int8_layers.

Fidelity is measured at export on chunks held out from calibration and
stored in the model's metadata, so every int8 model says what it costs.
"""

import copy
from typing import Dict, List, Optional, Sequence

import torch
from torch import Tensor, nn

from .config import ExportError
from .net import Conv2d, ConvTranspose2d, Linear, TFCTDFNet

# Weights use [-WEIGHT_QMAX, WEIGHT_QMAX]: 7 bits. FBGEMM on x86 CPUs without
# VNNI multiplies uint8 activations by int8 weights in pairs summed to int16
# (vpmaddubsw), which saturates for 8-bit weights (255·127·2 > 32767); with
# |w| <= 63 it cannot (255·63·2 = 32130). The weights' own quantisation
# noise stays ~60 dB below the signal, far under the activations'.
WEIGHT_QMAX = 63

# The quantised engines, in the order export and runtime prefer them.
ENGINES = ("x86", "fbgemm", "onednn", "qnnpack")

# INT8_MIN_LEVEL: layers of the U-Net at this depth or deeper are quantised
# (0 is the full-resolution level; the bottleneck is num_scales).
INT8_MIN_LEVEL = 2


def pick_engine() -> str:
    """The first of ENGINES this torch supports; ExportError if none."""
    have = set(torch.backends.quantized.supported_engines)
    for e in ENGINES:
        if e in have:
            return e
    raise ExportError(f"this torch has no quantised CPU engine (it has {', '.join(sorted(have))}); "
                      "int8 needs one of fbgemm, onednn or qnnpack")


def _level_of(name: str, num_scales: int) -> Optional[int]:
    """U-Net level of a layer name: encoder_blocks.i and decoder_blocks
    (counted from the bottom) map to their resolution level, the bottleneck
    to num_scales; first_conv and final_conv to None (never quantised)."""
    parts = name.split(".")
    if parts[0] == "encoder_blocks":
        return int(parts[1]) + (1 if parts[2] == "downscale" else 0)
    if parts[0] == "decoder_blocks":
        lvl = num_scales - 1 - int(parts[1])
        return lvl + (1 if parts[2] == "upscale" else 0)
    if parts[0] == "bottleneck_block":
        return num_scales
    return None


def layer_names(net: nn.Module) -> List[str]:
    """Every convolution, transposed convolution and linear of net, in module order."""
    return [n for n, m in net.named_modules() if isinstance(m, (Conv2d, ConvTranspose2d, Linear))]


def int8_layers(net: TFCTDFNet, min_level: int = INT8_MIN_LEVEL) -> List[str]:
    """The layers the int8 recipe quantises: every conv, transposed conv and
    linear at U-Net level >= min_level. A downscale belongs to the level it
    produces and an upscale to the level it reads, so that a quantised
    layer's input always has the shorter frequency axis."""
    num_scales = len(net.encoder_blocks)
    out = []
    for n in layer_names(net):
        lvl = _level_of(n, num_scales)
        if lvl is not None and lvl >= min_level:
            out.append(n)
    return out


class Int8Layer(nn.Module):
    """quantise → int8 op → dequantise, float32 in and out.

    The empty weight buffer keeps `first_conv.weight.dtype`-style lookups of
    the network working should first_conv ever be wrapped."""

    def __init__(self, op: nn.Module):
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.module = op
        self.dequant = torch.ao.quantization.DeQuantStub()
        self.register_buffer("weight", torch.empty(0), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.dequant(self.module(self.quant(x.float())))


def plain_layer(m: nn.Module) -> nn.Module:
    """The torch.nn layer of drumsplit's casting subclass with the same
    weights: the quantisation mappings match exact types."""
    if isinstance(m, ConvTranspose2d):
        p = nn.ConvTranspose2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding,
                               m.output_padding, m.groups, m.bias is not None, m.dilation)
    elif isinstance(m, Conv2d):
        p = nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation,
                      m.groups, m.bias is not None)
    else:
        p = nn.Linear(m.in_features, m.out_features, m.bias is not None)
    p.load_state_dict({k: v.float() for k, v in m.state_dict().items()})
    return p


def _qconfig(layer: nn.Module) -> torch.ao.quantization.QConfig:
    from torch.ao.quantization.observer import HistogramObserver, MinMaxObserver, PerChannelMinMaxObserver
    act = HistogramObserver.with_args(reduce_range=False)
    if isinstance(layer, ConvTranspose2d):
        # torch 1.13 has no per-channel weights for transposed convolutions.
        weight = MinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric,
                                          quant_min=-WEIGHT_QMAX, quant_max=WEIGHT_QMAX)
    else:
        weight = PerChannelMinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_channel_symmetric,
                                                    quant_min=-WEIGHT_QMAX, quant_max=WEIGHT_QMAX)
    return torch.ao.quantization.QConfig(activation=act, weight=weight)


def run_batches(net: nn.Module, audio: Tensor, batch: int = 4) -> Tensor:
    """net on audio ([N, 2, chunk]) in batches, concatenated."""
    with torch.no_grad():
        return torch.cat([net(audio[i:i + batch]) for i in range(0, len(audio), batch)])


def quantize_int8(net: nn.Module, calibration: Tensor, layers: Sequence[str], engine: str) -> nn.Module:
    """An int8 copy of net (float32 weights, eval mode): the named layers run
    quantised with activation ranges observed while net runs calibration
    ([N, 2, chunk] float32 audio, in batches of 4). net is left unchanged."""
    if len(calibration) == 0:
        raise ExportError("no calibration audio")
    torch.backends.quantized.engine = engine
    q = copy.deepcopy(net).float().eval()
    known = set(layer_names(q))
    for name in layers:
        if name not in known:
            raise ExportError(f"int8: the network has no layer {name!r}")
        parent, _, attr = name.rpartition(".")
        owner = q.get_submodule(parent) if parent else q
        layer = getattr(owner, attr)
        w = Int8Layer(plain_layer(layer))
        w.qconfig = _qconfig(layer)
        setattr(owner, attr, w)
    torch.ao.quantization.prepare(q, inplace=True)
    run_batches(q, calibration)
    return torch.ao.quantization.convert(q, inplace=True)


def stem_sdr(ref: Tensor, est: Tensor) -> List[float]:
    """SDR in dB of est against ref ([N, S, ...]) per stem, over all N; a
    stem that ref leaves silent is +inf when est is silent too."""
    out = []
    for s in range(ref.shape[1]):
        r, e = ref[:, s].double(), est[:, s].double()
        sig, err = (r ** 2).sum().item(), ((r - e) ** 2).sum().item()
        if err == 0:
            out.append(float("inf"))
        elif sig == 0:
            out.append(float("-inf"))
        else:
            out.append(10 * torch.log10(torch.tensor(sig / err)).item())
    return out


def int8_metadata(layers: Sequence[str], all_layers: Sequence[str], engine: str, n_cal: int, n_check: int,
                  stems: Sequence[str], sdr: Sequence[float]) -> Dict[str, object]:
    """The "int8" section of drumsplit.json."""
    return {
        "engine": engine,
        "layers": list(layers),
        "fp32_layers": [n for n in all_layers if n not in set(layers)],
        "activations": "uint8 per tensor, HistogramObserver",
        "weights": f"int8 per output channel, symmetric, |q| <= {WEIGHT_QMAX}",
        "calibration_chunks": n_cal,
        "check_chunks": n_check,
        # SDR of the int8 network's stems against the fp32 network's on the
        # check chunks (calibration audio not used to calibrate), per stem.
        "sdr_vs_fp32_db": {s: (round(v, 2) if abs(v) != float("inf") else (999.0 if v > 0 else -999.0))
                           for s, v in zip(stems, sdr)},
    }
