"""Faster R-CNN test-time selection of detections, keeping track of the proposals.

Every proposal gets one regressed box and one score per object class; a (proposal, class)
pair becomes a detection when its score passes ``score_thresh``, its box is not empty, it
survives non-maximum suppression among boxes of its class, and it is among the
``detections_per_img`` best of the frame. This is the selection torchvision's
``RoIHeads.postprocess_detections`` makes (the detector's tests check equality), done here so
that the proposal index of each detection, hence its pooled features, stays known: the
predicate head reuses those features and never re-runs this step (Action Genome paper §4.1).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import torch
from torchvision.ops import boxes as box_ops

#: Boxes narrower or lower than this (resized pixels) are dropped, as torchvision does.
MIN_BOX_SIZE = 1e-2


@dataclass
class Selection:
    """Detections of one frame in the resized frame's coordinates, best score first.

    boxes ``[K, 4]`` xyxy, scores ``[K]``, labels ``[K]`` model labels (1..C-1, background
    never), proposals ``[K]`` int64 index of the source proposal.
    """

    boxes: torch.Tensor
    scores: torch.Tensor
    labels: torch.Tensor
    proposals: torch.Tensor


def select_detections(class_probs: torch.Tensor, class_boxes: torch.Tensor,
                      image_size: Tuple[int, int], score_thresh: float, nms_thresh: float,
                      detections_per_img: int) -> Selection:
    """Pick one frame's detections among its scored proposals.

    class_probs: ``[N, C]`` softmax over the C outputs (column 0 = background).
    class_boxes: ``[N, C, 4]`` per-class regressed xyxy boxes in resized-frame pixels.
    image_size: ``(height, width)`` of the resized frame; boxes are clipped to it.
    """
    num_proposals, num_classes = class_probs.shape
    device = class_probs.device
    boxes = box_ops.clip_boxes_to_image(class_boxes, image_size)[:, 1:].reshape(-1, 4)
    scores = class_probs[:, 1:].reshape(-1)
    labels = torch.arange(1, num_classes, device=device).repeat(num_proposals)
    proposals = torch.arange(num_proposals, device=device).repeat_interleave(num_classes - 1)

    candidates = torch.where(scores > score_thresh)[0]
    candidates = candidates[box_ops.remove_small_boxes(boxes[candidates], MIN_BOX_SIZE)]
    kept = box_ops.batched_nms(boxes[candidates], scores[candidates], labels[candidates],
                               nms_thresh)[:detections_per_img]
    chosen = candidates[kept]
    return Selection(boxes=boxes[chosen], scores=scores[chosen], labels=labels[chosen],
                     proposals=proposals[chosen])
