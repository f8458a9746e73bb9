"""The stage-1 object detector: torchvision Faster R-CNN with a ResNet-FPN backbone
(Action Genome paper §4.1, §5.3: the scene-graph predictors benchmarked there sit on a Faster
R-CNN detector; DESIGN.md "Decisions": R101-FPN built with ``resnet_fpn_backbone``).

:class:`SGDetector` wraps a torchvision ``FasterRCNN`` and exposes the pieces the predicate
head needs separately, all in AG label space (person = 0 .. 35) and original-frame pixels:

- :meth:`SGDetector.forward`: training losses;
- :meth:`SGDetector.features`: resize + backbone once per frame (:class:`ImageFeatures`);
- :meth:`SGDetector.box_features` / :meth:`SGDetector.classify`: pooled features and class
  probabilities of given boxes (PredCls / SGCls use ground-truth boxes);
- :meth:`SGDetector.detect`: detections with their features and proposal indices (SGDet).
"""
from __future__ import annotations

import math
from typing import Dict, List, Sequence, Tuple, Union

import torch
from torch import nn
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.transform import GeneralizedRCNNTransform, resize_boxes
from torchvision.ops import MultiScaleRoIAlign
from torchvision.ops.feature_pyramid_network import FeaturePyramidNetwork, LastLevelMaxPool
from torchvision.ops.misc import FrozenBatchNorm2d

from sgfb.detection.config import BACKBONES, CAFFE_BGR_MEAN, IMAGE_MEAN, IMAGE_STD, DetectorConfig
from sgfb.detection.detections import Detections
from sgfb.detection.features import ImageFeatures
from sgfb.detection.labels import object_probabilities, to_ag_labels, to_model_labels
from sgfb.detection.postprocess import select_detections

#: FPN levels the box head pools from ("pool" only feeds the RPN), RoIAlign settings.
ROI_LEVELS: Tuple[str, ...] = ("0", "1", "2", "3")
ROI_OUTPUT_SIZE = 7
ROI_SAMPLING_RATIO = 2


def resize_scale(height: int, width: int, min_size: int, max_size: int) -> float:
    """The factor torchvision's ``GeneralizedRCNNTransform`` resizes a frame by: the shorter
    side goes to ``min_size`` unless the longer one would exceed ``max_size``.

    The resized size is ``floor(side * scale)`` per side, so the exact per-side ratios can
    differ from this factor by less than one resized pixel over the side.
    """
    return min(min_size / min(height, width), max_size / max(height, width))


