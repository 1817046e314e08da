#!/usr/bin/env python3
"""Train drumsplit's TFC-TDF v3 (MDX23C) on drums rendered by `drumsplit render`.

    train.py --data DIR --config configs/drumsplit_small.yaml --out runs/small \
             [--minutes M | --steps N] [--batch B] [--lr LR] [--seed S] [--resume]
             [--pitch SEMITONES] [--out-init SCALE]

DIR holds renders in drumsplit's layout: DIR/train/<track>/<stem>.wav and
DIR/valid/<track>/<stem>.wav (stems as in the config's training.instruments;
the mixture is the sum of the stems, so mixture.wav is not read). Render them
with the training kits only, e.g.

    drumsplit render --out DIR --split train --tracks 200 --seconds 12 --seed 1
    drumsplit render --out DIR --split valid --tracks 12 --seconds 12 --seed 2

(`drumsplit render` leaves out the held-out kits The Black Pearl 1.0 and
ForzeeStereo unless they are asked for by name; never train on them.)

What it does, MSST-style:
- random chunks of audio.chunk_size samples; with probability --remix each
  stem is taken from another track and offset (StemGMD-style remixing), each
  stem gets a random gain, channels are swapped at random; the mixture is the
  sum of the stems, so targets always add up to the input; with --pitch P
  each stem is also retuned by a random amount within ±P semitones
  (resampled by linear interpolation), more kits from the same samples;
  with --busy B a remixed stem is, with probability B, drawn again (up to
  8 times) until it sounds in the chunk, so rare stems (toms, crash) are
  present in more examples;
- loss (--loss): "batch-sdr" (default), the negative SDR of each stem
  over the whole batch, averaged over the stems (--stem-weight weighs
  them; see batch_sdr_loss; --hf-weight W adds W times the same loss on
  the STFT bins above --hf-cutoff, 2 kHz: high_band_batch_sdr_loss);
  "sdr", the negative simple SDR of each stem that sounds in the chunk,
  plus the output energy of the silent ones; "l1", L1 on the waveforms
  relative to the mixture's level; "masked", MSST's masked MSE
  (per example and stem, losses at or above the training.q quantile over
  the stems are dropped); "mse", the plain mean. On CPU runs here "masked"
  learnt nothing in 150 steps (with six stems the mask always drops the
  loudest stem, usually the kick, and MSE leaves quiet stems without
  gradient), an SDR loss that punished output on silent stems hard, and
  "l1", both sat on the all-silent output for hundreds of steps (in 0.7 s
  chunks most cymbal and tom stems are silent; zero is L1's best guess) —
  with the first bundled config and torch's default initialisation, whose
  failings models/README.md describes;
- final_conv's last layer starts scaled by --out-init (0.01): outputs
  start near silence instead of loud noise (see new_net); --init MODEL.pt
  starts from an exported model's weights instead (init_from_export; the
  optimiser and schedule start afresh), validated before the first step;
- Adam, a short warm-up and a cosine decay over the time or step budget;
- validation: whole valid tracks separated with MSST's demix (overlap 2),
  simple SDR per stem (MSST's, eps 1e-8), logged and kept in metrics.jsonl;
- checkpoints: OUT/last.ckpt (model, optimiser, step, elapsed time, RNG
  states: --resume continues from it) and OUT/best.ckpt (a raw state_dict,
  like MSST's checkpoints, of the best validation mean SDR), which
  scripts/export_model.py exports; `kill PID` (SIGTERM) stops training
  after the step under way with last.ckpt saved, and time paused by
  SIGSTOP/SIGCONT does not count against --minutes (StepClock).

Runs on CUDA when available (--device), else on the CPU with the same code.
"""

import argparse
import glob
import json
import math
import os
import random
import signal
import sys
import time

