#!/usr/bin/env python3
"""Export an MDX23C / TFC-TDF v3 checkpoint (MSST or UVR format) to drumsplit's
self-describing TorchScript model (docs/ARCHITECTURE.md, "The exported model format").

    export_model.py --checkpoint model.ckpt --config config.yaml -o model.pt [--precision fp16]
    export_model.py ... --precision int8 --calibration CAL.f32 --check CHECK.f32
    export_model.py --config config.yaml --describe

int8 reads its audio as raw little-endian float32 [N, 2, chunk_size]
(`drumsplit export --calibrate DIR` decodes, resamples and cuts it; --describe
prints the sample rate and chunk size it needs as one JSON line).

Errors are printed as one line on stderr (exit status 1; 2 for command line mistakes),
warnings as one line each starting "export_model: warning: ".

Nothing in the checkpoint is run: it is unpickled with torch's weights_only
mode or an unpickler that builds nothing but tensors and plain containers,
and only a torch zip archive (zip magic at offset 0) gets the latter.
--trust-checkpoint lifts that restriction, with a warning.
"""

import argparse
import json
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from drumsplit_model import ExportError, UnsafeCheckpointWarning, export_model, load_config  # noqa: E402
from drumsplit_model.export import read_chunks  # noqa: E402

PROG = "export_model"


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", help="MSST/UVR checkpoint (.ckpt, .pth); required")
    p.add_argument("--config", required=True, help="the model's MSST yaml config")
    p.add_argument("-o", "--output", help="exported model to write (.pt); required")
    p.add_argument("--precision", choices=("fp32", "fp16", "int8"), default="fp32",
                   help="weights to store: fp32, or fp16 convolutions/linears with fp32 norms "
                        "(the numerics of MSST's CUDA autocast; half the file size), or int8: the "
                        "deep layers statically quantised for the CPU (needs --calibration and --check)")
    p.add_argument("--calibration", help="int8: calibration audio, raw float32 [N, 2, chunk_size]")
    p.add_argument("--check", help="int8: audio to measure int8 against fp32 on, same layout, "
                                   "not part of --calibration")
    p.add_argument("--describe", action="store_true",
                   help="print the config's sample_rate, chunk_size and channels as JSON and exit")
    p.add_argument("--name", help="model name stored in the metadata (default: the checkpoint's file name)")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="unpickle without restriction where the safe loaders refuse the file: legacy "
                        "pickles, python objects besides tensors (it can run code: only for checkpoints "
                        "from a source you trust)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    args = p.parse_args(argv)
    if not args.describe:
        for flag, v in (("--checkpoint", args.checkpoint), ("-o/--output", args.output)):
            if not v:
                p.error(f"the following arguments are required: {flag}")
        int8_files = args.calibration is not None or args.check is not None
        if args.precision == "int8" and (not args.calibration or not args.check):
            p.error("--precision int8 needs --calibration and --check")
        if args.precision != "int8" and int8_files:
            p.error("--calibration and --check go with --precision int8 only")
    return args


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"{PROG}: warning: {str(message).splitlines()[0]}", file=sys.stderr)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.describe:
        try:
            cfg = load_config(args.config)
        except ExportError as e:
            print(f"{PROG}: {e}", file=sys.stderr)
            return 1
        print(json.dumps({"sample_rate": cfg.sample_rate, "chunk_size": cfg.chunk_size,
                          "channels": cfg.audio_channels}))
        return 0
    try:
        calibration = check = None
        if args.precision == "int8":
            cfg = load_config(args.config)
            calibration = read_chunks(args.calibration, cfg.chunk_size, cfg.audio_channels)
            check = read_chunks(args.check, cfg.chunk_size, cfg.audio_channels)
        with warnings.catch_warnings():
            warnings.simplefilter("always", UnsafeCheckpointWarning)
            warnings.showwarning = _show_warning
            meta = export_model(args.checkpoint, args.config, args.output, precision=args.precision,
                                name=args.name, trust=args.trust_checkpoint,
                                calibration=calibration, check=check)
    except ExportError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    if not args.quiet:
        size = os.path.getsize(args.output) / 1e6
        print(f"wrote {args.output} ({size:.1f} MB): {meta['name']}, {len(meta['stems'])} stems "
              f"({', '.join(meta['stems'])}), {meta['precision']}, chunk {meta['chunk_size']}, "
              f"torch {meta['torch_version']}")
        if "int8" in meta:
            q = meta["int8"]
            sdr = ", ".join(f"{k} {v:.1f}" for k, v in q["sdr_vs_fp32_db"].items())
            print(f"int8: {len(q['layers'])} of {len(q['layers']) + len(q['fp32_layers'])} layers quantised "
                  f"({q['engine']}), calibrated on {q['calibration_chunks']} chunks; SDR against fp32 on "
                  f"{q['check_chunks']} other chunks: {sdr} dB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
