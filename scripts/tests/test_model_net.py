"""drumsplit_model.TFCTDFNet: MSST key names and numerics; exported archive vs eager module."""

import json
import zipfile

import pytest
import torch

from model_testutil import DRUMSEP5, DRUMSEP6, PARITY_CONFIGS, audio, rel_err, variant

import tfc_tdf_v3_msst as msst_reference
from drumsplit_model import (IdentityNet, TFCTDFNet, build_metadata, export_module, parse_config,
                             random_state_dict)

# The exported module must match the eager one within this, relative to the output's scale.
EXPORT_RTOL = 1e-5


def make_net(cfg_dict, seed=0):
    cfg = parse_config(cfg_dict)
    net = TFCTDFNet(cfg)
    net.load_state_dict(random_state_dict(cfg, seed))
    return cfg, net.eval()


# Appendix A of the reference: a few of the 319 DrumSep-6 tensors.
DRUMSEP6_SHAPES = {
    "first_conv.weight": (128, 16, 1, 1),
    "encoder_blocks.0.tfc_tdf.blocks.0.tfc1.0.weight": (128,),
    "encoder_blocks.0.tfc_tdf.blocks.0.tdf.2.weight": (64, 256),
    "encoder_blocks.1.tfc_tdf.blocks.1.tdf.5.weight": (128, 32),
    "encoder_blocks.4.downscale.conv.2.weight": (768, 640, 2, 2),
    "bottleneck_block.blocks.1.tdf.2.weight": (2, 8),
    "bottleneck_block.blocks.0.tfc1.2.weight": (768, 768, 3, 3),
    "decoder_blocks.0.upscale.conv.2.weight": (768, 640, 2, 2),
    "decoder_blocks.0.tfc_tdf.blocks.0.tfc1.0.bias": (1280,),
    "decoder_blocks.0.tfc_tdf.blocks.0.shortcut.weight": (640, 1280, 1, 1),
    "decoder_blocks.4.tfc_tdf.blocks.1.tdf.5.weight": (256, 64),
    "final_conv.0.weight": (128, 144, 1, 1),
    "final_conv.2.weight": (96, 128, 1, 1),
}


def test_drumsep6_full_size_keys_and_shapes():
    cfg = parse_config(DRUMSEP6)
    sd = TFCTDFNet(cfg).state_dict()
    assert len(sd) == 319
    assert sum(v.numel() for v in sd.values()) == 109_378_624
    for k, shape in DRUMSEP6_SHAPES.items():
        assert tuple(sd[k].shape) == shape, k
    # The independent MSST-structured model has the same keys, order and shapes.
    ref = msst_reference.TFC_TDF_net(DRUMSEP6).state_dict()
    assert list(ref) == list(sd)
    assert all(ref[k].shape == sd[k].shape for k in sd)


def test_drumsep5_full_size_param_count():
    sd = TFCTDFNet(parse_config(DRUMSEP5)).state_dict()
    assert len(sd) == 319
    assert sum(v.numel() for v in sd.values()) == 109_376_576
    assert tuple(sd["final_conv.2.weight"].shape) == (80, 128, 1, 1)


@pytest.mark.parametrize("norm,extra", [("BatchNorm", {"running_mean", "running_var", "num_batches_tracked"}),
                                        ("GroupNorm4", set()), ("InstanceNorm", set()), ("none", None)])
def test_norm_keys(norm, extra):
    sd = TFCTDFNet(parse_config(variant(PARITY_CONFIGS["single_target"], model=dict(norm=norm)))).state_dict()
    names = {k.rsplit(".", 1)[1] for k in sd if ".tfc1.0." in k}
    if extra is None:
        assert names == set()  # Identity: no norm tensors at all
    else:
        assert names == {"weight", "bias"} | extra


@pytest.mark.parametrize("name", ["drumsep6_narrow", "single_target", "groupnorm_relu", "batchnorm_elu"])
def test_matches_msst_structured_reference(name):
    """Our module and the plain-eager MSST-structured one exchange state_dicts
    strictly in both directions and compute the same numbers."""
    cfg, net = make_net(PARITY_CONFIGS[name], seed=7)
    ref = msst_reference.TFC_TDF_net(cfg.raw)
    ref.load_state_dict(net.state_dict(), strict=True)
    ref.eval()
    TFCTDFNet(cfg).load_state_dict(ref.state_dict(), strict=True)
    x = audio(2, cfg.chunk_size, seed=3)
    with torch.no_grad():
        want = ref(x)
        got = net(x)
        got_spec = net.forward_spec(net.stft(x))
        want_spec = ref.spec_net(ref.stft(x))
    assert got.shape == (2, cfg.num_targets, 2, cfg.chunk_size)
    assert rel_err(got, want) <= 1e-6
    assert rel_err(got_spec, want_spec) <= 1e-6


@pytest.fixture(scope="module", params=sorted(PARITY_CONFIGS))
def exported(request, tmp_path_factory):
    name = request.param
    cfg, net = make_net(PARITY_CONFIGS[name], seed=1)
    path = str(tmp_path_factory.mktemp("export") / f"{name}.pt")
    export_module(net, build_metadata(cfg, name, "fp32", "0" * 64), path)
    return name, cfg, net, torch.jit.load(path)