class SGDetector(nn.Module):
    """Faster R-CNN in AG label space. See the module docstring; build with
    :func:`build_detector`.

    Args:
        model: a torchvision ``FasterRCNN`` whose labels are AG index + 1 (0 = background).
    """

    def __init__(self, model: FasterRCNN) -> None:
        super().__init__()
        self.model = model

    @property
    def representation_size(self) -> int:
        return int(self.model.roi_heads.box_predictor.cls_score.in_features)

    # ------------------------------------------------------------------ training
    def forward(self, images: List[torch.Tensor],
                targets: List[Dict[str, torch.Tensor]]) -> Dict[str, torch.Tensor]:
        """Training losses (training mode only).

        images: per frame ``[3, H, W]`` float RGB in 0..1 (any sizes).
        targets: per frame ``boxes`` ``[K, 4]`` float xyxy original pixels (K may be 0) and
            ``labels`` ``[K]`` int64 AG indices.
        Returns torchvision's ``loss_classifier``, ``loss_box_reg``, ``loss_objectness``,
        ``loss_rpn_box_reg`` (scalars).
        """
        if not self.training:
            raise RuntimeError("SGDetector.forward computes training losses; call .train() "
                               "first, or use detect() for inference")
        if len(images) != len(targets):
            raise ValueError(f"{len(images)} images but {len(targets)} targets")
        shifted = [{"boxes": t["boxes"], "labels": to_model_labels(t["labels"])}
                   for t in targets]
        return self.model(images, shifted)

    # ------------------------------------------------------------------ shared maps
    def features(self, images: List[torch.Tensor]) -> ImageFeatures:
        """Resize, normalise and batch the frames, then run the backbone (once per frame).

        images: per frame ``[3, H, W]`` float RGB in 0..1. Returns the FPN maps
        (``[B, 256, h, w]`` per level), the resized ``(h, w)`` before padding, the original
        ``(H, W)`` and the resize factor per frame (see :func:`resize_scale`).
        """
        if len(images) == 0:
            raise ValueError("features() needs at least one image")
        original = [(int(img.shape[-2]), int(img.shape[-1])) for img in images]
        image_list, _ = self.model.transform(list(images))
        maps = self.model.backbone(image_list.tensors)
        min_size = int(self.model.transform.min_size[-1])
        max_size = int(self.model.transform.max_size)
        return ImageFeatures(
            maps=dict(maps),
            image_sizes=[(int(h), int(w)) for h, w in image_list.image_sizes],
            original_sizes=original,
            scales=[resize_scale(h, w, min_size, max_size) for h, w in original],
        )

    # ------------------------------------------------------------------ given boxes
    def box_features(self, feats: ImageFeatures,
                     boxes: Sequence[torch.Tensor]) -> torch.Tensor:
        """Pooled box-head features of given boxes: RoIAlign on the FPN maps + two FC layers.

        boxes: per frame ``[K_i, 4]`` float xyxy original pixels (mapped with
        ``feats.to_resized``). Returns ``[sum K_i, representation_size]``, frames in order.
        """
        resized = feats.to_resized(list(boxes))
        if sum(int(b.shape[0]) for b in resized) == 0:
            ref = next(iter(feats.maps.values()))
            return ref.new_zeros((0, self.representation_size))
        roi_heads = self.model.roi_heads
        pooled = roi_heads.box_roi_pool(feats.maps, resized, feats.image_sizes)
        return roi_heads.box_head(pooled)

    def classify(self, feats: ImageFeatures, boxes: Sequence[torch.Tensor]) -> torch.Tensor:
        """Class probabilities of given boxes (SGCls: ground-truth boxes, predicted labels).

        Returns ``[sum K_i, 36]``: softmax over the 37 outputs with background dropped and
        renormalised (:func:`sgfb.detection.labels.object_probabilities`).
        """
        class_logits, _ = self.model.roi_heads.box_predictor(self.box_features(feats, boxes))
        return object_probabilities(class_logits)

    # ------------------------------------------------------------------ detection
    def proposals(self, feats: ImageFeatures) -> List[torch.Tensor]:
        """RPN proposals per frame, ``[N_i, 4]`` xyxy in resized-frame pixels."""
        ref = feats.maps[ROI_LEVELS[0]]
        divisible = int(self.model.transform.size_divisible)
        padded = [int(math.ceil(max(s[d] for s in feats.image_sizes) / divisible) * divisible)
                  for d in (0, 1)]
        # the RPN reads only the padded batch shape from the image tensor
        stand_in = ref.new_zeros(()).expand(len(feats), 3, padded[0], padded[1])
        proposals, _ = self.model.rpn(ImageList(stand_in, list(feats.image_sizes)), feats.maps)
        return proposals

    def detect(self, inputs: Union[List[torch.Tensor], ImageFeatures]) -> List[Detections]:
        """Detect objects (eval mode): per frame a :class:`Detections`, best score first.

        inputs: frames (``[3, H, W]`` float 0..1 each) or their :meth:`features`.
        Boxes, labels and scores equal torchvision's own eval-mode output for the same
        weights; features and proposal indices come along (see :mod:`postprocess`).
        """
        if self.training:
            raise RuntimeError("SGDetector.detect runs in eval mode; call .eval() first")
        feats = inputs if isinstance(inputs, ImageFeatures) else self.features(inputs)
        proposals = self.proposals(feats)
        roi_heads = self.model.roi_heads
        box_feats = roi_heads.box_head(
            roi_heads.box_roi_pool(feats.maps, proposals, feats.image_sizes))
        class_logits, box_regression = roi_heads.box_predictor(box_feats)
        class_boxes = roi_heads.box_coder.decode(box_regression, proposals)   # [N, C, 4]
        class_probs = torch.softmax(class_logits, dim=-1)

        out: List[Detections] = []
        start = 0
        for i, frame_proposals in enumerate(proposals):
            stop = start + int(frame_proposals.shape[0])
            chosen = select_detections(
                class_probs[start:stop], class_boxes[start:stop], feats.image_sizes[i],
                roi_heads.score_thresh, roi_heads.nms_thresh, roi_heads.detections_per_img)
            rows = start + chosen.proposals
            out.append(Detections(
                boxes=resize_boxes(chosen.boxes, list(feats.image_sizes[i]),
                                   list(feats.original_sizes[i])),
                labels=to_ag_labels(chosen.labels),
                scores=chosen.scores,
                class_scores=object_probabilities(class_logits[rows]),
                features=box_feats[rows],
                keep=chosen.proposals,
            ))
            start = stop
        return out


