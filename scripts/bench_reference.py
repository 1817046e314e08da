#!/usr/bin/env python3
"""Time MSST's demix with the eager PyTorch network: the reference of `drumsplit bench`.

    bench_reference.py --model model.pt --input input.wav -o reference.json
                       [--device cpu|cuda|cuda:N|mps] [--overlap 2,4,8] [--batch 1,2,4,8]
                       [--precision auto|fp32,fp16] [--runs 3] [--warmup 1] [--threads N]
    bench_reference.py --serve --model model.pt --input input.wav [--runs 3] [--warmup 1] [--threads N]

The model is a drumsplit export: its weights are loaded into the eager
drumsplit_model.TFCTDFNet built from the config stored in the export, so both
sides run the same network with the same weights. Each grid point runs
msst_reference.demix_msst (MSST's demix, step for step: per-chunk slicing and
padding in Python, one window per batch) on the input: --warmup untimed
separations of the input's first chunk (as `drumsplit bench` warms up), then
the median of --runs separations of the whole input. fp16 on a GPU is MSST's
default, torch's autocast (use_amp: true) over fp32 weights; fp32 is plain
fp32.

With --serve, `drumsplit bench --reference` drives the grid, so that the two
tools take turns run by run and share whatever else loads the machine: the
script prints {"ready": ...} once loaded, then reads one request per line on
stdin and answers each with one line: {"op": "open", "device", "precision",
"overlap", "batch"} loads and warms up a grid point, {"op": "run"} times one
separation, {"op": "close"} answers the point's result. At the end of its
input it prints the whole run as one line and exits.

The JSON is a run in the schema of `drumsplit bench` (internal/bench/result.go), for
`drumsplit bench merge` and `drumsplit bench report`. The time inside the
model's calls is measured by a wrapper that synchronises the GPU before and
after each call (MSST's copy of the outputs to the host synchronises right
after anyway).

Errors are printed as one line on stderr (exit status 1; 2 for command line
mistakes).
"""

import argparse
import datetime
import gc
import hashlib
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import msst_reference  # noqa: E402
from drumsplit_model import ExportError, TFCTDFNet, load_state_dict_into, parse_config  # noqa: E402

PROG = "bench_reference"
TOOL = "reference"
# bench.EnvVars: what changes how torch's CPU threads behave.
ENV_VARS = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME", "MKL_NUM_THREADS",
            "OPENBLAS_NUM_THREADS", "GOMAXPROCS", "CUDA_VISIBLE_DEVICES")


class BenchError(Exception):
    """An error meant for the user; its message is one line."""


# --------------------------------------------------------------------------
# model and input


def load_model(path, device):
    """The eager network with the export's weights: (module, metadata, params)."""
    scripted, meta = msst_reference.load_torchscript(path, "cpu")
    if meta.get("architecture") != "tfc_tdf_v3" or not meta.get("config"):
        raise BenchError(f"{path}: a {meta.get('architecture')!r} model; the reference runs tfc_tdf_v3 only")
    try:
        cfg = parse_config(meta["config"], source=f"config of {path}")
        net = TFCTDFNet(cfg)
        # The scripted module keeps the eager module's parameter names; fp16
        # weights of an fp16 export are cast to the eager module's fp32.
        load_state_dict_into(net, scripted.state_dict(), source=path)
    except ExportError as e:
        raise BenchError(str(e)) from None
    del scripted
    params = sum(p.numel() for p in net.parameters())
    return net.to(device).eval(), meta, params


def read_input(path):
    mix = msst_reference.read_input(path)
    return np.ascontiguousarray(mix, dtype=np.float32)


def samples_sha256(mix):
    """The Input.SHA256 convention of internal/bench/input.go: little-endian float32, channel after channel."""
    return hashlib.sha256(np.ascontiguousarray(mix, dtype="<f4").tobytes()).hexdigest()


# --------------------------------------------------------------------------
# machine


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def load_average():
    try:
        return list(os.getloadavg())
    except (OSError, AttributeError):
        return [0.0, 0.0, 0.0]


