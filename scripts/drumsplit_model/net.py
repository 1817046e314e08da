"""TFC-TDF v3 (MDX23C), written for drumsplit and for TorchScript.

The module tree mirrors MSST's `TFC_TDF_net` attribute for attribute, so
state_dict keys and shapes are those of MSST / UVR checkpoints (strict load),
and the order of operations is MSST's (§1.2–§1.8 of the MDX23C reference
notes, mdx23c.md): STFT → subband folding → first_conv →
transpose → encoder (TFC-TDF, downscale) → bottleneck → decoder (upscale,
concat [upsampled, skip], TFC-TDF) → transpose → gate with first_conv's output
→ final_conv on [mix, features] → unfold → iSTFT.

Precision. The network runs in the dtype of its weights (first_conv.weight
fixes the compute dtype); inputs and outputs are float32 and the STFT/iSTFT
always run in float32. With float32 weights every cast below is a no-op and
the numbers are MSST's fp32 numbers. With float16 conv/linear weights the
casts reproduce what MSST's inference gets under torch.cuda.amp.autocast:

- convolutions, transposed convolutions and linears see fp16 inputs and
  weights (autocast's lower-precision list) and return fp16;
- InstanceNorm and BatchNorm are not on any autocast list, so under autocast
  they take the fp16 activations with the fp32 affine parameters, compute in
  fp32 internally and return fp16: here they upcast, normalise in fp32 with
  fp32 parameters and round the result back to the input dtype;
- GroupNorm is on autocast's fp32 list: it computes and returns fp32 (the
  activation that follows then also runs in fp32, as under autocast);
- activations, residual sums, the gate and concatenations run in whatever
  dtype their inputs have, as under autocast (the mixture spectrogram enters
  the net rounded to fp16 exactly once, as autocast rounds it for both
  first_conv and final_conv);
- the output is converted to fp32 before the iSTFT (MSST's zero-padding
  torch.cat promotes the fp16 output to fp32 the same way).

Because norms upcast their own parameters, a module whose every parameter was
converted to fp16 (module.to(torch.float16) in a runtime) also works; it then
differs from autocast only by the fp16 rounding of the norm parameters.
"""

from typing import Callable, List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from .config import ModelConfig, act_kind, norm_kind


class Conv2d(nn.Conv2d):
    """nn.Conv2d that casts its input to its weight's dtype (autocast's rule)."""

    def forward(self, x: Tensor) -> Tensor:
        return self._conv_forward(x.to(self.weight.dtype), self.weight, self.bias)


class ConvTranspose2d(nn.ConvTranspose2d):
    """nn.ConvTranspose2d (no output_size) that casts its input to its weight's dtype."""

    def forward(self, x: Tensor) -> Tensor:
        return F.conv_transpose2d(x.to(self.weight.dtype), self.weight, self.bias, self.stride,
                                  self.padding, self.output_padding, self.groups, self.dilation)


class Linear(nn.Linear):
    """nn.Linear that casts its input to its weight's dtype."""

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x.to(self.weight.dtype), self.weight, self.bias)


class InstanceNorm(nn.Module):
    """InstanceNorm2d(affine=True, track_running_stats=False): per-instance
    statistics over (T, F) even in eval, biased variance, eps 1e-5. Parameters
    weight and bias, as torch's module."""

    def __init__(self, c: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))
        self.eps = 1e-5

    def forward(self, x: Tensor) -> Tensor:
        y = F.instance_norm(x.float(), None, None, self.weight.float(), self.bias.float(),
                            True, 0.1, self.eps)
        return y.to(x.dtype)


class BatchNorm(nn.Module):
    """BatchNorm2d in eval mode (running statistics). State as torch's module:
    weight, bias, running_mean, running_var, num_batches_tracked."""

    def __init__(self, c: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))
        self.register_buffer("running_mean", torch.zeros(c))
        self.register_buffer("running_var", torch.ones(c))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        self.eps = 1e-5

    def forward(self, x: Tensor) -> Tensor:
        y = F.batch_norm(x.float(), self.running_mean.float(), self.running_var.float(),
                         self.weight.float(), self.bias.float(), False, 0.0, self.eps)
        return y.to(x.dtype)