import numpy as np
import soundfile as sf
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from drumsplit_model import TFCTDFNet, load_config  # noqa: E402
from msst_reference import demix_msst  # noqa: E402


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class StepClock:
    """The training time that --minutes budgets: the wall time of each step,
    except a step during which the process was stopped (SIGSTOP … SIGCONT,
    as `pkill -STOP` pauses training while something else is timed), which
    counts as long as the step before it. Otherwise the pause would advance
    the learning-rate schedule and use up the budget without training."""

    def __init__(self, now=time.monotonic):
        self.now = now
        self.resumed = False
        self.last = None

    def on_cont(self, *_):
        """The SIGCONT handler: the step under way was paused."""
        self.resumed = True

    def start(self):
        self.resumed = False
        self.t0 = self.now()

    def stop(self):
        """Seconds the step took, its paused time left out."""
        took = self.now() - self.t0
        if self.resumed and self.last is not None:
            took = min(took, self.last)
        self.resumed = False
        self.last = took
        return took


def load_split(root, stems, max_tracks=0):
    """Every track of a split as a float32 array (stems, 2, L)."""
    tracks = []
    for d in sorted(glob.glob(os.path.join(root, "*"))):
        if not os.path.isdir(d):
            continue
        parts = []
        for s in stems:
            p = os.path.join(d, s + ".wav")
            if not os.path.exists(p):
                raise SystemExit(f"train: {p} is missing (render with the model's stems)")
            x, _ = sf.read(p, dtype="float32", always_2d=True)
            if x.shape[1] == 1:
                x = np.repeat(x, 2, axis=1)
            parts.append(x[:, :2].T)
        n = min(p.shape[1] for p in parts)
        tracks.append((os.path.basename(d), np.stack([p[:, :n] for p in parts])))
        if max_tracks and len(tracks) >= max_tracks:
            break
    return tracks


class ChunkSampler:
    """Random training examples: (mix (2, C), stems (S, 2, C))."""

    def __init__(self, tracks, chunk, remix, rng, pitch=0.0, busy=0.0):
        self.pitch = pitch
        self.busy = busy
        # the most samples one stem reads (_stem)
        longest = int(math.ceil(chunk * 2 ** (pitch / 12))) + 1 if pitch else chunk
        self.tracks = [t for _, t in tracks if t.shape[-1] >= longest]
        if not self.tracks:
            raise SystemExit(f"train: no training track is as long as one chunk ({longest} samples)")
        self.chunk = chunk
        self.remix = remix
        self.rng = rng
        self._grid = np.arange(chunk, dtype=np.float64)

    def _crop(self, track, n):
        off = self.rng.randrange(0, track.shape[-1] - n + 1)
        return track[..., off:off + n]

    def _stem(self, track, s, off=None):
        """Stem s of a random stretch of track, retuned by up to ±pitch
        semitones: rate r reads r·chunk samples into one chunk (linear
        interpolation), so every drum of a kit sounds 2^(12·log2 r) higher or
        lower and shorter or longer — other kits' tunings from the same
        samples."""
        if not self.pitch:
            if off is None:
                return self._crop(track, self.chunk)[s]
            return track[s, :, off:off + self.chunk]
        rate = 2 ** (self.rng.uniform(-self.pitch, self.pitch) / 12)
        n = int(math.ceil(self.chunk * rate)) + 1
        if off is None or off + n > track.shape[-1]:
            x = self._crop(track, n)[s]
        else:
            x = track[s, :, off:off + n]
        pos = self._grid * rate
        return np.stack([np.interp(pos, np.arange(n), ch) for ch in x]).astype(np.float32)

    def example(self):
        base = self.tracks[self.rng.randrange(len(self.tracks))]
        base_off = None
        stems = []
        for s in range(base.shape[0]):
            src = base
            if self.rng.random() < self.remix:
                src = self.tracks[self.rng.randrange(len(self.tracks))]
            if src is base:
                # stems of one track start together: the groove as it was played
                if base_off is None:
                    base_off = self.rng.randrange(0, base.shape[-1] - self.chunk + 1)
                x = self._stem(base, s, base_off)
            else:
                x = self._stem(src, s)
                if self.rng.random() < self.busy:
                    # toms and crashes sound in few chunks of a groove: look
                    # for a stretch where this stem plays (rms over -60 dBFS)
                    for _ in range(8):
                        if float(np.mean(x * x)) > 1e-6:
                            break
                        x = self._stem(self.tracks[self.rng.randrange(len(self.tracks))], s)
            stems.append(x * self.rng.uniform(0.5, 1.5))
        stems = np.stack(stems)
        if self.rng.random() < 0.5:
            stems = stems[:, ::-1]
        peak = np.abs(stems.sum(0)).max()
        if peak > 1.0:  # keep the mixture in range, as a real recording is
            stems = stems / peak
        return stems.sum(0), stems

    def batch(self, n):
        mixes, targets = zip(*(self.example() for _ in range(n)))
        return (torch.from_numpy(np.ascontiguousarray(np.stack(mixes), dtype=np.float32)),
                torch.from_numpy(np.ascontiguousarray(np.stack(targets), dtype=np.float32)))


