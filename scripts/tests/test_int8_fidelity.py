"""scripts/int8_fidelity.py: the int8 copy quantises exactly the layers asked
for, scripts, and computes the same function up to quantisation noise."""

import os
import sys

import torch
import torch.ao.nn.quantized as nnq

from model_testutil import SCRIPTS, TINY6, audio

from drumsplit_model import TFCTDFNet, parse_config
from drumsplit_model.net import Conv2d, ConvTranspose2d, Linear

sys.path.insert(0, SCRIPTS)
import int8_fidelity  # noqa: E402


def test_quantize_wraps_every_layer_but_the_skipped():
    torch.manual_seed(0)
    torch.backends.quantized.engine = "onednn"
    cfg = parse_config(TINY6)
    net = TFCTDFNet(cfg).eval()
    layers = [n for n, m in net.named_modules() if isinstance(m, (Conv2d, ConvTranspose2d, Linear))]
    skip = {"first_conv"}
    x = audio(4, cfg.chunk_size, seed=1)
    q = int8_fidelity.quantize(net, x, skip)
    int8 = [n for n, m in q.named_modules() if isinstance(m, (nnq.Conv2d, nnq.ConvTranspose2d, nnq.Linear))]
    assert sorted(n.rsplit(".module", 1)[0] for n in int8) == sorted(set(layers) - skip)
    assert isinstance(q.first_conv, Conv2d)
    scripted = torch.jit.script(q)
    with torch.no_grad():
        want = net(x)
        got = scripted(x)
    assert got.shape == want.shape
    # Calibrated on its own input, a random net keeps well above 0 dB.
    assert int8_fidelity.sdr(want, got) > 10
