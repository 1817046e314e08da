#!/usr/bin/env python3
"""Write the torch.stft / torch.istft fixtures of the Go package stft.

Run with the Debian python3-torch (1.13): `make fixtures-stft`. Everything is
float32 little-endian raw data under stft/testdata/, described by
stft/testdata/index.json; complex arrays are stored as interleaved (re, im)
pairs in torch's [bins, frames] order, so they read straight into Go's
[]complex64. The generator is seeded, so reruns write the same signals.

Cases ("stft"): a signal x, torch.stft(x), torch.istft of that spectrogram
(default length and length=len(x)), and torch.istft of a pseudo-random spectrogram
of the same shape (hash_noise, rebuilt by the Go tests) (not the STFT of anything, with nonzero imaginary parts in
the DC and Nyquist bins) at the default length, shorter and longer ones
(null where torch rejects the length, see stft_case).
Cases ("mdx"): the MDX23C STFT helper's forward and inverse with the exact
reshape/permute sequence of the reference model code (docs: shared
reference mdx23c.md section 1.2).
"""

import argparse
import json
import os

import numpy as np
import torch

SR = 44100


def hash_noise(seed, n):
    """n float32 values in [-1, 1) from splitmix64 of seed·2^32 + i.

    Exact integer arithmetic, mirrored by hashNoise in the Go tests, so
    inputs the tests can rebuild need not be committed."""
    with np.errstate(over="ignore"):
        x = (np.uint64(seed) << np.uint64(32)) + np.arange(n, dtype=np.uint64)
        z = x * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(40)).astype(np.float64) / 2.0**23 - 1).astype(np.float32)


def noise(rng, n):
    return (0.3 * rng.standard_normal(n)).astype(np.float32)