def masked_mse(est, ref, q):
    """MSST's masked loss (coarse): MSE per (example, stem), the largest losses
    (at or above the q quantile over the stems) masked out."""
    loss = ((est - ref) ** 2).mean(dim=(-1, -2))  # (B, S)
    quantile = torch.quantile(loss.detach(), q, dim=1, keepdim=True)
    mask = loss.detach() < quantile
    return (loss * mask).mean()


def l1_loss(est, ref, mix):
    """L1 on the waveforms, relative to the mixture's mean absolute value.
    L1's gradient does not shrink with the error, so quiet stems (toms,
    cymbals) are learnt alongside the loud ones, and a stem that is silent
    in a chunk does not pull every output to zero the way an SDR loss does."""
    scale = mix.abs().mean(dim=(-1, -2)).clamp_min(1e-5)[:, None, None, None]
    return ((est - ref).abs() / scale).mean()


def sdr_loss(est, ref, mix, silent=1e-4):
    """Negative simple SDR per (example, stem) over the stems that sound in
    the chunk, averaged: the metric drumsplit is judged by, scale-aware per
    stem, so quiet toms and cymbals weigh as much as the kick. Unlike L1 or
    MSE it rewards any correlation with the target from the first step
    (α·mix already scores above 0 dB), so training does not sit on the
    all-silent output. A stem that is silent in the chunk (most cymbal and
    tom stems in a short chunk) has no SDR; its output energy relative to
    the mixture's is added instead, a gentle push towards silence."""
    ref_e = (ref ** 2).sum(dim=(-1, -2))                            # (B, S)
    mix_e = (mix ** 2).sum(dim=(-1, -2)).clamp_min(1e-8)[:, None]   # (B, 1)
    err_e = ((ref - est) ** 2).sum(dim=(-1, -2))
    sounding = ref_e > silent * mix_e
    neg_sdr = 10 * torch.log10((err_e + 1e-8) / (ref_e + 1e-8))
    est_e = (est ** 2).sum(dim=(-1, -2)) / mix_e
    n = sounding.sum().clamp_min(1)
    return torch.where(sounding, neg_sdr, torch.zeros_like(neg_sdr)).sum() / n + \
        torch.where(sounding, torch.zeros_like(est_e), est_e).mean()


def batch_sdr_loss(est, ref, mix, tau=1e-3, weights=None):
    """Negative SDR of each stem over the whole batch, averaged over the
    stems: energies are summed over the examples before the logarithm, as
    the SDR of a whole track sums over its length, so within a stem the loud
    chunks weigh most and each stem weighs the same — the evaluation's
    metric. (A per-chunk SDR has a gradient of 1/|ref|: the quietest tail
    of a tom in some chunk outweighs every kick.) tau·(mixture energy) is
    added to error and reference alike: a soft floor, -30 dB under the
    mixture, below which error does not count, and the loss of a stem that
    is silent in the whole batch, which is then its leakage relative to that
    floor. weights (S,), if given, make it a weighted mean over the stems."""
    floor = tau * (mix ** 2).sum()
    ref_e = (ref ** 2).sum(dim=(0, 2, 3))           # (S,)
    err_e = ((ref - est) ** 2).sum(dim=(0, 2, 3))
    neg_sdr = 10 * torch.log10((err_e + floor) / (ref_e + floor))
    if weights is None:
        return neg_sdr.mean()
    return (neg_sdr * weights).sum() / weights.sum()