def cpu_info():
    """(name, physical cores, MHz) from /proc/cpuinfo, else platform's answer."""
    text = _read("/proc/cpuinfo")
    name, cores, mhz = "", set(), []
    pkg = core = None
    for line in text.splitlines() + [""]:
        if ":" not in line:
            if core is not None:
                cores.add((pkg, core))
            pkg = core = None
            continue
        k, v = (s.strip() for s in line.split(":", 1))
        if k in ("model name", "Hardware") and not name:
            name = v
        elif k == "physical id":
            pkg = v
        elif k == "core id":
            core = v
        elif k == "cpu MHz":
            try:
                mhz.append(float(v))
            except ValueError:
                pass
    if not name and sys.platform == "darwin":
        name = _command(["sysctl", "-n", "machdep.cpu.brand_string"])
    name = " ".join((name or platform.processor() or platform.machine() + " CPU").split())
    return name, len(cores), (sum(mhz) / len(mhz) if mhz else 0.0)


def _command(args):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def environment():
    if "microsoft" in _read("/proc/version").lower():
        return "wsl2"
    if os.path.exists("/.dockerenv"):
        return "docker"
    if os.path.exists("/run/.containerenv"):
        return "podman"
    cg = _read("/proc/1/cgroup")
    if any(s in cg for s in ("docker", "kubepods", "containerd", "libpod", "lxc")):
        return "container"
    return "native"


def os_name():
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip("\"'")
    if sys.platform == "darwin":
        v = _command(["sw_vers", "-productVersion"])
        return "macOS " + v if v else "darwin"
    return platform.platform()


NOISE = {"(r)", "(tm)", "cpu", "processor", "@", "intel", "core", "amd", "with", "radeon", "graphics",
         "geforce", "corporation"}


def slug(m):
    """bench.Slug: os, then the first GPU's name or the CPU's and its CPU count."""
    parts = [m["os"]]
    if m.get("gpus"):
        parts.append(m["gpus"][0]["name"])
    else:
        parts.append(m["cpu"])
        if m["logical_cpus"]:
            parts.append(f"{m['logical_cpus']}c")
    s = " ".join(parts).lower()
    for a in ("(r)", "(tm)", "®", "™"):
        s = s.replace(a, " ")
    words = []
    for w in s.split():
        if w in NOISE:
            continue
        w = re.sub(r"[^a-z0-9]+", "-", w).strip("-")
        if w:
            words.append(w)
    out = re.sub(r"-+", "-", "-".join(words))
    while len(out) > 48:
        i = out.rfind("-", 0, 48)
        out = out[:i] if i > 0 else out[:48]
    return out or "unknown"