class GroupNorm(nn.Module):
    """GroupNorm(groups, c), eps 1e-5; computes and returns float32 (autocast's fp32 list)."""

    def __init__(self, groups: int, c: int):
        super().__init__()
        if c % groups:
            raise ValueError(f"GroupNorm{groups}: {c} channels are not divisible into {groups} groups")
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))
        self.num_groups = groups
        self.eps = 1e-5

    def forward(self, x: Tensor) -> Tensor:
        return F.group_norm(x.float(), self.num_groups, self.weight.float(), self.bias.float(), self.eps)


def norm_factory(norm: str) -> Callable[[int], nn.Module]:
    """MSST's get_norm: BatchNorm, InstanceNorm, GroupNormN, anything else Identity."""
    kind, groups = norm_kind(norm)
    if kind == "batch":
        return BatchNorm
    if kind == "instance":
        return InstanceNorm
    if kind == "group":
        return lambda c: GroupNorm(groups, c)
    return lambda c: nn.Identity()


def act_factory(act: str) -> Callable[[], nn.Module]:
    """MSST's get_act: gelu (exact erf form), relu, eluX (alpha X)."""
    kind, alpha = act_kind(act)
    if kind == "gelu":
        return lambda: nn.GELU()
    if kind == "relu":
        return lambda: nn.ReLU()
    return lambda: nn.ELU(alpha)


