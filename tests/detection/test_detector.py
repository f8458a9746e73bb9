"""SGDetector: training losses, detection equal to torchvision's, features and box pooling."""
from __future__ import annotations

from typing import List

import pytest
import torch

from detection_util import tiny_detector
from sgfb.structures.vocab import AG_OBJECTS
from sgfb.detection.detector import SGDetector, resize_scale
from sgfb.detection.labels import object_probabilities

LOSSES = {"loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg"}


def frames(seed: int, sizes=((64, 80), (56, 72))) -> List[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.rand(3, h, w, generator=g) for h, w in sizes]


def decisive(detector: SGDetector, seed: int) -> SGDetector:
    """Random-init class scores are all near 1/37 (below any useful threshold): give the box
    predictor larger random weights so that scores spread over 0..1."""
    g = torch.Generator().manual_seed(seed)
    predictor = detector.model.roi_heads.box_predictor
    with torch.no_grad():
        predictor.cls_score.weight.copy_(torch.randn(predictor.cls_score.weight.shape,
                                                     generator=g) * 0.3)
        predictor.bbox_pred.weight.copy_(torch.randn(predictor.bbox_pred.weight.shape,
                                                     generator=g) * 0.05)
    return detector.eval()


def test_training_forward_returns_the_four_losses_and_backpropagates():
    detector = tiny_detector().train()
    targets = [{"boxes": torch.tensor([[5.0, 6.0, 40.0, 50.0], [30.0, 10.0, 70.0, 30.0]]),
                "labels": torch.tensor([0, 35])},
               {"boxes": torch.zeros((0, 4)), "labels": torch.zeros(0, dtype=torch.int64)}]
    seen = {}
    inner = detector.model.forward
    detector.model.forward = lambda images, t: seen.setdefault("t", t) and inner(images, t)
    losses = detector(frames(0), targets)
    assert set(losses) == LOSSES
    assert all(v.dim() == 0 and torch.isfinite(v) for v in losses.values())
    assert seen["t"][0]["labels"].tolist() == [1, 36]          # torchvision label = AG + 1
    assert targets[0]["labels"].tolist() == [0, 35]             # caller's targets untouched
    sum(losses.values()).backward()
    body = detector.model.backbone.body
    assert body.conv1.weight.grad is not None and body.conv1.weight.grad.abs().sum() > 0
    assert detector.model.roi_heads.box_predictor.cls_score.weight.grad.abs().sum() > 0


def test_modes_are_checked():
    detector = tiny_detector()
    with pytest.raises(RuntimeError, match="detect"):
        detector.eval()([torch.rand(3, 64, 80)], [{"boxes": torch.zeros((0, 4)),
                                                   "labels": torch.zeros(0, dtype=torch.int64)}])
    with pytest.raises(RuntimeError, match="eval"):
        detector.train().detect([torch.rand(3, 64, 80)])


@torch.no_grad()
def test_detect_equals_torchvision_eval_forward():
    detector = decisive(tiny_detector(seed=1, score_thresh=0.05, detections_per_img=25), seed=1)
    images = frames(1)
    reference = detector.model(images)
    detections = detector.detect(images)
    feats = detector.features(images)
    assert len(detections) == 2
    for ref, det, size in zip(reference, detections, feats.original_sizes):
        assert len(det) > 3
        assert torch.equal(det.boxes, ref["boxes"])
        assert torch.equal(det.labels, ref["labels"] - 1)
        assert torch.equal(det.scores, ref["scores"])
        assert torch.all(det.scores[:-1] >= det.scores[1:])
        assert det.boxes[:, 2].max() <= size[1] and det.boxes[:, 3].max() <= size[0]
        assert det.class_scores.shape == (len(det), len(AG_OBJECTS))
        assert torch.allclose(det.class_scores.sum(1), torch.ones(len(det)))
        assert det.features.shape == (len(det), detector.representation_size)
        assert det.keep.dtype == torch.int64
    # the same result from precomputed features (the backbone runs once per frame)
    again = detector.detect(feats)
    for a, b in zip(detections, again):
        assert torch.equal(a.boxes, b.boxes) and torch.equal(a.features, b.features)


@torch.no_grad()
def test_detection_features_and_class_scores_belong_to_the_kept_proposals():
    detector = decisive(tiny_detector(seed=2, detections_per_img=10), seed=2)
    feats = detector.features(frames(2, sizes=((64, 80),)))
    det = detector.detect(feats)[0]
    proposals = detector.proposals(feats)[0]
    kept = proposals[det.keep] / feats.scales[0]              # back to original pixels
    assert torch.allclose(detector.box_features(feats, [kept]), det.features, atol=1e-4)
    probs = detector.classify(feats, [kept])
    assert torch.allclose(probs, det.class_scores, atol=1e-5)
    # the score of the detected class is its softmax share among all 37 outputs
    logits, _ = detector.model.roi_heads.box_predictor(det.features)
    full = torch.softmax(logits, -1)
    assert torch.allclose(full[torch.arange(len(det)), det.labels + 1], det.scores, atol=1e-6)