def describe_machine(devices):
    go_os = {"linux": "linux", "darwin": "darwin", "win32": "windows"}.get(sys.platform, sys.platform)
    arch = {"x86_64": "amd64", "AMD64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine(), platform.machine())
    cpu, cores, mhz = cpu_info()
    mem = 0
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1]) << 10
    gpus = []
    driver = None
    for d in devices:
        if d.type == "cuda":
            if driver is None:
                driver = _command(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"]).split("\n")[0]
            p = torch.cuda.get_device_properties(d)
            gpus.append({"device": f"cuda:{d.index or 0}", "name": p.name, "driver": driver,
                         "memory_bytes": p.total_memory})
        elif d.type == "mps":
            gpus.append({"device": "mps", "name": "Apple Metal (MPS)"})
    m = {
        "host": platform.node(), "os": go_os, "os_name": os_name(), "kernel": platform.release(),
        "arch": arch, "cpu": cpu, "logical_cpus": os.cpu_count() or 0, "physical_cores": cores,
        "memory_bytes": mem, "gpus": gpus, "environment": environment(), "libtorch": torch.__version__,
        "python": platform.python_version(), "load_start": load_average(), "cpu_mhz": round(mhz, 3),
    }
    return m


def finish_machine(m):
    m["load_end"] = load_average()
    lim = float(m["logical_cpus"])
    m["shared"] = lim > 0 and (m["load_start"][0] > lim or m["load_end"][0] > lim or m["load_end"][1] > lim)
    m["slug"] = slug(m)


# --------------------------------------------------------------------------
# memory


def reset_peak_rss():
    """Restart the kernel's peak-RSS record (Linux); False where that is impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss():
    for line in _read("/proc/self/status").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) << 10
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss << 10


# --------------------------------------------------------------------------
# measuring


class TimedModel:
    """Calls the network and adds up the time spent inside the calls."""

    def __init__(self, net, device):
        self.net, self.device = net, device
        self.reset()

    def reset(self):
        self.seconds, self.chunks, self.batches = 0.0, 0, 0

    def sync(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        elif self.device.type == "mps":
            torch.mps.synchronize()

    def __call__(self, x):
        self.sync()
        t0 = time.perf_counter()
        y = self.net(x)
        self.sync()
        self.seconds += time.perf_counter() - t0
        self.chunks += x.shape[0]
        self.batches += 1
        return y


class Point:
    """One grid point, measured in steps (open: warm up; run: one timed
    separation; close: the result) so that drumsplit bench can interleave its
    own runs with these."""

    def __init__(self, net, meta, mix, seconds, device, precision, overlap, batch, warmup):
        self.mix, self.seconds, self.device = mix, seconds, device
        self.start = time.perf_counter()
        self.timed = TimedModel(net, device)
        self.times, self.model, self.cpu = [], [], []
        self.res = {"device": device_name(device), "precision": precision, "overlap": overlap, "batch": batch}
        if device.type == "cuda":
            self.res["device_name"] = torch.cuda.get_device_name(device)
            self.res["autocast"] = precision == "fp16"
        if precision not in ("fp32", "fp16") or precision == "fp16" and device.type != "cuda":
            self.res["error"] = (f"the reference runs fp32, and fp16 as CUDA autocast only, "
                                 f"not {precision} on {device.type}")
            return
        chunk, stems = meta["chunk_size"], len(meta["stems"])
        use_amp = precision == "fp16"
        self.separate = lambda x: msst_reference.demix_msst(self.timed, x, chunk, overlap, batch, stems,
                                                            device=device, use_amp=use_amp)
        self.guard(lambda: [self.separate(mix[:, :chunk]) for _ in range(warmup)])
        gc.collect()  # as drumsplit frees its Go heap: the peak RSS is this point's
        self.rss_reset = reset_peak_rss()
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)

    def guard(self, f):
        """Run f, turning a torch error (out of memory…) into the result's error."""
        if "error" in self.res:
            return
        try:
            f()
        except RuntimeError as e:
            msg = str(e).strip().splitlines()
            self.res["error"] = msg[0] if msg else type(e).__name__

    def run(self):
        """One timed separation of the whole input."""
        def once():
            self.timed.reset()
            self.timed.sync()
            c0, t0 = time.process_time(), time.perf_counter()
            self.separate(self.mix)
            self.times.append(time.perf_counter() - t0)
            self.cpu.append(time.process_time() - c0)
            self.model.append(self.timed.seconds)
        self.guard(once)
        return self.times[-1] if "error" not in self.res else None

    def close(self):
        res = self.res
        res["elapsed_s"] = time.perf_counter() - self.start
        if "error" in res or not self.times:
            res.setdefault("error", "no timed run")
            return res
        med = statistics.median(self.times)
        t = self.timed
        res.update({
            "chunks": t.chunks, "computed_chunks": t.chunks, "batches": t.batches,
            "times_s": self.times, "median_s": med, "rtf": med / self.seconds,
            "chunks_per_s": t.chunks / med if med > 0 else 0.0,
            "peak_rss_bytes": peak_rss(), "model_s": statistics.median(self.model),
            "device_busy": min(statistics.median(self.model) / med, 1.0) if med > 0 else 0.0,
            "cpu_s": statistics.median(self.cpu),
        })
        if not self.rss_reset:
            res["peak_rss_process"] = True
        if self.device.type == "cuda":
            res["peak_device_bytes"] = torch.cuda.max_memory_allocated(self.device)
        return res


def device_name(d):
    return f"cuda:{d.index or 0}" if d.type == "cuda" else d.type


# --------------------------------------------------------------------------
# command line


def int_list(s):
    try:
        out = []
        for f in s.split(","):
            f = f.strip()
            if not f:
                continue
            n = int(f)
            if n < 1:
                raise ValueError
            if n not in out:
                out.append(n)
        if not out:
            raise ValueError
        return out
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not a comma-separated list of positive integers") from None


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="drumsplit export (.pt) whose weights are run eagerly")
    p.add_argument("--input", required=True, help="audio file at the model's rate (e.g. from drumsplit bench --save-input)")
    p.add_argument("-o", "--output", help="JSON file to write (default: stdout)")
    p.add_argument("--device", action="append", help="torch device; repeatable (default: cpu, and cuda:0 if present)")
    p.add_argument("--overlap", type=int_list, default=[2, 4, 8], help="overlaps, comma-separated (default 2,4,8)")
    p.add_argument("--batch", type=int_list, default=[1, 2, 4, 8], help="batch sizes, comma-separated (default 1,2,4,8)")
    p.add_argument("--precision", default="auto",
                   help="fp32, fp16 (CUDA autocast) or both comma-separated; auto: fp32 on the CPU, fp32,fp16 on CUDA")
    p.add_argument("--runs", type=int, default=3, help="timed separations per grid point (default 3)")
    p.add_argument("--warmup", type=int, default=1, help="untimed separations before them (default 1)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    p.add_argument("--serve", action="store_true",
                   help="take grid points on stdin and answer on stdout (for drumsplit bench --reference)")
    args = p.parse_args(argv)
    if args.runs < 1:
        p.error("--runs must be at least 1")
    if args.warmup < 0 or args.threads < 0:
        p.error("--warmup and --threads must not be negative")
    precs = [x.strip() for x in args.precision.lower().split(",") if x.strip()]
    if any(x not in ("auto", "fp32", "fp16") for x in precs) or ("auto" in precs and len(precs) > 1) or not precs:
        p.error(f"--precision {args.precision!r}: want auto, or fp32 and/or fp16")
    args.precision = None if precs == ["auto"] else precs
    return args