class TFCTDFBlock(nn.Module):
    """One TFC-TDF sub-block: s = shortcut(x); x = tfc1(x); x = x + tdf(x);
    x = tfc2(x); x + s. The TDF linears act on the last axis (frequency)."""

    def __init__(self, in_c: int, c: int, f: int, bn: int, norm, act):
        super().__init__()
        self.tfc1 = nn.Sequential(norm(in_c), act(), Conv2d(in_c, c, 3, 1, 1, bias=False))
        self.tdf = nn.Sequential(norm(c), act(), Linear(f, f // bn, bias=False),
                                 norm(c), act(), Linear(f // bn, f, bias=False))
        self.tfc2 = nn.Sequential(norm(c), act(), Conv2d(c, c, 3, 1, 1, bias=False))
        self.shortcut = Conv2d(in_c, c, 1, 1, 0, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        s = self.shortcut(x)
        x = self.tfc1(x)
        x = x + self.tdf(x)
        x = self.tfc2(x)
        return x + s


class TFCTDF(nn.Module):
    """`l` TFC-TDF sub-blocks; the first maps in_c to c channels."""

    def __init__(self, in_c: int, c: int, l: int, f: int, bn: int, norm, act):
        super().__init__()
        self.blocks = nn.ModuleList()
        for _ in range(l):
            self.blocks.append(TFCTDFBlock(in_c, c, f, bn, norm, act))
            in_c = c

    def forward(self, x: Tensor) -> Tensor:
        for block in self.blocks:
            x = block(x)
        return x


class Downscale(nn.Module):
    """norm, act, Conv2d(kernel = stride = scale)."""

    def __init__(self, in_c: int, out_c: int, scale: Tuple[int, int], norm, act):
        super().__init__()
        self.conv = nn.Sequential(norm(in_c), act(),
                                  Conv2d(in_c, out_c, scale, scale, bias=False))

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(x)


class Upscale(nn.Module):
    """norm, act, ConvTranspose2d(kernel = stride = scale)."""

    def __init__(self, in_c: int, out_c: int, scale: Tuple[int, int], norm, act):
        super().__init__()
        self.conv = nn.Sequential(norm(in_c), act(),
                                  ConvTranspose2d(in_c, out_c, scale, scale, bias=False))

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(x)


class EncoderBlock(nn.Module):
    """Encoder level: tfc_tdf (its output is the skip), then downscale."""

    def __init__(self, c: int, g: int, l: int, f: int, bn: int, scale, norm, act):
        super().__init__()
        self.tfc_tdf = TFCTDF(c, c, l, f, bn, norm, act)
        self.downscale = Downscale(c, c + g, scale, norm, act)


class DecoderBlock(nn.Module):
    """Decoder level: upscale, concat [upsampled, skip], tfc_tdf (2c → c)."""

    def __init__(self, c: int, g: int, l: int, f: int, bn: int, scale, norm, act):
        super().__init__()
        self.upscale = Upscale(c, c - g, scale, norm, act)
        self.tfc_tdf = TFCTDF(2 * (c - g), c - g, l, f, bn, norm, act)


class STFT(nn.Module):
    """MSST's STFT helper (no state): periodic Hann window, center=True with
    reflect padding, the first dim_f bins, channels [L.re, L.im, R.re, R.im].
    Always float32."""

    def __init__(self, n_fft: int, hop_length: int, dim_f: int):
        super().__init__()
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.dim_f = dim_f

    def window(self, device: torch.device) -> Tensor:
        # Built on the CPU and moved, as MSST does, so every device gets the same window bits.
        return torch.hann_window(self.n_fft, periodic=True, dtype=torch.float32).to(device)

    def forward(self, x: Tensor) -> Tensor:
        """(B, C, L) float32 → (B, 2C, dim_f, L/hop + 1)."""
        b, c, length = x.shape
        z = torch.stft(x.reshape(-1, length), self.n_fft, hop_length=self.hop_length,
                       window=self.window(x.device), center=True, pad_mode="reflect",
                       normalized=False, onesided=True, return_complex=True)
        z = torch.view_as_real(z).permute(0, 3, 1, 2)  # (N, 2, F, T)
        z = z.reshape(b, c * 2, z.shape[2], z.shape[3])
        return z[:, :, : self.dim_f, :]

    def inverse(self, x: Tensor) -> Tensor:
        """(B, S, 2C, dim_f, T) → (B, S, C, hop·(T-1)); bins ≥ dim_f are zero."""
        b, s, c, f, t = x.shape
        n = self.n_fft // 2 + 1
        pad = torch.zeros([b, s, c, n - f, t], dtype=x.dtype, device=x.device)
        x = torch.cat([x, pad], -2)
        x = x.reshape(-1, 2, n, t).permute(0, 2, 3, 1).contiguous()  # (N, F, T, [re, im])
        y = torch.istft(torch.view_as_complex(x), self.n_fft, hop_length=self.hop_length,
                        window=self.window(x.device), center=True)
        return y.reshape(b, s, c // 2, y.shape[-1])


class TFCTDFNet(nn.Module):
    """MSST's TFC_TDF_net with drumsplit's two entry points.

    forward(audio [B, 2, chunk] float32) → [B, S, 2, chunk] float32
    forward_spec(spec [B, 4, dim_f, T] float32) → [B, S, 4, dim_f, T] float32
    The output always has the stem axis, also for S = 1 (MSST ≥ 756168c).
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        norm = norm_factory(cfg.norm)
        act = act_factory(cfg.act)
        k = cfg.num_subbands
        dim_c = cfg.dim_c
        n, l, c, g, bn = (cfg.num_scales, cfg.num_blocks_per_scale, cfg.num_channels,
                          cfg.growth, cfg.bottleneck_factor)
        scale = tuple(cfg.scale)
        f = cfg.dim_f // k

        self.num_subbands = k
        self.num_targets = cfg.num_targets

        self.first_conv = Conv2d(dim_c, c, 1, 1, 0, bias=False)
        self.encoder_blocks = nn.ModuleList()
        for _ in range(n):
            self.encoder_blocks.append(EncoderBlock(c, g, l, f, bn, scale, norm, act))
            f //= scale[1]
            c += g
        self.bottleneck_block = TFCTDF(c, c, l, f, bn, norm, act)
        self.decoder_blocks = nn.ModuleList()
        for _ in range(n):
            f *= scale[1]
            self.decoder_blocks.append(DecoderBlock(c, g, l, f, bn, scale, norm, act))
            c -= g
        self.final_conv = nn.Sequential(
            Conv2d(c + dim_c, c, 1, 1, 0, bias=False),
            act(),
            Conv2d(c, self.num_targets * dim_c, 1, 1, 0, bias=False),
        )
        self.stft = STFT(cfg.n_fft, cfg.hop_length, cfg.dim_f)

    def cac2cws(self, x: Tensor) -> Tensor:
        """(b, c, f, t) → (b, c·k, f/k, t): subbands become channels."""
        k = self.num_subbands
        b, c, f, t = x.shape
        return x.reshape(b, c, k, f // k, t).reshape(b, c * k, f // k, t)

    def cws2cac(self, x: Tensor) -> Tensor:
        """(b, c, f, t) → (b, c/k, f·k, t): the inverse of cac2cws."""
        k = self.num_subbands
        b, c, f, t = x.shape
        return x.reshape(b, c // k, k, f, t).reshape(b, c // k, f * k, t)

    def forward(self, audio: Tensor) -> Tensor:
        """Separate chunks: (B, 2, chunk) float32 → (B, S, 2, chunk) float32."""
        return self.stft.inverse(self.forward_spec(self.stft(audio.float())))

    @torch.jit.export
    def forward_spec(self, spec: Tensor) -> Tensor:
        """The net without STFT: (B, 4, dim_f, T) float32 → (B, S, 4, dim_f, T) float32."""
        mix = self.cac2cws(spec.to(self.first_conv.weight.dtype))
        first_conv_out = self.first_conv(mix)
        x = first_conv_out.transpose(-1, -2)  # (B, C, T, F) inside the U-Net
        skips: List[Tensor] = []
        for block in self.encoder_blocks:
            x = block.tfc_tdf(x)
            skips.append(x)
            x = block.downscale(x)
        x = self.bottleneck_block(x)
        for block in self.decoder_blocks:
            x = block.upscale(x)
            x = torch.cat([x, skips.pop()], 1)
            x = block.tfc_tdf(x)
        x = x.transpose(-1, -2)
        x = x * first_conv_out
        x = self.final_conv(torch.cat([mix, x.to(mix.dtype)], 1))
        x = self.cws2cac(x)
        b, c, f, t = x.shape
        return x.reshape(b, self.num_targets, c // self.num_targets, f, t).float()


class IdentityNet(nn.Module):
    """A test model with the real model's interface and metadata but no weights.

    forward_spec returns its input spectrogram once per stem. forward returns
    its input audio once per stem, or, with through_stft, runs the real
    STFT → forward_spec → iSTFT path (the torch STFT round trip, which zeroes
    the bins ≥ dim_f, so it is not the input).
    """

    def __init__(self, cfg: ModelConfig, through_stft: bool = False):
        super().__init__()
        self.num_targets = cfg.num_targets
        self.through_stft = through_stft
        self.stft = STFT(cfg.n_fft, cfg.hop_length, cfg.dim_f)

    def forward(self, audio: Tensor) -> Tensor:
        audio = audio.float()
        if self.through_stft:
            return self.stft.inverse(self.forward_spec(self.stft(audio)))
        b, c, length = audio.shape
        return audio.unsqueeze(1).expand(b, self.num_targets, c, length).contiguous()

    @torch.jit.export
    def forward_spec(self, spec: Tensor) -> Tensor:
        spec = spec.float()
        b, c, f, t = spec.shape
        return spec.unsqueeze(1).expand(b, self.num_targets, c, f, t).contiguous()
