"""Weight conversion from torchvision state dicts, checkpoints and loading errors."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch
import torchvision
from torchvision.models.detection import fasterrcnn_resnet50_fpn

from detection_util import tiny_config, tiny_detector
from sgfb.detection.config import DetectorConfig
from sgfb.detection.build import convert_weights, detector_state_shapes
from sgfb.detection.convert import (CHECKPOINT_FORMAT, checkpoint_state, convert_state_dict,
                                    guess_format, load_detector_weights)
from sgfb.detection.build import build_detector
from sgfb.utils.checkpoint import load_checkpoint, save_checkpoint

ROOT = Path(__file__).resolve().parents[2]
PREDICTOR = [f"model.roi_heads.box_predictor.{n}.{p}" for n in ("cls_score", "bbox_pred")
             for p in ("weight", "bias")]


def run_tool(argv):
    spec = importlib.util.spec_from_file_location(
        "convert_detector_weights", ROOT / "tools" / "convert_detector_weights.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(argv)


def test_coco_faster_rcnn_keeps_all_but_the_class_predictor(tmp_path):
    torch.manual_seed(0)
    coco = fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None).state_dict()
    source, out = tmp_path / "coco.pth", tmp_path / "det.pt"
    torch.save(coco, source)
    cfg = DetectorConfig(backbone="resnet50")
    report = convert_weights(str(source), str(out), cfg)
    assert report.format == "coco"
    assert sorted(report.missing) == sorted(PREDICTOR)
    predictor = {k for k, why in report.dropped.items() if "predictor" in why}
    assert predictor == {k[len("model."):] for k in PREDICTOR}
    # BatchNorm step counters of this random-init model have no FrozenBatchNorm counterpart
    assert all(k.endswith("num_batches_tracked") for k in set(report.dropped) - predictor)
    assert len(report.kept) == len(coco) - len(report.dropped)
    assert "4 left at initialisation" in report.summary()

    state = load_checkpoint(str(out))
    assert state["format"] == CHECKPOINT_FORMAT and state["config"]["backbone"] == "resnet50"
    assert state["objects"][0] == "person" and len(state["objects"]) == 36
    assert state["converted_from"]["format"] == "coco"

    detector = build_detector(DetectorConfig(backbone="resnet50", weights=str(out)))
    own = detector.state_dict()
    for key in report.kept:
        assert torch.equal(own[key], coco[key[len("model."):]]), key
    assert own[PREDICTOR[0]].shape == (37, 1024)


def test_imagenet_resnet_fills_the_backbone_body_and_the_tool_writes_it(tmp_path, capsys):
    torch.manual_seed(0)
    resnet = torchvision.models.resnet18(weights=None).state_dict()
    source, out = tmp_path / "r18.pth", tmp_path / "det.pt"
    torch.save(resnet, source)
    assert run_tool(["--source", str(source), "--out", str(out), "--backbone", "small",
                     "representation_size=64", "min_size=64", "max_size=96"]) == 0
    printed = capsys.readouterr().out
    assert "(imagenet)" in printed and "ImageNet classifier" in printed

    detector = build_detector(tiny_config(weights=str(out)))
    own = detector.state_dict()
    for key, tensor in resnet.items():
        if key.startswith("fc."):
            assert not any(k.endswith("body." + key) for k in own)
        else:
            assert torch.equal(own["model.backbone.body." + key], tensor), key


def test_format_guessing_and_shape_mismatch():
    body = {"conv1.weight": torch.zeros(64, 3, 7, 7), "layer1.0.conv1.weight": torch.zeros(1)}
    assert guess_format(body) == "imagenet"
    assert guess_format({"backbone.body.conv1.weight": torch.zeros(1)}) == "coco"
    with pytest.raises(ValueError, match="cannot tell"):
        guess_format({"encoder.weight": torch.zeros(1)}, "x.pth")
    target = detector_state_shapes(tiny_config())
    with pytest.raises(ValueError, match=r"layer1\.0\.conv1\.weight \(1,\)"):
        convert_state_dict(body, "auto", target, "x.pth")
    with pytest.raises(ValueError, match="unknown weight format"):
        convert_state_dict(body, "detectron", target)


def test_loading_errors_name_the_file_and_keys(tmp_path):
    out = tmp_path / "det.pt"
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), tmp_path / "r18.pth")
    convert_weights(str(tmp_path / "r18.pth"), str(out), tiny_config(norm_layer="frozen_bn"))
    # a body-only checkpoint fits any box head; the rest is reported as left at initialisation
    left = load_detector_weights(tiny_detector(norm_layer="frozen_bn", representation_size=32),
                                 str(out))
    assert "model.roi_heads.box_head.fc6.weight" in left
    assert "model.rpn.head.conv.0.0.weight" in left
    # ... but not a body with trainable BatchNorm (its step counters are absent)
    with pytest.raises(ValueError, match=r"det\.pt.*mismatched keys") as err:
        load_detector_weights(tiny_detector(), str(out))
    assert "missing model.backbone.body.bn1.num_batches_tracked" in str(err.value)
    # a full checkpoint of another config: shape mismatches listed
    full = tmp_path / "full.pt"
    save_checkpoint(str(full), checkpoint_state(tiny_detector().state_dict(), tiny_config(), []))
    with pytest.raises(ValueError, match=r"shape model\.roi_heads\.box_head\.fc6\.weight"):
        load_detector_weights(tiny_detector(representation_size=32), str(full))
    assert load_detector_weights(tiny_detector(), str(full)) == []
    # a raw torchvision state dict is not a detector checkpoint
    with pytest.raises(ValueError, match="convert_detector_weights"):
        load_detector_weights(tiny_detector(), str(tmp_path / "r18.pth"))
    with pytest.raises(FileNotFoundError, match="nothing.pt"):
        build_detector(tiny_config(weights=str(tmp_path / "nothing.pt")))