def pick_devices(names):
    if not names:
        names = ["cpu"] + (["cuda:0"] if torch.cuda.is_available() else [])
    out = []
    for n in names:
        try:
            d = torch.device(n)
        except RuntimeError as e:
            raise BenchError(f"--device {n}: {e}") from None
        if d.type == "cuda" and (not torch.cuda.is_available() or (d.index or 0) >= torch.cuda.device_count()):
            raise BenchError(f"device {n} is not available to this torch {torch.__version__}")
        if d.type == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise BenchError("device mps is not available")
        if d.type == "cuda" and d.index is None:
            d = torch.device("cuda", 0)
        out.append(d)
    return out


class Bench:
    """The model, the input and the run being built."""

    def __init__(self, args):
        self.start = time.time()
        self.args = args
        if args.threads:
            torch.set_num_threads(args.threads)
        self.devices = pick_devices(args.device)
        machine = describe_machine(self.devices)
        self.mix = read_input(args.input)
        self.net, self.meta, params = load_model(args.model, "cpu")
        self.on = torch.device("cpu")
        meta = self.meta
        sr = meta["sample_rate"]
        self.seconds = self.mix.shape[1] / sr
        mcfg = (meta.get("config") or {}).get("model", {})
        shape = ""
        if mcfg.get("num_channels"):
            shape = (f"{mcfg.get('num_scales')} scales × {mcfg.get('num_blocks_per_scale')} blocks, "
                     f"{mcfg['num_channels']} ch +{mcfg.get('growth')}/scale")
        self.run = {
            "tool": TOOL,
            "tool_version": f"MSST demix (scripts/msst_reference.py), eager torch {torch.__version__}, "
                            f"Python {platform.python_version()}",
            "date": datetime.datetime.fromtimestamp(int(self.start), datetime.timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%SZ"),
            "machine": machine,
            "model": {"name": meta.get("name", ""), "file": os.path.basename(args.model),
                      "size_bytes": os.path.getsize(args.model), "architecture": meta.get("architecture", ""),
                      "sample_rate": sr, "chunk_size": meta["chunk_size"], "stems": meta["stems"],
                      "params": params, "shape": shape,
                      "checkpoint_sha256": meta.get("checkpoint_sha256", "")},
            "input": {"source": "file", "path": os.path.basename(args.input), "seconds": self.seconds,
                      "frames": int(self.mix.shape[1]), "sample_rate": sr, "sha256": samples_sha256(self.mix)},
            "settings": {"threads": torch.get_num_threads(), "runs": args.runs, "warmup": args.warmup,
                         "mode": "msst", "env": {k: os.environ[k] for k in ENV_VARS if k in os.environ}},
            "results": [],
        }

    def open(self, device, precision, overlap, batch):
        """Load the network on the device, warm up: a Point ready to run."""
        dev = device if isinstance(device, torch.device) else pick_devices([device])[0]
        if dev != self.on:
            self.net = self.net.to(dev)
            self.on = dev
        return Point(self.net, self.meta, self.mix, self.seconds, dev, precision, overlap, batch,
                     self.args.warmup)

    def close(self, pt):
        res = pt.close()
        if pt.device.type == "cuda":
            # Give the cached blocks back: drumsplit's process shares the GPU.
            torch.cuda.empty_cache()
        self.run["results"].append(res)
        return res

    def grid(self):
        args = self.args
        for dev in self.devices:
            precs = args.precision or (["fp32"] if dev.type == "cpu" else ["fp32", "fp16"])
            for prec in precs:
                if prec == "fp16" and dev.type != "cuda":
                    print(f"{PROG}: {dev}: fp16 is autocast, CUDA only; skipped", file=sys.stderr)
                    continue
                for batch in args.batch:
                    for overlap in args.overlap:
                        pt = self.open(dev, prec, overlap, batch)
                        for _ in range(args.runs):
                            pt.run()
                        res = self.close(pt)
                        if not args.quiet:
                            print(progress_line(res), file=sys.stderr, flush=True)

    def serve(self, rd, wr):
        """The --serve protocol (see the module documentation)."""
        def answer(obj):
            wr.write(json.dumps(obj) + "\n")
            wr.flush()

        answer({"ready": True, "threads": torch.get_num_threads()})
        pt = None
        for line in rd:
            if not line.strip():
                continue
            try:
                req = json.loads(line)
                op = req["op"]
                if op == "open":
                    if pt is not None:
                        raise ValueError("open while a point is open")
                    pt = self.open(req["device"], req["precision"], int(req["overlap"]), int(req["batch"]))
                    answer({"error": pt.res["error"]} if "error" in pt.res else {"ok": True})
                elif op == "run":
                    if pt is None:
                        raise ValueError("run before open")
                    t = pt.run()
                    answer({"error": pt.res["error"]} if t is None else {"ok": True, "seconds": t})
                elif op == "close":
                    if pt is None:
                        raise ValueError("close before open")
                    answer(self.close(pt))
                    pt = None
                else:
                    raise ValueError(f"unknown op {op!r}")
            except (ValueError, KeyError, TypeError) as e:
                raise BenchError(f"bad request {line.strip()!r}: {e}") from None
        answer(self.finish())

    def finish(self):
        finish_machine(self.run["machine"])
        self.run["elapsed_s"] = time.time() - self.start
        return self.run


def write_json(path, obj):
    text = json.dumps(obj, indent=2) + "\n"
    if not path:
        sys.stdout.write(text)
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        b = Bench(args)
        if args.serve:
            # Only protocol lines go to stdout.
            out = sys.stdout
            sys.stdout = sys.stderr
            b.serve(sys.stdin, out)
        else:
            b.grid()
            write_json(args.output, b.finish())
    except (BenchError, msst_reference.ReferenceError, OSError, RuntimeError) as e:
        msg = str(e).strip().splitlines()
        print(f"{PROG}: {msg[0] if msg else type(e).__name__}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 0


def progress_line(r):
    head = f"reference {r['device']:<6} {r['precision']:<4} overlap {r['overlap']} batch {r['batch']}:"
    if "error" in r:
        return f"{head} failed: {r['error']}"
    return (f"{head} {r['median_s']:.2f} s (RTF {r['rtf']:.3f}, {r['chunks_per_s']:.2f} chunks/s, "
            f"model busy {100 * r['device_busy']:.0f}%)")


if __name__ == "__main__":
    sys.exit(main())