def high_band_batch_sdr_loss(est, ref, mix, sample_rate, cutoff=2000.0, n_fft=1024, tau=1e-3,
                             weights=None):
    """batch_sdr_loss on the STFT bins at or above cutoff Hz: the stems'
    error in the treble only, where the cymbals live. In the waveform's SDR
    a stem is judged over its whole band, so treble that the kick, snare or
    toms outputs carry (the hi-hat's, the crash's) costs them little next to
    their loud lows, and the cymbal outputs can stay too quiet while the
    loss barely moves. Here every stem is judged on the treble alone, with
    the floor tau under the mixture's treble: treble in a stem that has none
    costs as much as a missing cymbal. The STFT is linear, so the error in
    these bins is the STFT of the error; Parseval (periodic Hann, hop
    n_fft/4) keeps the energies those of the high-passed waveforms, up to a
    constant factor that the SDR's ratio cancels."""
    hop = n_fft // 4
    window = torch.hann_window(n_fft, device=est.device)
    lo = int(math.ceil(cutoff * n_fft / sample_rate))

    def treble(x):
        lead = x.shape[:-1]
        spec = torch.stft(x.reshape(-1, x.shape[-1]), n_fft, hop, window=window, center=True,
                          return_complex=True)[:, lo:]
        return torch.view_as_real(spec).reshape(*lead, -1)

    return batch_sdr_loss(treble(est), treble(ref), treble(mix), tau, weights)


def init_from_export(net, path):
    """Copies the weights of an exported drumsplit model (TorchScript, as
    scripts/export_model.py writes it) into net: training goes on from a
    shipped model when its checkpoint is gone. Every key and shape must
    match (same config); fp16 weights are widened to net's dtype."""
    try:
        src = torch.jit.load(path, map_location="cpu").state_dict()
    except (RuntimeError, ValueError, OSError) as e:
        raise SystemExit(f"train: --init {path!r}: not an exported model "
                         f"({str(e).strip().splitlines()[0]})") from None
    dst = net.state_dict()
    missing = sorted(set(dst) - set(src))
    extra = sorted(set(src) - set(dst))
    if missing or extra:
        what = (f"lacks {missing[0]!r}" if missing else f"has {extra[0]!r}, which the config's net lacks")
        raise SystemExit(f"train: --init {path!r} does not match the config: it {what} "
                         f"({len(missing)} missing, {len(extra)} unexpected keys)")
    for k, v in dst.items():
        if tuple(src[k].shape) != tuple(v.shape):
            raise SystemExit(f"train: --init {path!r} does not match the config: {k} is "
                             f"{tuple(src[k].shape)}, the config's net has {tuple(v.shape)}")
    net.load_state_dict({k: src[k].to(dtype=dst[k].dtype) for k in dst}, strict=True)


def sdr(ref, est, eps=1e-8):
    """MSST's simple SDR over a whole track (all channels)."""
    num = np.sum(ref.astype(np.float64) ** 2) + eps
    den = np.sum((ref.astype(np.float64) - est) ** 2) + eps
    return 10 * math.log10(num / den)


def validate(net, tracks, cfg, device, stems):
    net.eval()
    per_stem = {s: [] for s in stems}
    with torch.no_grad():
        for _, t in tracks:
            est = demix_msst(net, t.sum(0), cfg.chunk_size, 2, 4, len(stems), device=device)
            for i, s in enumerate(stems):
                if np.abs(t[i]).max() > 1e-4:  # a silent stem has no meaningful SDR (as drumsplit eval)
                    per_stem[s].append(sdr(t[i], est[i]))
    net.train()
    means = {s: float(np.mean(v)) for s, v in per_stem.items() if v}
    return float(np.mean(list(means.values()))), means


def parse_stem_weights(spec, stems):
    """--stem-weight "hh=2,ride=2" → a weight per stem (S,), 1 where not named.
    Parsed before any data is read, so a mistake costs nothing."""
    weights = torch.ones(len(stems))
    for item in filter(None, spec.split(",")):
        name, _, w = item.partition("=")
        if name not in stems:
            raise SystemExit(f"train: --stem-weight: {name!r} is not one of the stems {stems}")
        try:
            weights[stems.index(name)] = float(w)
        except ValueError:
            raise SystemExit(f"train: --stem-weight: {name}={w!r}: the weight is not a number") from None
        if not weights[stems.index(name)] >= 0:
            raise SystemExit(f"train: --stem-weight: {name}={w}: the weight must be 0 or more")
    if not weights.sum() > 0:
        raise SystemExit("train: --stem-weight: every weight is 0")
    return weights


