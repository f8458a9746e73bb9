"""Weight files: PySlowFast -> sgfb key conversion (round trip through an independent inverse
mapping), strict loading errors that name the file, our own checkpoint format, the tool."""
import copy
import importlib.util
from pathlib import Path

import pytest
import torch

from sgfb.backbone import (BackboneConfig, BackboneWeightsError, build_backbone, load_backbone,
                           load_backbone_weights, save_backbone_checkpoint)
from sgfb.backbone.convert import (convert_pyslowfast, convert_state_dict, detect_format,
                                   match_state)

ROOT = Path(__file__).resolve().parents[2]


def to_pyslowfast(key: str) -> str:
    """Our key -> PySlowFast's, written independently of sgfb.backbone.convert."""
    parts = key.split(".")
    if parts[0] == "stem":
        layer = {"conv": "conv", "norm": "bn"}[parts[1]]
        return f"s1.pathway0_stem.{layer}.{parts[2]}"
    stage, kind, index = "s" + parts[0][-1], parts[1], parts[2]
    if kind == "nonlocal_blocks":
        layer = "bn" if parts[3] == "norm" else parts[3]
        return f"{stage}.pathway0_nonlocal{index}.{layer}.{parts[4]}"
    assert kind == "blocks", key
    block = f"{stage}.pathway0_res{index}"
    if parts[3] == "branch1_conv":
        return f"{block}.branch1.{parts[4]}"
    if parts[3] == "branch1_norm":
        return f"{block}.branch1_bn.{parts[4]}"
    op, letter = parts[4].split("_")
    return f"{block}.branch2.{letter if op == 'conv' else letter + '_bn'}.{parts[5]}"