@pytest.mark.parametrize("batch", [1, 4])
def test_exported_matches_eager(exported, batch):
    name, cfg, net, loaded = exported
    x = audio(batch, cfg.chunk_size, seed=batch)
    with torch.no_grad():
        spec = net.stft(x)
        assert spec.shape == (batch, 4, cfg.dim_f, cfg.frames)
        want_spec = net.forward_spec(spec)
        got_spec = loaded.forward_spec(spec)
        want = net.stft.inverse(want_spec)  # = net(x), without computing the net twice
        got = loaded(x)
    assert got_spec.dtype == torch.float32 and got.dtype == torch.float32
    assert got_spec.shape == (batch, cfg.num_targets, 4, cfg.dim_f, cfg.frames)
    assert got.shape == (batch, cfg.num_targets, 2, cfg.chunk_size)
    err_spec, err = rel_err(got_spec, want_spec), rel_err(got, want)
    print(f"{name} B={batch}: forward_spec rel err {err_spec:.2e}, forward rel err {err:.2e}")
    assert err_spec <= EXPORT_RTOL
    assert err <= EXPORT_RTOL


def test_exported_other_chunk(exported):
    """The archive is not tied to the config's chunk: any T that is a multiple of 2^num_scales works."""
    name, cfg, net, loaded = exported
    if cfg.chunk_size > 100000:
        pytest.skip("large chunk config")
    chunk = cfg.chunk_for_frames(cfg.frames + cfg.frames_multiple)
    x = audio(2, chunk, seed=11)
    with torch.no_grad():
        assert rel_err(loaded(x), net(x)) <= EXPORT_RTOL


def test_batch_items_independent():
    """A batch gives each item the output it gets alone (InstanceNorm is per item)."""
    cfg, net = make_net(PARITY_CONFIGS["single_target"])
    x = audio(3, cfg.chunk_size, seed=5)
    with torch.no_grad():
        whole = net(x)
        one = net(x[1:2])
    assert rel_err(whole[1:2], one) <= 1e-5  # batch size changes conv algorithms


def test_stft_layout_and_inverse():
    """STFT channels [L.re, L.im, R.re, R.im], first dim_f bins; inverse zero-fills the rest."""
    cfg = parse_config(PARITY_CONFIGS["drumsep6_narrow"])
    net = TFCTDFNet(cfg)
    x = audio(1, cfg.chunk_size)
    w = torch.hann_window(cfg.n_fft, periodic=True)
    z = torch.stft(x[0, 1], cfg.n_fft, cfg.hop_length, window=w, center=True, return_complex=True)
    spec = net.stft(x)
    assert torch.equal(spec[0, 2], z.real[: cfg.dim_f])
    assert torch.equal(spec[0, 3], z.imag[: cfg.dim_f])
    y = net.stft.inverse(spec.unsqueeze(1))
    full = torch.cat([z[: cfg.dim_f], torch.zeros_like(z[cfg.dim_f:])])
    want = torch.istft(full, cfg.n_fft, cfg.hop_length, window=w, center=True)
    assert y.shape == (1, 1, 2, cfg.chunk_size)
    assert torch.allclose(y[0, 0, 1], want, atol=1e-6)


def test_identity_models(tmp_path):
    cfg = parse_config(DRUMSEP6)
    x = audio(2, cfg.chunk_size, seed=2)
    ref = msst_reference.STFT(msst_reference.namespace(DRUMSEP6["audio"]))
    for through in (False, True):
        path = str(tmp_path / f"id{through}.pt")
        export_module(IdentityNet(cfg, through_stft=through), build_metadata(cfg, "identity", "fp32", ""), path)
        m = torch.jit.load(path)
        spec = ref(x)
        out_spec = m.forward_spec(spec)
        assert out_spec.shape == (2, 6, 4, cfg.dim_f, cfg.frames)
        assert all(torch.equal(out_spec[:, s], spec) for s in range(6))
        out = m(x)
        assert out.shape == (2, 6, 2, cfg.chunk_size)
        if through:
            roundtrip = ref.inverse(spec)
            assert all(torch.equal(out[:, s], roundtrip) for s in range(6))
            assert not torch.equal(out[:, 0], x)  # the Nyquist bin is gone
        else:
            assert all(torch.equal(out[:, s], x) for s in range(6))


def test_metadata_in_zip(tmp_path):
    cfg, net = make_net(PARITY_CONFIGS["single_target"])
    path = str(tmp_path / "m.pt")
    meta = build_metadata(cfg, "single", "fp32", "ab" * 32)
    export_module(net, meta, path)
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if n.endswith("/extra/drumsplit.json")]
        assert len(names) == 1
        got = json.loads(z.read(names[0]))
    assert got["format"] == "drumsplit-model" and got["format_version"] == 1
    assert got["stems"] == ["drums"]
    assert got["chunk_size"] == cfg.chunk_size and got["frames_multiple"] == 8
    assert got["config"]["training"]["target_instrument"] == "Drums"  # the yaml as written
    extra = {"drumsplit.json": ""}
    torch.jit.load(path, _extra_files=extra)
    assert json.loads(extra["drumsplit.json"]) == got


def test_forward_spec_has_no_complex_ops(exported):
    """forward_spec is the path for devices without complex support (MPS)."""
    import re
    name, cfg, net, loaded = exported
    ops = set(re.findall(r"aten::\w+", str(loaded.forward_spec.inlined_graph)))
    assert "aten::conv2d" in ops
    assert not {op for op in ops if re.search(r"stft|fft|complex|view_as_real", op)}
    assert {"aten::stft", "aten::istft"} <= set(re.findall(r"aten::\w+", str(loaded.forward.inlined_graph)))