def new_net(cfg, out_init=0.01):
    """A fresh TFCTDFNet for training, its last layer scaled by out_init.

    With torch's default initialisation the six outputs start loud and
    random; the first steps then silence them through final_conv's hidden
    GELUs, and a stem whose units die there (the kick, in every early run
    here) stays silent for good. Starting the last layer near zero keeps
    those units alive: the outputs start near silence and each stem is learnt
    from there."""
    net = TFCTDFNet(cfg)
    with torch.no_grad():
        net.final_conv[-1].weight.mul_(out_init)
    return net


def main(argv=None):
    ap = argparse.ArgumentParser(prog="train", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=0, help="wall-clock budget (0: use --steps)")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=0, help="default: training.batch_size")
    ap.add_argument("--lr", type=float, default=0, help="default: training.lr")
    ap.add_argument("--loss", choices=["batch-sdr", "sdr", "l1", "masked", "mse"], default="batch-sdr")
    ap.add_argument("--remix", type=float, default=0.5)
    ap.add_argument("--stem-weight", default="",
                    help="batch-sdr weights of stems, e.g. hh=2,ride=2 (others 1)")
    ap.add_argument("--busy", type=float, default=0.0,
                    help="probability that a remixed stem is drawn again until it sounds in the chunk")
    ap.add_argument("--pitch", type=float, default=0.0,
                    help="retune each stem by a random amount up to this many semitones (0: off)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--valid-every", type=float, default=5, help="minutes between validations")
    ap.add_argument("--valid-tracks", type=int, default=8)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--out-init", type=float, default=0.01,
                    help="scale of final_conv's last layer at initialisation (1: torch's default)")
    ap.add_argument("--init", default="",
                    help="start from the weights of this exported model (.pt) instead of random "
                         "ones; ignored when --resume finds OUT/last.ckpt")
    ap.add_argument("--hf-weight", type=float, default=0.0,
                    help="add this times the batch-sdr of the treble (STFT bins above --hf-cutoff)")
    ap.add_argument("--hf-cutoff", type=float, default=2000.0, help="Hz where --hf-weight's band starts")
    args = ap.parse_args(argv)

    cfg = load_config(args.config)
    raw = cfg.raw if hasattr(cfg, "raw") else {}
    tcfg = raw.get("training", {}) if isinstance(raw, dict) else {}
    batch = args.batch or int(tcfg.get("batch_size", 4))
    lr = args.lr or float(tcfg.get("lr", 5e-4))
    q = float(tcfg.get("q", 0.95))
    stems = cfg.stems
    weights = parse_stem_weights(args.stem_weight, stems)
    if not args.hf_weight >= 0:
        raise SystemExit(f"train: --hf-weight {args.hf_weight}: must be 0 or more")
    if args.hf_weight and args.loss != "batch-sdr":
        raise SystemExit("train: --hf-weight adds to --loss batch-sdr only")
    sample_rate = cfg.sample_rate
    if not 0 < args.hf_cutoff < sample_rate / 2:
        raise SystemExit(f"train: --hf-cutoff {args.hf_cutoff}: must lie between 0 and {sample_rate / 2:g} Hz")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    os.makedirs(args.out, exist_ok=True)

    rng = random.Random(args.seed)
    torch.manual_seed(args.seed)
    train = load_split(os.path.join(args.data, "train"), stems)
    valid = load_split(os.path.join(args.data, "valid"), stems, args.valid_tracks)
    log(f"{len(train)} training tracks, {len(valid)} validation tracks, device {device}, "
        f"batch {batch}, lr {lr}, threads {torch.get_num_threads()}")
    sampler = ChunkSampler(train, cfg.chunk_size, args.remix, rng, args.pitch, args.busy)

    weights = weights.to(device)
    net = new_net(cfg, args.out_init)
    last_path = os.path.join(args.out, "last.ckpt")
    initialised = bool(args.init) and not (args.resume and os.path.exists(last_path))
    if initialised:
        init_from_export(net, args.init)
        log(f"weights from {args.init}")
    net = net.to(device)
    log(f"model: {sum(p.numel() for p in net.parameters()):,} parameters")
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    step, elapsed, best = 0, 0.0, -math.inf
    if args.resume and os.path.exists(last_path):
        ck = torch.load(last_path, map_location="cpu")
        net.load_state_dict(ck["model_state_dict"])
        opt.load_state_dict(ck["optimizer_state_dict"])
        step, elapsed, best = ck["step"], ck["elapsed"], ck["best"]
        rng.setstate(ck["python_rng"])
        torch.set_rng_state(ck["torch_rng"])
        log(f"resumed at step {step} ({elapsed / 60:.1f} min, best SDR {best:.2f} dB)")

    budget = args.minutes * 60
    warmup = 50

    def progress():
        return elapsed / budget if budget else step / args.steps

    def save_last():
        torch.save({"model_state_dict": net.state_dict(), "optimizer_state_dict": opt.state_dict(),
                    "step": step, "elapsed": elapsed, "best": best,
                    "python_rng": rng.getstate(), "torch_rng": torch.get_rng_state(),
                    "config": args.config}, last_path + ".tmp")
        os.replace(last_path + ".tmp", last_path)

    def do_validate():
        nonlocal best
        mean, per = validate(net, valid, cfg, device, stems)
        rec = {"step": step, "minutes": round(elapsed / 60, 2), "valid_sdr": mean, "per_stem": per}
        with open(os.path.join(args.out, "metrics.jsonl"), "a") as f:
            f.write(json.dumps(rec) + "\n")
        log(f"step {step}: valid SDR {mean:.2f} dB " +
            " ".join(f"{s} {v:.2f}" for s, v in per.items()))
        if mean > best:
            best = mean
            torch.save(net.state_dict(), os.path.join(args.out, "best.ckpt"))
        save_last()

    if initialised:
        do_validate()  # the curve starts where the exported model stands
    net.train()
    next_valid = elapsed + args.valid_every * 60
    run_loss = None
    clock = StepClock()
    if hasattr(signal, "SIGCONT"):
        signal.signal(signal.SIGCONT, clock.on_cont)
    # SIGTERM (kill PID) stops training after the step under way, with
    # last.ckpt saved: --resume goes on from there, nothing since the last
    # validation is lost
    stop = []
    previous_term = signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while progress() < 1.0 and not stop:
        clock.start()
        frac = min(progress(), 1.0)
        cur = lr * min(1.0, (step + 1) / warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = cur
        mix, ref = sampler.batch(batch)
        mix, ref = mix.to(device), ref.to(device)
        est = net(mix)
        if args.loss == "l1":
            loss = l1_loss(est, ref, mix)
        elif args.loss == "sdr":
            loss = sdr_loss(est, ref, mix)
        elif args.loss == "batch-sdr":
            loss = batch_sdr_loss(est, ref, mix, weights=weights)
            if args.hf_weight:
                loss = loss + args.hf_weight * high_band_batch_sdr_loss(
                    est, ref, mix, sample_rate, args.hf_cutoff, weights=weights)
        elif args.loss == "masked":
            loss = masked_mse(est, ref, q)
        else:
            loss = ((est - ref) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        step += 1
        elapsed += clock.stop()
        run_loss = loss.item() if run_loss is None else 0.95 * run_loss + 0.05 * loss.item()
        if step % 20 == 0:
            log(f"step {step}  loss {run_loss:.4g}  lr {cur:.2e}  {elapsed / 60:.1f} min")
        if elapsed >= next_valid:
            do_validate()
            next_valid = elapsed + args.valid_every * 60
    signal.signal(signal.SIGTERM, previous_term)
    if stop:
        save_last()
        log(f"stopped at step {step} ({elapsed / 60:.1f} min): {last_path} saved, --resume goes on")
        return
    do_validate()
    log(f"done: {step} steps in {elapsed / 60:.1f} min, best valid SDR {best:.2f} dB")


if __name__ == "__main__":
    main()
