"""detectron2 model-zoo weights: a state dict with detectron2's names and shapes is built here
(random values), converted, and the converted detector's logits are checked against a
reference forward pass written below from detectron2's definitions (MSRA bottlenecks with the
stride in the 1x1 conv, FrozenBN, BGR 0..255 input, FPN, RPN head, box head)."""
import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torchvision.ops import MultiScaleRoIAlign

from sgfb.data.safe_pickle import UnsafePickleError
from sgfb.structures.vocab import AG_OBJECTS
from sgfb.detection.config import CAFFE_BGR_MEAN
from sgfb.detection.convert import load_detector_weights
from sgfb.detection.build import build_detector
from sgfb.detection.detectron2 import (COCO_CLASSES, COCO_TO_AG, convert_detectron2,
                                       convert_detectron2_file, detectron2_config,
                                       detectron2_name, read_detectron2)

BLOCKS = {"resnet50": (3, 4, 6, 3), "resnet101": (3, 4, 23, 3)}
REP = 64          # box-head width of the test detector


def detectron2_state(backbone="resnet50", seed=0):
    """Random weights under detectron2's R-FPN Faster R-CNN names and shapes."""
    rng = np.random.default_rng(seed)
    sd = {}

    def conv(name, cout, cin, k, norm=True, bias=False):
        sd[f"{name}.weight"] = (rng.standard_normal((cout, cin, k, k)) * np.sqrt(2 / (cin * k * k))).astype(np.float32)
        if bias:
            sd[f"{name}.bias"] = (rng.standard_normal(cout) * 0.1).astype(np.float32)
        if norm:
            sd[f"{name}.norm.weight"] = rng.uniform(0.5, 1.5, cout).astype(np.float32)
            sd[f"{name}.norm.bias"] = (rng.standard_normal(cout) * 0.1).astype(np.float32)
            sd[f"{name}.norm.running_mean"] = (rng.standard_normal(cout) * 0.1).astype(np.float32)
            sd[f"{name}.norm.running_var"] = rng.uniform(0.5, 1.5, cout).astype(np.float32)

    conv("backbone.bottom_up.stem.conv1", 64, 3, 7)
    cin = 64
    for stage, n in zip(range(2, 6), BLOCKS[backbone]):
        width = 64 * 2 ** (stage - 2)
        for b in range(n):
            p = f"backbone.bottom_up.res{stage}.{b}"
            if b == 0:
                conv(f"{p}.shortcut", width * 4, cin, 1)
            conv(f"{p}.conv1", width, cin if b == 0 else width * 4, 1)
            conv(f"{p}.conv2", width, width, 3)
            conv(f"{p}.conv3", width * 4, width, 1)
        cin = width * 4
    for level, c in zip(range(2, 6), (256, 512, 1024, 2048)):
        conv(f"backbone.fpn_lateral{level}", 256, c, 1, norm=False, bias=True)
        conv(f"backbone.fpn_output{level}", 256, 256, 3, norm=False, bias=True)
    conv("proposal_generator.rpn_head.conv", 256, 256, 3, norm=False, bias=True)
    conv("proposal_generator.rpn_head.objectness_logits", 3, 256, 1, norm=False, bias=True)
    conv("proposal_generator.rpn_head.anchor_deltas", 12, 256, 1, norm=False, bias=True)
    for name, cout, cin_ in (("roi_heads.box_head.fc1", REP, 256 * 49), ("roi_heads.box_head.fc2", REP, REP),
                             ("roi_heads.box_predictor.cls_score", 81, REP),
                             ("roi_heads.box_predictor.bbox_pred", 320, REP)):
        sd[f"{name}.weight"] = (rng.standard_normal((cout, cin_)) / np.sqrt(cin_)).astype(np.float32)
        sd[f"{name}.bias"] = (rng.standard_normal(cout) * 0.1).astype(np.float32)
    sd["pixel_mean"] = np.array(CAFFE_BGR_MEAN, np.float32).reshape(3, 1, 1)
    return sd


# ---------------------------------------------------------------------- reference path
def _t(sd, key):
    return torch.from_numpy(sd[key])


def ref_conv(sd, x, name, stride=1, padding=0, relu=False):
    x = F.conv2d(x, _t(sd, f"{name}.weight"), _t(sd, f"{name}.bias") if f"{name}.bias" in sd else None,
                 stride, padding)
    if f"{name}.norm.weight" in sd:      # detectron2 FrozenBatchNorm2d, eps 1e-5
        scale = _t(sd, f"{name}.norm.weight") * (_t(sd, f"{name}.norm.running_var") + 1e-5).rsqrt()
        shift = _t(sd, f"{name}.norm.bias") - _t(sd, f"{name}.norm.running_mean") * scale
        x = x * scale[None, :, None, None] + shift[None, :, None, None]
    return F.relu(x) if relu else x


