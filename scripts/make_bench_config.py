#!/usr/bin/env python3
"""Write an MSST yaml config at another network width: the models of the
whole-process comparison of `make bench`.

    make_bench_config.py --width 16 -o bench/tmp/drumsep6-w16.yaml configs/drumsep_6stem_mdx23c.yaml

The width is model.num_channels, and model.growth is set to the same value
(DrumSep-6 has 128 + 128 per scale, so --width 128 is the published size);
everything else, the STFT and chunk, depth, stems and inference settings,
is kept. Errors are printed as one line on stderr (exit status 1; 2 for
command line mistakes).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import yaml  # noqa: E402

from drumsplit_model import ExportError, parse_config  # noqa: E402

PROG = "make_bench_config"


def with_width(raw: dict, width: int) -> dict:
    """A copy of a parsed MSST config with model.num_channels = model.growth = width."""
    out = dict(raw)
    model = dict(out.get("model") or {})
    model["num_channels"] = width
    model["growth"] = width
    out["model"] = model
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("config", help="MSST yaml config to start from")
    p.add_argument("--width", type=int, required=True, help="model.num_channels and model.growth")
    p.add_argument("-o", "--output", required=True, help="yaml config to write")
    args = p.parse_args(argv)
    if args.width <= 0:
        p.error("--width must be positive")
    try:
        with open(args.config) as f:
            raw = yaml.safe_load(f)
        if not isinstance(raw, dict):
            raise ExportError(f"{args.config} is not an MSST config (no mapping at the top)")
        cfg = with_width(raw, args.width)
        parse_config(cfg, source=args.output)  # fails here rather than in the export
        with open(args.output, "w") as f:
            f.write(f"# {os.path.basename(args.config)} at width {args.width} (model.num_channels = growth), "
                    f"written by scripts/{PROG}.py\n")
            yaml.safe_dump(cfg, f, sort_keys=False)
    except (ExportError, OSError, yaml.YAMLError) as e:
        print(f"{PROG}: {str(e).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