def drums(rng, n):
    """Decaying noise bursts and sines: kick, snare and hi-hat-like hits."""
    t = np.arange(n) / SR
    y = np.zeros(n)
    step = max(n // 7, 1)
    for i, start in enumerate(range(0, n, step)):
        tt = t[start:] - t[start]
        kind = i % 3
        if kind == 0:  # kick: falling pitch, slow decay
            f = 50 + 100 * np.exp(-tt * 30)
            phase = 2 * np.pi * np.cumsum(f) / SR
            hit = 0.9 * np.sin(phase) * np.exp(-tt * 12)
        elif kind == 1:  # snare: noise burst plus a 190 Hz body
            hit = 0.5 * rng.standard_normal(tt.size) * np.exp(-tt * 25)
            hit += 0.3 * np.sin(2 * np.pi * 190 * tt) * np.exp(-tt * 20)
        else:  # hi-hat: differentiated (bright) noise, short decay
            w = rng.standard_normal(tt.size + 1)
            hit = 0.25 * np.diff(w) * np.exp(-tt * 60)
        y[start:] += hit
    return y.astype(np.float32)


class Writer:
    def __init__(self, out):
        self.out = out
        self.total = 0

    def put(self, name, arr):
        a = np.ascontiguousarray(arr)
        if np.iscomplexobj(a):
            a = np.stack([a.real, a.imag], axis=-1)
        a = a.astype("<f4")
        path = os.path.join(self.out, name)
        a.tofile(path)
        self.total += a.nbytes
        return name


def stft_case(w, rng, seed, name, kind, n_fft, hop, length):
    x = (noise if kind == "noise" else drums)(rng, length)
    window = torch.hann_window(n_fft, periodic=True)
    xt = torch.from_numpy(x)
    spec = torch.stft(xt, n_fft, hop, window=window, center=True,
                      pad_mode="reflect", normalized=False, onesided=True,
                      return_complex=True)
    bins, frames = spec.shape
    y_default = torch.istft(spec, n_fft, hop, window=window, center=True)
    y_len = torch.istft(spec, n_fft, hop, window=window, center=True, length=length)

    # Interleaved (re, im) in [bins, frames] order, like the .c64 files.
    r = torch.from_numpy(hash_noise(seed, 2 * bins * frames).reshape(bins, frames, 2))
    rspec = torch.view_as_complex(r)
    default_len = y_default.shape[-1]
    # Past default + hop the tail reaches frames' last samples, where the
    # window envelope can drop under torch's 1e-11 NOLA threshold (n_fft
    # 2048: w[1]² ≈ 5.5e-12): torch raises, recorded as null, and the Go
    # test expects ErrNOLA. Past the last frame torch pads zeros.
    lengths = [default_len, max(default_len - hop - 3, 0), default_len + hop + 7,
               default_len + n_fft + 7]
    rand_out = {}
    for n in lengths:
        try:
            r = torch.istft(rspec, n_fft, hop, window=window, center=True, length=n)
        except RuntimeError as e:
            if "window overlap add min" not in str(e):
                raise
            rand_out[str(n)] = None
            continue
        rand_out[str(n)] = w.put(f"{name}.rand_istft_{n}.f32", r.numpy())

    case = {
        "name": name, "signal": kind, "n_fft": n_fft, "hop": hop,
        "length": length, "bins": bins, "frames": frames,
        "default_length": default_len,
        "x": w.put(f"{name}.x.f32", x),
        "stft": w.put(f"{name}.stft.c64", spec.numpy()),
        "istft": w.put(f"{name}.istft.f32", y_default.numpy()),
        "rand_seed": seed,
        "rand_istft": rand_out,
    }
    if length != default_len:
        case["istft_length"] = w.put(f"{name}.istft_len.f32", y_len.numpy())
    return case


class RefSTFT:
    """The MDX23C STFT helper, written from the reference description."""

    def __init__(self, n_fft, hop, dim_f):
        self.n_fft, self.hop, self.dim_f = n_fft, hop, dim_f
        self.window = torch.hann_window(n_fft, periodic=True)

    def __call__(self, x):
        batch_dims = x.shape[:-2]
        c, t = x.shape[-2:]
        x = x.reshape([-1, t])
        x = torch.stft(x, n_fft=self.n_fft, hop_length=self.hop, window=self.window,
                       center=True, return_complex=True)
        x = torch.view_as_real(x)
        x = x.permute([0, 3, 1, 2])
        x = x.reshape([*batch_dims, c, 2, -1, x.shape[-1]]).reshape([*batch_dims, c * 2, -1, x.shape[-1]])
        return x[..., :self.dim_f, :]

    def inverse(self, x):
        batch_dims = x.shape[:-3]
        c, f, t = x.shape[-3:]
        n = self.n_fft // 2 + 1
        f_pad = torch.zeros([*batch_dims, c, n - f, t])
        x = torch.cat([x, f_pad], -2)
        x = x.reshape([*batch_dims, c // 2, 2, n, t]).reshape([-1, 2, n, t])
        x = x.permute([0, 2, 3, 1])
        x = x[..., 0] + x[..., 1] * 1.j
        x = torch.istft(x, n_fft=self.n_fft, hop_length=self.hop, window=self.window, center=True)
        return x.reshape([*batch_dims, 2, -1])


def mdx_case(w, rng, seed, name, n_fft, hop, dim_f, batch, stems, length):
    ref = RefSTFT(n_fft, hop, dim_f)
    audio = np.stack([np.stack([drums(rng, length), noise(rng, length)]) for _ in range(batch)])
    spec = ref(torch.from_numpy(audio))
    frames = spec.shape[-1]
    # Stand-in for a network output: the mixture spectrogram per stem plus
    # noise, so the inverse sees both structure and non-STFT content.
    net = spec.unsqueeze(1).repeat(1, stems, 1, 1, 1)
    net = net + torch.from_numpy(hash_noise(seed, net.numel()).reshape(net.shape))
    out = ref.inverse(net)
    return {
        "name": name, "n_fft": n_fft, "hop": hop, "dim_f": dim_f,
        "batch": batch, "stems": stems, "length": length, "frames": frames,
        "out_length": out.shape[-1], "net_seed": seed,
        "audio": w.put(f"{name}.audio.f32", audio),
        "spec": w.put(f"{name}.spec.f32", spec.numpy()),
        "out": w.put(f"{name}.out.f32", out.numpy()),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "stft", "testdata"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    rng = np.random.default_rng(20240604)
    w = Writer(args.out)
    # (name, signal, n_fft, hop, length): lengths that are and are not
    # multiples of hop, and the shortest signal torch accepts (n_fft/2 + 1).
    stft_cases = [
        ("noise_2048_512_mult", "noise", 2048, 512, 512 * 8),
        ("drums_2048_512_odd", "drums", 2048, 512, 4701),
        ("noise_4096_1024_odd", "noise", 4096, 1024, 5000),
        ("drums_4096_1024_mult", "drums", 4096, 1024, 1024 * 5),
        ("noise_1023_250_odd", "noise", 1023, 250, 3001),
        ("drums_1023_250_mult", "drums", 1023, 250, 250 * 11),
        ("drums_2048_512_short", "drums", 2048, 512, 1025),
    ]
    index = {
        "torch_version": torch.__version__,
        "stft": [stft_case(w, rng, i + 1, *c) for i, c in enumerate(stft_cases)],
        "mdx": [
            mdx_case(w, rng, 101, "mdx_256_64_96", 256, 64, 96, batch=2, stems=3, length=64 * 15),
            mdx_case(w, rng, 102, "mdx_drumsep", 2048, 512, 1024, batch=1, stems=2, length=512 * 3),
        ],
    }
    with open(os.path.join(args.out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    print(f"wrote {w.total / 1e6:.2f} MB of fixtures to {os.path.normpath(args.out)}")


if __name__ == "__main__":
    main()