def randomised(model):
    """Every tensor distinct and non-trivial, so a wrong mapping cannot pass by accident."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for key, value in model.state_dict().items():
            if value.is_floating_point():
                value.copy_(torch.rand(value.shape, generator=g) + 0.5)
            else:
                value.fill_(17)
    return model


def fake_pyslowfast(model, head=True, prefix=""):
    state = {prefix + to_pyslowfast(k): v.clone() for k, v in model.state_dict().items()}
    if head:
        state[prefix + "head.projection.weight"] = torch.randn(400, model.out_dim)
        state[prefix + "head.projection.bias"] = torch.randn(400)
    return {"epoch": 196, "model_state": state, "optimizer_state": {},
            "cfg": "MODEL:\n  ARCH: i3d\n"}


def small_config(**kw):
    return BackboneConfig(**{"arch": "i3d_small", "num_frames": 8, "crop_size": 112, **kw})


def small(**kw):
    return build_backbone(small_config(**kw))


def assert_same_tensors(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key


# ---------------------------------------------------------------- conversion

def test_r50_round_trip_through_pyslowfast_names(r50):
    g = torch.Generator().manual_seed(1)
    source = {k: torch.rand(v.shape, generator=g) if v.is_floating_point() else v + 17
              for k, v in r50.state_dict().items()}
    raw = {"model_state": {to_pyslowfast(k): v for k, v in source.items()}}
    raw["model_state"]["head.projection.weight"] = torch.zeros(400, 2048)
    raw["model_state"]["head.projection.bias"] = torch.zeros(400)
    assert "s3.pathway0_nonlocal1.conv_theta.weight" in raw["model_state"]
    assert "s2.pathway0_res0.branch2.a_bn.running_var" in raw["model_state"]
    assert detect_format(raw["model_state"]) == "pyslowfast"
    converted, head, report = convert_state_dict(raw["model_state"])
    assert report.unmatched == [] and head == {}
    assert sorted(report.head) == ["head.projection.bias", "head.projection.weight"]
    usable, load = match_state(r50, converted, "<memory>", report)
    assert load.ok and load.loaded == len(source)
    target = copy.deepcopy(r50)
    target.load_state_dict(usable)
    for key, value in target.state_dict().items():
        assert torch.equal(value, source[key]), key


def test_hand_written_keys_of_the_small_variant():
    model = small()
    expected = {
        "s1.pathway0_stem.conv.weight": "stem.conv.weight",
        "s1.pathway0_stem.bn.running_mean": "stem.norm.running_mean",
        "s2.pathway0_res0.branch1.weight": "res2.blocks.0.branch1_conv.weight",
        "s2.pathway0_res0.branch1_bn.bias": "res2.blocks.0.branch1_norm.bias",
        "s4.pathway0_res0.branch2.a.weight": "res4.blocks.0.branch2.conv_a.weight",
        "s4.pathway0_res0.branch2.b_bn.weight": "res4.blocks.0.branch2.norm_b.weight",
        "s5.pathway0_res0.branch2.c_bn.num_batches_tracked":
            "res5.blocks.0.branch2.norm_c.num_batches_tracked",
        "s3.pathway0_nonlocal0.conv_phi.bias": "res3.nonlocal_blocks.0.conv_phi.bias",
        "s3.pathway0_nonlocal0.bn.running_var": "res3.nonlocal_blocks.0.norm.running_var",
        "s3.pathway0_nonlocal0.norm.weight": "res3.nonlocal_blocks.0.norm.weight",  # newer name
    }
    converted, _, report = convert_pyslowfast({k: torch.zeros(1) for k in expected})
    assert report.unmatched == []
    assert set(converted) == set(expected.values())
    assert set(expected.values()) - {"res3.nonlocal_blocks.0.norm.weight"} <= set(
        model.state_dict())


def test_head_kept_on_request_and_unknown_keys_reported():
    state = {"module.s1.pathway0_stem.conv.weight": torch.zeros(1),
             "module.head.projection.weight": torch.ones(2, 3),
             "module.s2.pathway0_res0.branch2.a_bn.split_bn.weight": torch.zeros(1)}
    converted, head, report = convert_pyslowfast(state, keep_head=True)
    assert list(converted) == ["stem.conv.weight"]
    assert torch.equal(head["projection.weight"], torch.ones(2, 3))
    assert report.unmatched == ["s2.pathway0_res0.branch2.a_bn.split_bn.weight"]


def test_unknown_formats_are_named():
    with pytest.raises(BackboneWeightsError, match="ckpt.pt.*cannot tell"):
        detect_format({"conv1.weight": torch.zeros(1)}, "ckpt.pt")
    with pytest.raises(BackboneWeightsError, match="Caffe2"):
        detect_format({"conv1_w": torch.zeros(1), "res2_0_branch2a_w": torch.zeros(1)})
    with pytest.raises(BackboneWeightsError, match="SlowFast"):
        detect_format({"s1.pathway1_stem.conv.weight": torch.zeros(1)})


# ---------------------------------------------------------------- loading files

def test_load_pyslowfast_file_with_ddp_prefix(tmp_path):
    source = randomised(small())
    path = tmp_path / "I3D_small.pyth"
    torch.save(fake_pyslowfast(source, prefix="module."), path)
    target = small()
    report = load_backbone_weights(target, str(path))
    assert report.ok and report.conversion.source_format == "pyslowfast"
    assert_same_tensors(source, target)


def test_missing_key_error_names_file_and_key_and_leaves_model_alone(tmp_path):
    raw = fake_pyslowfast(randomised(small()))
    del raw["model_state"]["s4.pathway0_res0.branch2.b.weight"]
    path = tmp_path / "broken.pyth"
    torch.save(raw, path)
    target = small()
    before = {k: v.clone() for k, v in target.state_dict().items()}
    with pytest.raises(BackboneWeightsError) as info:
        load_backbone_weights(target, str(path))
    message = str(info.value)
    assert "broken.pyth" in message and "res4.blocks.0.branch2.conv_b.weight" in message
    assert "1 model tensors missing" in message
    assert all(torch.equal(before[k], v) for k, v in target.state_dict().items())
    report = load_backbone_weights(target, str(path), strict=False)
    assert report.missing == ["res4.blocks.0.branch2.conv_b.weight"] and not report.ok
    assert torch.equal(target.stem.conv.weight,
                       raw["model_state"]["s1.pathway0_stem.conv.weight"])


def test_nonlocal_mismatch_and_shape_mismatch_are_reported(tmp_path):
    path = tmp_path / "nl.pyth"
    torch.save(fake_pyslowfast(small()), path)
    with pytest.raises(BackboneWeightsError, match="nl.pyth.*not have.*res3.nonlocal_blocks.0"):
        load_backbone_weights(small(non_local=False), str(path))
    raw = fake_pyslowfast(small())
    raw["model_state"]["s1.pathway0_stem.conv.weight"] = torch.zeros(16, 3, 1, 7, 7)
    torch.save(raw, path)
    with pytest.raises(BackboneWeightsError, match=r"stem.conv.weight: file \(16, 3, 1, 7, 7\)"):
        load_backbone_weights(small(), str(path))


def test_missing_and_unsafe_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.pyth"):
        load_backbone_weights(small(), str(tmp_path / "nowhere.pyth"))
    pkl = tmp_path / "lfb_r101.pkl"
    pkl.write_bytes(b"\x80\x04N.")
    with pytest.raises(BackboneWeightsError, match="lfb_r101.pkl.*Caffe2"):
        load_backbone_weights(small(), str(pkl))
    empty = tmp_path / "empty.pt"
    torch.save({"epoch": 1}, empty)
    with pytest.raises(BackboneWeightsError, match="empty.pt: no tensors"):
        load_backbone_weights(small(), str(empty))


def test_frozen_bn_model_loads_batchnorm_weights(tmp_path):
    source = randomised(small())
    path = tmp_path / "bn.pyth"
    torch.save(fake_pyslowfast(source), path)
    frozen = build_backbone(small_config(frozen_bn=True, weights=str(path)))
    for key, value in frozen.state_dict().items():
        assert torch.equal(value, source.state_dict()[key]), key
    source.eval()
    clips = torch.randn(1, 3, 4, 64, 64)
    assert torch.allclose(frozen.train()(clips), source(clips), atol=1e-5)


# ---------------------------------------------------------------- our format

def test_own_checkpoint_round_trip_and_rebuild(tmp_path):
    config = small_config(num_frames=16, sampling_rate=2)
    source = randomised(build_backbone(config))
    path = tmp_path / "backbone.pt"
    save_backbone_checkpoint(str(path), source, config)
    rebuilt = load_backbone(str(path))
    assert_same_tensors(source, rebuilt)
    assert rebuilt.preprocessing["num_frames"] == 16 and rebuilt.preprocessing["sampling_rate"] == 2
    frozen = load_backbone(str(path), frozen_bn=True)
    assert not list(p for n, p in frozen.named_parameters() if "norm" in n)
    target = small()
    assert load_backbone_weights(target, str(path)).conversion.source_format == "sgfb"
    assert_same_tensors(source, target)


def test_full_model_checkpoint_with_backbone_prefix(tmp_path):
    source = randomised(small())
    state = {f"backbone.{k}": v for k, v in source.state_dict().items()}
    state["head.classifier.weight"] = torch.zeros(3, 4)
    path = tmp_path / "sgfb_model.pt"
    torch.save({"model_state": state, "config": {"fbo": "nl"}}, path)
    target = small()
    report = load_backbone_weights(target, str(path), strict=False)
    assert report.conversion.unmatched == ["head.classifier.weight"] and report.loaded > 0
    assert_same_tensors(source, target)


# ---------------------------------------------------------------- the tool

def load_tool():
    spec = importlib.util.spec_from_file_location("convert_i3d_weights",
                                                  ROOT / "tools" / "convert_i3d_weights.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tool_converts_and_refuses_mismatches(tmp_path, capsys):
    tool = load_tool()
    source = randomised(small())
    src, out = tmp_path / "small.pyth", tmp_path / "small.pt"
    torch.save(fake_pyslowfast(source), src)
    assert tool.main([str(src), str(out), "--arch", "i3d_small", "--keep-head",
                      "num_frames=8", "sampling_rate=8"]) == 0
    printed = capsys.readouterr().out
    assert "pyslowfast checkpoint" in printed and f"wrote {out}" in printed
    saved = torch.load(out, weights_only=True)
    assert saved["format"] == "sgfb.backbone/1" and saved["source_epoch"] == 196
    assert saved["preprocessing"]["sampling_rate"] == 8 and saved["config"]["arch"] == "i3d_small"
    assert saved["head"]["projection.weight"].shape == (400, 512)
    assert_same_tensors(source, load_backbone(str(out)))

    refused = tmp_path / "refused.pt"
    assert tool.main([str(src), str(refused), "--arch", "i3d_small", "non_local=false"]) == 1
    assert "not written" in capsys.readouterr().out and not refused.exists()
    assert tool.main([str(src), str(refused), "--arch", "i3d_small", "non_local=false",
                      "--allow-mismatch"]) == 0
    assert "res3.nonlocal_blocks.0" not in torch.load(refused, weights_only=True)["model_state"]


@pytest.mark.slow
def test_r101_file_round_trip(tmp_path):
    torch.manual_seed(0)
    source = randomised(build_backbone(BackboneConfig(arch="i3d_nl_r101")))
    path = tmp_path / "I3D_NLN_R101.pyth"
    torch.save(fake_pyslowfast(source), path)
    target = build_backbone(BackboneConfig(arch="i3d_nl_r101", weights=str(path)))
    assert_same_tensors(source, target)
    with pytest.raises(BackboneWeightsError, match="nonlocal_blocks"):
        load_backbone_weights(build_backbone(BackboneConfig(
            arch="i3d_nl_r101", nonlocal_locations=[[], [1, 3], [1, 3, 5], []])), str(path))


def test_tool_reports_a_missing_file_in_one_line(tmp_path):
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "convert_i3d_weights.py"),
                           str(tmp_path / "absent.pyth"), str(tmp_path / "out.pt"),
                           "--arch", "i3d_small"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("convert_i3d_weights.py: error: backbone weights not found: "
                                   f"{tmp_path / 'absent.pyth'}")