class CaffeTransform(GeneralizedRCNNTransform):
    """torchvision's resize and batching with detectron2's MSRA input normalisation: the RGB
    0..1 frame becomes BGR 0..255 minus ``image_mean`` (BGR order), divided by ``image_std``."""

    def normalize(self, image: torch.Tensor) -> torch.Tensor:
        image = image.flip(-3) * 255.0
        mean = torch.as_tensor(self.image_mean, dtype=image.dtype, device=image.device)
        std = torch.as_tensor(self.image_std, dtype=image.dtype, device=image.device)
        return (image - mean[:, None, None]) / std[:, None, None]


def move_stride_to_1x1(body: nn.Module) -> None:
    """MSRA-style bottlenecks: the first block of ``layer2``..``layer4`` strides in ``conv1``
    (1x1) instead of ``conv2`` (3x3), as in detectron2's ``RESNETS.STRIDE_IN_1X1``."""
    for name in ("layer2", "layer3", "layer4"):
        block = getattr(body, name)[0]
        stride = block.conv2.stride
        block.conv1.stride, block.conv2.stride = stride, (1, 1)


def _norm_layer(name: str) -> type:
    return FrozenBatchNorm2d if name == "frozen_bn" else nn.BatchNorm2d


def build_faster_rcnn(cfg: DetectorConfig) -> FasterRCNN:
    """The torchvision ``FasterRCNN`` described by ``cfg`` (random weights, no download)."""
    cfg.validate()
    backbone = resnet_fpn_backbone(backbone_name=BACKBONES[cfg.backbone], weights=None,
                                   norm_layer=_norm_layer(cfg.norm_layer),
                                   trainable_layers=cfg.trainable_layers)
    if cfg.fpn_channels != backbone.out_channels:   # a narrower (cheaper) pyramid
        in_channels = [block[0].in_channels for block in backbone.fpn.inner_blocks]
        backbone.fpn = FeaturePyramidNetwork(in_channels, cfg.fpn_channels,
                                             extra_blocks=LastLevelMaxPool())
        backbone.out_channels = cfg.fpn_channels
    anchors = AnchorGenerator(sizes=tuple((int(s),) for s in cfg.anchor_sizes),
                              aspect_ratios=(tuple(float(a) for a in cfg.aspect_ratios),)
                              * len(cfg.anchor_sizes))
    roi_pool = MultiScaleRoIAlign(featmap_names=list(ROI_LEVELS), output_size=ROI_OUTPUT_SIZE,
                                  sampling_ratio=ROI_SAMPLING_RATIO)
    if cfg.stride_in_1x1:
        move_stride_to_1x1(backbone.body)
    box_head = TwoMLPHead(backbone.out_channels * ROI_OUTPUT_SIZE ** 2, cfg.representation_size)
    model = FasterRCNN(
        backbone, num_classes=None, min_size=cfg.min_size, max_size=cfg.max_size,
        image_mean=list(IMAGE_MEAN), image_std=list(IMAGE_STD),
        rpn_anchor_generator=anchors,
        rpn_pre_nms_top_n_train=cfg.rpn_pre_nms_top_n_train,
        rpn_pre_nms_top_n_test=cfg.rpn_pre_nms_top_n_test,
        rpn_post_nms_top_n_train=cfg.rpn_post_nms_top_n_train,
        rpn_post_nms_top_n_test=cfg.rpn_post_nms_top_n_test,
        rpn_batch_size_per_image=cfg.rpn_batch_size_per_image,
        box_roi_pool=roi_pool, box_head=box_head,
        box_predictor=FastRCNNPredictor(cfg.representation_size, cfg.num_classes),
        box_score_thresh=cfg.score_thresh, box_nms_thresh=cfg.nms_thresh,
        box_detections_per_img=cfg.detections_per_img,
        box_batch_size_per_image=cfg.box_batch_size_per_image,
    )
    if cfg.pixel_format == "caffe":
        model.transform = CaffeTransform(cfg.min_size, cfg.max_size, list(CAFFE_BGR_MEAN),
                                         [1.0, 1.0, 1.0])
    return model
