#!/usr/bin/env python3
"""Write a random-weight checkpoint for any MSST TFC-TDF v3 config.

Real checkpoints cannot be downloaded in tests and CI; this writes a file of
the same kind (MSST's key names and shapes, a raw state_dict saved with
torch.save as MSST's training did) for tests, fixtures and benchmarks.

    make_random_checkpoint.py --config configs/drumsep_6stem_mdx23c.yaml -o /tmp/drumsep6.ckpt

A full-size DrumSep model is 438 MB: write it to a temporary directory.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from drumsplit_model import ExportError, load_config, random_state_dict  # noqa: E402

PROG = "make_random_checkpoint"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--config", required=True, help="MSST yaml config")
    p.add_argument("-o", "--output", required=True, help="checkpoint file to write")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--wrap", choices=("raw", "state", "state_dict", "model_state_dict"), default="raw",
                   help="container: a raw state_dict (MSST 2023-2024, DrumSep) or a dict holding it under this key")
    p.add_argument("--module-prefix", action="store_true", help="prefix every key with module. (DataParallel)")
    p.add_argument("--dtype", choices=("fp32", "fp16"), default="fp32", help="tensor dtype to store")
    args = p.parse_args(argv)
    try:
        cfg = load_config(args.config)
    except ExportError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    sd = random_state_dict(cfg, args.seed)
    if args.dtype == "fp16":
        sd = type(sd)((k, v.half() if v.is_floating_point() else v) for k, v in sd.items())
    if args.module_prefix:
        sd = type(sd)(("module." + k, v) for k, v in sd.items())
    obj = sd if args.wrap == "raw" else {args.wrap: sd, "epoch": 0}
    try:
        torch.save(obj, args.output)
    except OSError as e:
        print(f"{PROG}: cannot write {args.output}: {e.strerror or e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