def reference_forward(sd, image_rgb01, boxes, blocks):
    """detectron2's R-FPN on one RGB 0..1 image: (RPN objectness per level, box logits [N, 81])."""
    x = image_rgb01.flip(0)[None] * 255.0 - torch.tensor(CAFFE_BGR_MEAN)[None, :, None, None]
    x = ref_conv(sd, x, "backbone.bottom_up.stem.conv1", 2, 3, relu=True)
    x = F.max_pool2d(x, 3, 2, 1)
    feats = []
    for stage, n in zip(range(2, 6), blocks):
        for b in range(n):
            p = f"backbone.bottom_up.res{stage}.{b}"
            stride = 2 if (b == 0 and stage > 2) else 1
            out = ref_conv(sd, x, f"{p}.conv1", stride, relu=True)       # MSRA: stride in 1x1
            out = ref_conv(sd, out, f"{p}.conv2", 1, 1, relu=True)
            out = ref_conv(sd, out, f"{p}.conv3")
            short = ref_conv(sd, x, f"{p}.shortcut", stride) if b == 0 else x
            x = F.relu(out + short)
        feats.append(x)
    inner = ref_conv(sd, feats[3], "backbone.fpn_lateral5")
    outs = [ref_conv(sd, inner, "backbone.fpn_output5", padding=1)]
    for level in (4, 3, 2):
        inner = ref_conv(sd, feats[level - 2], f"backbone.fpn_lateral{level}") + \
            F.interpolate(inner, scale_factor=2.0, mode="nearest")
        outs.insert(0, ref_conv(sd, inner, f"backbone.fpn_output{level}", padding=1))
    outs.append(F.max_pool2d(outs[-1], 1, 2))                              # p6
    objectness = [ref_conv(sd, ref_conv(sd, p, "proposal_generator.rpn_head.conv", padding=1, relu=True),
                           "proposal_generator.rpn_head.objectness_logits") for p in outs]
    # pooling is torchvision's in both paths (the module docstring's one unconverted part)
    pooler = MultiScaleRoIAlign(["p2", "p3", "p4", "p5"], 7, 2)
    h, w = image_rgb01.shape[-2:]
    pooled = pooler(dict(zip(["p2", "p3", "p4", "p5"], outs[:4])), [boxes], [(h, w)]).flatten(1)
    hidden = F.relu(F.linear(pooled, _t(sd, "roi_heads.box_head.fc1.weight"), _t(sd, "roi_heads.box_head.fc1.bias")))
    hidden = F.relu(F.linear(hidden, _t(sd, "roi_heads.box_head.fc2.weight"), _t(sd, "roi_heads.box_head.fc2.bias")))
    logits = F.linear(hidden, _t(sd, "roi_heads.box_predictor.cls_score.weight"),
                      _t(sd, "roi_heads.box_predictor.cls_score.bias"))
    return objectness, logits


# ---------------------------------------------------------------------- tests
def test_names_on_literals():
    assert detectron2_name("backbone.bottom_up.res3.0.conv1.norm.running_var") == \
        ("model.backbone.body.layer2.0.bn1.running_var", "")
    assert detectron2_name("backbone.bottom_up.res5.0.shortcut.weight") == \
        ("model.backbone.body.layer4.0.downsample.0.weight", "")
    assert detectron2_name("backbone.bottom_up.res5.0.shortcut.norm.bias") == \
        ("model.backbone.body.layer4.0.downsample.1.bias", "")
    assert detectron2_name("backbone.fpn_lateral2.weight") == ("model.backbone.fpn.inner_blocks.0.0.weight", "")
    assert detectron2_name("backbone.fpn_output5.bias") == ("model.backbone.fpn.layer_blocks.3.0.bias", "")
    assert detectron2_name("proposal_generator.rpn_head.anchor_deltas.weight") == \
        ("model.rpn.head.bbox_pred.weight", "")
    assert detectron2_name("roi_heads.box_head.fc2.weight") == ("model.roi_heads.box_head.fc7.weight", "")
    assert detectron2_name("pixel_mean")[0] is None
    assert len(COCO_CLASSES) == 80 and set(COCO_TO_AG.values()) <= set(COCO_CLASSES)
    assert set(COCO_TO_AG) <= set(AG_OBJECTS)


def test_r101_names_and_shapes_cover_the_detector():
    """Every tensor of the R101-FPN detector comes from the file (none left at init)."""
    sd = detectron2_state("resnet101")
    cfg = detectron2_config(representation_size=REP)
    converted, report = convert_detectron2(sd, cfg)
    assert report.missing == []
    assert report.dropped["pixel_mean"].startswith("input normalisation")
    assert sum("rows of COCO" in k for k in report.dropped) == 80 - len(COCO_TO_AG)
    assert len(converted) == len(report.kept)


