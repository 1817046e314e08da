#!/usr/bin/env python3
"""Export an MDX23C / TFC-TDF v3 checkpoint (MSST or UVR format) to drumsplit's
self-describing TorchScript model (docs/ARCHITECTURE.md, "The exported model format").

    export_model.py --checkpoint model.ckpt --config config.yaml -o model.pt [--precision fp16]

Errors are printed as one line on stderr (exit status 1; 2 for command line mistakes),
warnings as one line each starting "export_model: warning: ".

Nothing in the checkpoint is run: it is unpickled with torch's weights_only
mode or an unpickler that builds nothing but tensors and plain containers,
and only a torch zip archive (zip magic at offset 0) gets the latter.
--trust-checkpoint lifts that restriction, with a warning.
"""

import argparse
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from drumsplit_model import ExportError, UnsafeCheckpointWarning, export_model  # noqa: E402

PROG = "export_model"


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True, help="MSST/UVR checkpoint (.ckpt, .pth)")
    p.add_argument("--config", required=True, help="the model's MSST yaml config")
    p.add_argument("-o", "--output", required=True, help="exported model to write (.pt)")
    p.add_argument("--precision", choices=("fp32", "fp16"), default="fp32",
                   help="weights to store: fp32, or fp16 convolutions/linears with fp32 norms "
                        "(the numerics of MSST's CUDA autocast; half the file size)")
    p.add_argument("--name", help="model name stored in the metadata (default: the checkpoint's file name)")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="unpickle without restriction where the safe loaders refuse the file: legacy "
                        "pickles, python objects besides tensors (it can run code: only for checkpoints "
                        "from a source you trust)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    return p.parse_args(argv)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"{PROG}: warning: {str(message).splitlines()[0]}", file=sys.stderr)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", UnsafeCheckpointWarning)
            warnings.showwarning = _show_warning
            meta = export_model(args.checkpoint, args.config, args.output, precision=args.precision,
                                name=args.name, trust=args.trust_checkpoint)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
