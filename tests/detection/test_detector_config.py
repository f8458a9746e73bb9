"""DetectorConfig checks and the full-size builds (on the meta device: no memory, no init)."""
from __future__ import annotations

import pytest
import torch

from sgfb.detection.config import DetectorConfig, small_config
from sgfb.detection.detector import SGDetector, build_faster_rcnn
from sgfb.utils.config import apply_overrides

# torchvision's fasterrcnn_resnet50_fpn: 41,755,286 parameters with 91 COCO outputs; our
# predictor has 37 outputs: (1024 + 1) * (91 + 4 * 91 - 37 - 4 * 37) = 276,750 fewer.
R50_PARAMETERS = 41_755_286 - 1025 * (5 * 91 - 5 * 37)
# ResNet-101 has 17 more layer3 bottlenecks, each 1024->256 1x1, 256->256 3x3, 256->1024 1x1
# (FrozenBatchNorm holds buffers, not parameters).
R101_PARAMETERS = R50_PARAMETERS + 17 * (1024 * 256 + 256 * 256 * 9 + 256 * 1024)


def meta_detector(cfg: DetectorConfig) -> SGDetector:
    with torch.device("meta"):
        return SGDetector(build_faster_rcnn(cfg))


def test_default_is_r101_fpn_with_the_expected_size():
    cfg = DetectorConfig()
    assert cfg.backbone == "resnet101" and cfg.num_classes == 37
    detector = meta_detector(cfg)
    assert sum(p.numel() for p in detector.parameters()) == R101_PARAMETERS
    assert sum(p.numel() for p in meta_detector(DetectorConfig(backbone="resnet50"))
               .parameters()) == R50_PARAMETERS
    body = detector.model.backbone.body
    # trainable_layers=3: conv1 and layer1 frozen, layer2..4 trained
    assert not body.conv1.weight.requires_grad and not body.layer1[0].conv1.weight.requires_grad
    assert body.layer2[0].conv1.weight.requires_grad and body.layer4[0].conv1.weight.requires_grad
    heads = detector.model.roi_heads
    assert heads.box_predictor.cls_score.out_features == 37
    assert heads.box_head.fc7.out_features == 1024
    assert (heads.score_thresh, heads.nms_thresh, heads.detections_per_img) == (0.05, 0.5, 50)
    transform = detector.model.transform
    assert (transform.min_size, transform.max_size) == ((600,), 1000)


def test_small_config_suits_synthetic_frames():
    cfg = small_config()
    assert (cfg.backbone, cfg.min_size, cfg.max_size, cfg.representation_size) == \
        ("small", 240, 320, 256)
    detector = meta_detector(cfg)
    assert isinstance(detector.model.backbone.body.bn1, torch.nn.BatchNorm2d)
    assert detector.model.rpn.anchor_generator.sizes[0] == (16,)
    assert small_config(representation_size=128).representation_size == 128


def test_invalid_values_are_named():
    with pytest.raises(ValueError, match="backbone"):
        DetectorConfig(backbone="vgg16")
    with pytest.raises(ValueError, match="num_classes"):
        DetectorConfig(num_classes=91)
    with pytest.raises(ValueError, match="trainable_layers"):
        DetectorConfig(trainable_layers=6)
    with pytest.raises(ValueError, match="norm_layer"):
        DetectorConfig(norm_layer="gn")
    cfg = apply_overrides(DetectorConfig(), ["backbone=resnet18"])   # overrides skip checks
    with pytest.raises(ValueError, match="backbone"):
        build_faster_rcnn(cfg)                                        # ... building does not


def test_dict_round_trip_and_overrides():
    cfg = apply_overrides(small_config(), ["anchor_sizes=[8, 16, 32, 64, 128]", "min_size=200"])
    assert cfg.anchor_sizes == [8, 16, 32, 64, 128] and cfg.min_size == 200
    values = cfg.to_dict()
    assert values["anchor_sizes"] == [8, 16, 32, 64, 128]
    back = DetectorConfig.from_dict(values)
    assert back.anchor_sizes == (8, 16, 32, 64, 128) and back.to_dict() == values
    with pytest.raises(KeyError, match="valid"):
        DetectorConfig.from_dict({"backbone": "small", "layers": 3})
