"""Shared helpers of the drumsplit_model tests: configs and comparisons."""

import copy
import os
import sys

import torch

SCRIPTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(SCRIPTS)
if SCRIPTS not in sys.path:
    sys.path.insert(0, SCRIPTS)

import yaml  # noqa: E402

CONFIGS = os.path.join(ROOT, "configs")


def read_yaml(name):
    with open(os.path.join(CONFIGS, name)) as f:
        return yaml.safe_load(f)


def variant(base, **sections):
    """A deep copy of a config dict with fields of some sections replaced."""
    cfg = copy.deepcopy(base)
    for section, fields in sections.items():
        cfg.setdefault(section, {}).update(fields)
    return cfg


DRUMSEP6 = read_yaml("drumsep_6stem_mdx23c.yaml")
DRUMSEP5 = read_yaml("drumsep_5stem_mdx23c.yaml")
TINY6 = read_yaml("tiny_6stem.yaml")

# The configs the export parity tests cover (reduced widths keep them fast).
PARITY_CONFIGS = {
    # DrumSep 6-stem: its STFT, chunk, 5 scales, 2 blocks per scale; widths 4 + 4i.
    "drumsep6_narrow": variant(DRUMSEP6, model=dict(num_channels=4, growth=4),
                               audio=dict(chunk_size=512 * 63)),
    # DrumSep 5-stem with its 523776-sample chunk (T = 1024); widths 2 + 2i, 1 block.
    "drumsep5_523776": variant(DRUMSEP5, model=dict(num_channels=2, growth=2, num_blocks_per_scale=1)),
    # One target_instrument of several (S = 1, output keeps the stem axis).
    "single_target": variant(TINY6, training=dict(instruments=["vocals", "Drums"], target_instrument="Drums"),
                             model=dict(num_blocks_per_scale=2)),
    "groupnorm_relu": variant(TINY6, model=dict(norm="GroupNorm2", act="relu", num_channels=4, growth=2)),
    "batchnorm_elu": variant(TINY6, model=dict(norm="BatchNorm", act="elu0.5", num_scales=2),
                             audio=dict(n_fft=512, hop_length=128, dim_f=256, chunk_size=128 * 15)),
}


def rel_err(got, want):
    """max |got - want| / max |want|."""
    scale = want.abs().max().item()
    assert scale > 0, "reference output is all zeros"
    return (got.double() - want.double()).abs().max().item() / scale


def audio(batch, length, seed=0):
    g = torch.Generator().manual_seed(seed)
    return 0.3 * torch.randn(batch, 2, length, generator=g)