def test_converted_detector_reproduces_the_reference_logits(tmp_path):
    sd = detectron2_state("resnet50", seed=1)
    path = tmp_path / "model_final.pkl"
    with open(path, "wb") as f:
        pickle.dump({"model": sd, "__author__": "test", "matching_heuristics": True}, f)
    cfg = detectron2_config(backbone="resnet50", representation_size=REP, min_size=64, max_size=64)
    out = tmp_path / "det.pt"
    report = convert_detectron2_file(str(path), str(out), cfg)
    assert report.missing == []
    detector = build_detector(cfg)
    assert load_detector_weights(detector, str(out)) == []
    detector.eval()

    torch.manual_seed(0)
    image = torch.rand(3, 64, 64)
    boxes = torch.tensor([[4., 4, 40, 50], [10, 20, 60, 60], [0, 0, 63, 63]])
    with torch.no_grad():
        ref_objectness, ref_logits = reference_forward(sd, image, boxes, BLOCKS["resnet50"])
        feats = detector.features([image])
        objectness, _ = detector.model.rpn.head(list(feats.maps.values()))
        logits, _ = detector.model.roi_heads.box_predictor(detector.box_features(feats, [boxes]))
    for ours, theirs in zip(objectness, ref_objectness):
        torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-3)
    torch.testing.assert_close(logits[:, 0], ref_logits[:, 80], rtol=1e-4, atol=1e-4)   # background
    for ag, coco in COCO_TO_AG.items():
        torch.testing.assert_close(logits[:, 1 + AG_OBJECTS.index(ag)],
                                   ref_logits[:, COCO_CLASSES.index(coco)], rtol=1e-4, atol=1e-4)
    # torchvision's own layout (stride in the 3x3, ImageNet input) gives other logits
    plain = build_detector(detectron2_config(backbone="resnet50", representation_size=REP,
                                             min_size=64, max_size=64, stride_in_1x1=False,
                                             pixel_format="imagenet"))
    load_detector_weights(plain, str(out))
    with torch.no_grad():
        other = plain.model.rpn.head(list(plain.eval().features([image]).maps.values()))[0]
    assert not torch.allclose(other[0], objectness[0], atol=1e-2)


def test_unsafe_or_wrong_files_are_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    bad = tmp_path / "evil.pkl"
    bad.write_bytes(pickle.dumps({"model": {"x": Evil()}}))
    with pytest.raises(UnsafePickleError, match="builtins.print"):
        read_detectron2(str(bad))
    lists = tmp_path / "lists.pkl"
    lists.write_bytes(pickle.dumps({"model": {"x": [1, 2]}}))
    with pytest.raises(ValueError, match="not a NumPy array"):
        read_detectron2(str(lists))
    sd = detectron2_state("resnet50")
    with pytest.raises(ValueError, match="not in the file"):
        convert_detectron2(sd, detectron2_config(representation_size=REP))   # R101 config, R50 file
    with pytest.raises(ValueError, match="disagree"):
        convert_detectron2(sd, detectron2_config(backbone="resnet50", representation_size=32))
    with pytest.raises(ValueError, match="stride_in_1x1"):
        convert_detectron2_file(str(lists), str(tmp_path / "o.pt"),
                                detectron2_config(stride_in_1x1=False))


def test_convert_tool_reads_detectron2_pickles(tmp_path, capsys):
    import importlib.util
    from pathlib import Path
    tool = Path(__file__).resolve().parents[2] / "tools" / "convert_detector_weights.py"
    spec = importlib.util.spec_from_file_location("convert_detector_weights", tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "model_final.pkl"
    path.write_bytes(pickle.dumps({"model": detectron2_state("resnet50")}))
    out = tmp_path / "det.pt"
    assert module.main(["--source", str(path), "--out", str(out), "--format", "detectron2",
                        "--backbone", "resnet50", f"representation_size={REP}"]) == 0
    assert "detectron2" in capsys.readouterr().out
    from sgfb.utils.checkpoint import load_checkpoint
    state = load_checkpoint(str(out))
    assert state["config"]["stride_in_1x1"] and state["preprocessing"]["pixel_format"] == "caffe"
    assert state["dropped"]["pixel_mean"].startswith("input normalisation")
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(b"cos\nsystem\n(S'true'\ntR.")
    with pytest.raises(pickle.UnpicklingError, match="refusing to load global 'os.system'"):
        module.main(["--source", str(evil), "--out", str(tmp_path / "x.pt"),
                     "--format", "detectron2"])  # run_cli prints it as one error line
    assert not (tmp_path / "x.pt").exists()
