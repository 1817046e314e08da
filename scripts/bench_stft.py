#!/usr/bin/env python3
"""Time torch.stft + torch.istft on the MDX23C batch that BenchmarkMDXBatch times in Go.

The work: one batch of 4 stereo chunks of 130560 samples (8 mono signals),
n_fft 2048, hop 512, dim_f 1024, forwards and back, on N threads
(torch.set_num_threads). Two torch variants are timed:

  raw  torch.stft on [8, L], torch.istft of that spectrogram
  mdx  the MDX23C STFT helper: stft, view_as_real, permute, reshape, drop
       bins >= dim_f, and back: zero-pad bins, complex, istft, reshape
       (what stft.MDX.SpecBatch / AudioBatch replace)

With --go, the script also runs the Go benchmark (built once with
`go test -c`) in alternation with torch, round by round, so both see the
same load on a shared machine, and prints Go/torch ratios of the medians.
Wall time and process CPU time are both reported: on a busy machine the
wall clock also counts time other processes took, CPU time does not (for
one thread it is the fairer comparison; for two threads only wall time
shows the parallel speed-up).

    python3 scripts/bench_stft.py --threads 1 2 --rounds 9 --go
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import torch

BATCH, CHUNK, N_FFT, HOP, DIM_F = 4, 130560, 2048, 512, 1024
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def torch_raw(x, window):
    s = torch.stft(x.reshape(-1, CHUNK), N_FFT, HOP, window=window, center=True, return_complex=True)
    return torch.istft(s, N_FFT, HOP, window=window, center=True)


def torch_mdx(x, window):
    b, c, t = x.shape
    s = torch.stft(x.reshape(-1, t), N_FFT, HOP, window=window, center=True, return_complex=True)
    s = torch.view_as_real(s).permute(0, 3, 1, 2)
    s = s.reshape(b, c, 2, -1, s.shape[-1]).reshape(b, c * 2, -1, s.shape[-1])
    s = s[..., :DIM_F, :]
    # inverse, as the model's helper does it (stems = 1)
    f_pad = torch.zeros(b, c * 2, N_FFT // 2 + 1 - DIM_F, s.shape[-1])
    s = torch.cat([s, f_pad], -2)
    s = s.reshape(b, c, 2, N_FFT // 2 + 1, -1).reshape(-1, 2, N_FFT // 2 + 1, s.shape[-1])
    s = s.permute(0, 2, 3, 1)
    s = s[..., 0] + s[..., 1] * 1.j
    y = torch.istft(s, N_FFT, HOP, window=window, center=True)
    return y.reshape(b, c, -1)


def time_torch(fn, x, window, reps):
    """Median wall and CPU milliseconds of reps calls (after one warm-up)."""
    fn(x, window)
    wall, cpu = [], []
    for _ in range(reps):
        w0, c0 = time.perf_counter(), time.process_time()
        fn(x, window)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return 1e3 * statistics.median(wall), 1e3 * statistics.median(cpu)


def build_go(tmp):
    exe = os.path.join(tmp, "stft.test")
    subprocess.run(["go", "test", "-c", "-o", exe, "./stft"], cwd=ROOT, check=True)
    return exe


def time_go(exe, workers, reps):
    """Wall and CPU ms per op of BenchmarkMDXBatch/stft+istft/workers=N."""
    out = subprocess.run(
        [exe, "-test.run", "^$", "-test.bench", f"^BenchmarkMDXBatch$/^stft\\+istft$/^workers={workers}$",
         "-test.benchtime", f"{reps}x", "-test.count", "1"],
        cwd=os.path.join(ROOT, "stft"), check=True, capture_output=True, text=True).stdout
    m = re.search(r"\s([\d.]+) ns/op\s+([\d.]+) cpu-ns/op", out)
    if not m:
        sys.exit(f"cannot parse Go benchmark output:\n{out}")
    return float(m.group(1)) / 1e6, float(m.group(2)) / 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=7, help="alternating rounds; medians are over rounds")
    ap.add_argument("--reps", type=int, default=5, help="calls timed per round")
    ap.add_argument("--go", action="store_true", help="also run the Go benchmark and print ratios")
    args = ap.parse_args()

    torch.manual_seed(0)
    x = 0.3 * torch.randn(BATCH, 2, CHUNK)
    window = torch.hann_window(N_FFT, periodic=True)
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs; batch {BATCH}x2x{CHUNK}, "
          f"n_fft {N_FFT}, hop {HOP}, dim_f {DIM_F}; medians of {args.rounds} rounds x {args.reps} calls")

    with tempfile.TemporaryDirectory() as tmp:
        exe = build_go(tmp) if args.go else None
        for n in args.threads:
            torch.set_num_threads(n)
            res = {"raw": [], "mdx": [], "go": []}
            for _ in range(args.rounds):
                res["raw"].append(time_torch(torch_raw, x, window, args.reps))
                res["mdx"].append(time_torch(torch_mdx, x, window, args.reps))
                if exe:
                    res["go"].append(time_go(exe, n, args.reps))
            med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
                   for k, v in res.items() if v}
            line = (f"threads={n}: torch raw {med['raw'][0]:.1f} ms wall / {med['raw'][1]:.1f} ms cpu, "
                    f"torch mdx {med['mdx'][0]:.1f} / {med['mdx'][1]:.1f}")
            if exe:
                g = med["go"]
                line += (f", go {g[0]:.1f} / {g[1]:.1f}; go/torch raw {g[0] / med['raw'][0]:.2f} wall, "
                         f"{g[1] / med['raw'][1]:.2f} cpu; go/torch mdx {g[0] / med['mdx'][0]:.2f} wall, "
                         f"{g[1] / med['mdx'][1]:.2f} cpu")
            print(line, flush=True)


if __name__ == "__main__":
    main()