@torch.no_grad()
def test_nothing_passing_the_threshold_gives_empty_detections():
    detector = tiny_detector(score_thresh=0.5).eval()            # random init: all scores ~1/37
    for det in detector.detect(frames(3)):
        assert len(det) == 0
        assert det.boxes.shape == (0, 4) and det.labels.shape == (0,)
        assert det.scores.shape == (0,) and det.keep.shape == (0,)
        assert det.class_scores.shape == (0, len(AG_OBJECTS))
        assert det.features.shape == (0, detector.representation_size)
        assert det.labels.dtype == torch.int64 and det.keep.dtype == torch.int64


@torch.no_grad()
def test_features_record_sizes_and_scales():
    detector = tiny_detector().eval()                            # min_size 64, max_size 96
    feats = detector.features([torch.rand(3, 48, 60), torch.rand(3, 96, 120)])
    assert feats.original_sizes == [(48, 60), (96, 120)]
    assert feats.image_sizes == [(64, 80), (64, 80)]
    assert feats.scales == pytest.approx([4 / 3, 2 / 3])
    assert resize_scale(48, 60, 64, 96) == pytest.approx(4 / 3)
    assert resize_scale(10, 100, 64, 96) == pytest.approx(0.96)   # capped by max_size
    # padded batch 64x96, FPN strides 4, 8, 16, 32 and the extra pooled level
    shapes = {k: tuple(v.shape) for k, v in feats.maps.items()}
    assert shapes == {"0": (2, 256, 16, 24), "1": (2, 256, 8, 12), "2": (2, 256, 4, 6),
                      "3": (2, 256, 2, 3), "pool": (2, 256, 1, 2)}
    boxes = [torch.tensor([[3.0, 6.0, 30.0, 45.0]]), torch.tensor([[6.0, 12.0, 60.0, 90.0]])]
    resized = feats.to_resized(boxes)
    assert torch.allclose(resized[0], resized[1])               # the same place in 64x80
    assert torch.allclose(resized[0], torch.tensor([[4.0, 8.0, 40.0, 60.0]]))


@torch.no_grad()
def test_box_features_pool_original_pixel_boxes_at_the_resized_place():
    detector = tiny_detector().eval()
    g = torch.Generator().manual_seed(4)
    small = torch.rand(3, 12, 15, generator=g).repeat_interleave(4, 1).repeat_interleave(4, 2)
    big = small.repeat_interleave(2, 1).repeat_interleave(2, 2)   # the same picture, 2x
    feats = detector.features([small, big])                      # both become 64x80
    box = torch.tensor([[8.0, 8.0, 40.0, 36.0]])
    pooled = detector.box_features(feats, [box, box * 2])
    assert pooled.shape == (2, detector.representation_size)
    heads = detector.model.roi_heads
    direct = heads.box_head(heads.box_roi_pool(feats.maps, [box * 4 / 3, box * 4 / 3],
                                               feats.image_sizes))
    assert torch.allclose(pooled, direct, atol=1e-5)
    other = detector.box_features(feats, [box, box])             # wrong place in the big one
    assert (pooled[0] - pooled[1]).norm() < 0.5 * (other[0] - other[1]).norm()


@torch.no_grad()
def test_classify_and_box_features_accept_frames_without_boxes():
    detector = tiny_detector().eval()
    feats = detector.features(frames(5))
    boxes = [torch.tensor([[1.0, 2.0, 30.0, 40.0], [10.0, 10.0, 60.0, 50.0]]), torch.zeros((0, 4))]
    probs = detector.classify(feats, boxes)
    assert probs.shape == (2, len(AG_OBJECTS))
    assert torch.allclose(probs.sum(1), torch.ones(2))
    logits, _ = detector.model.roi_heads.box_predictor(detector.box_features(feats, boxes))
    assert torch.allclose(probs, object_probabilities(logits))
    empty = detector.box_features(feats, [torch.zeros((0, 4)), torch.zeros((0, 4))])
    assert empty.shape == (0, detector.representation_size)
    assert detector.classify(feats, [torch.zeros((0, 4))] * 2).shape == (0, len(AG_OBJECTS))


def test_fpn_channels_narrow_every_pyramid_level_and_the_heads():
    from sgfb.detection.config import DetectorConfig
    detector = tiny_detector(fpn_channels=32)
    backbone = detector.model.backbone
    assert backbone.out_channels == 32
    assert [b[0].in_channels for b in backbone.fpn.inner_blocks] == [64, 128, 256, 512]
    assert {b[0].out_channels for b in backbone.fpn.layer_blocks} == {32}
    assert detector.model.roi_heads.box_head.fc6.in_features == 32 * 7 * 7
    losses = detector.train()(frames(0), [{"boxes": torch.tensor([[4., 4, 40, 50]]),
                                            "labels": torch.tensor([0])}] * 2)
    assert set(losses) == LOSSES and all(torch.isfinite(v) for v in losses.values())
    feats = detector.eval().features(frames(1))
    assert all(f.shape[1] == 32 for f in feats.maps.values())
    # configs written before the field existed read as torchvision's 256 channels
    from sgfb.detection.config import small_config
    old = small_config().to_dict()
    del old["fpn_channels"]
    assert DetectorConfig.from_dict(old).fpn_channels == 256
    with pytest.raises(ValueError, match="fpn_channels"):
        DetectorConfig(fpn_channels=0)
