"""Box geometry of person-object pairs (RelDN's spatial module; Action Genome paper §4.1).

RelDN (Zhang et al., CVPR 2019, §3) scores predicates from the relative geometry of the
subject and object boxes besides their appearance. Spatial relationships of Action Genome
(``above``, ``beneath``, ``in_front_of``, ...) and several contacting ones (``sitting_on``,
``standing_on``, ``holding``) are largely geometric, so this 28-d feature feeds the head's
geometry branch.

All boxes are ``xyxy`` pixels of the original frame; image sizes are ``(width, height)``.
Widths and heights are floored at ``min_size`` pixels before any division or logarithm, so
zero-size and inverted boxes give finite features. Boxes must be finite (NaN boxes, i.e.
unknown ground truth, are filtered out before pairs are built).
"""
from __future__ import annotations

from typing import Tuple

import torch

GEOMETRY_DIM = 28


def union_boxes(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``[P, 4]`` smallest boxes holding ``a[p]`` and ``b[p]`` (both ``[P, 4]`` xyxy)."""
    return torch.cat([torch.minimum(a[:, :2], b[:, :2]), torch.maximum(a[:, 2:], b[:, 2:])], dim=1)


def _centres_sizes(boxes: torch.Tensor, min_size: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """Centres ``[P, 2]`` and floored sizes ``[P, 2]`` (width, height) of xyxy boxes."""
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    sizes = (boxes[:, 2:] - boxes[:, :2]).clamp(min=min_size)
    return centres, sizes


def box_deltas(source: torch.Tensor, target: torch.Tensor, min_size: float = 1.0) -> torch.Tensor:
    """``[P, 4]`` regression-style deltas from ``source`` to ``target`` boxes (``[P, 4]`` xyxy).

    ``(dx, dy, dw, dh) = ((cx_t - cx_s) / w_s, (cy_t - cy_s) / h_s, log(w_t / w_s),
    log(h_t / h_s))``, the box regression targets of Faster R-CNN (without weights).
    """
    cs, ss = _centres_sizes(source, min_size)
    ct, st = _centres_sizes(target, min_size)
    return torch.cat([(ct - cs) / ss, torch.log(st / ss)], dim=1)


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    """``[P]`` true areas of xyxy boxes (0 for empty or inverted boxes)."""
    wh = (boxes[:, 2:] - boxes[:, :2]).clamp(min=0)
    return wh[:, 0] * wh[:, 1]


def intersection_area(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``[P]`` area of ``a[p] ∩ b[p]``."""
    lt = torch.maximum(a[:, :2], b[:, :2])
    rb = torch.minimum(a[:, 2:], b[:, 2:])
    wh = (rb - lt).clamp(min=0)
    return wh[:, 0] * wh[:, 1]


def pair_geometry(subject_boxes: torch.Tensor, object_boxes: torch.Tensor,
                  image_sizes: torch.Tensor, min_size: float = 1.0) -> torch.Tensor:
    """The ``[P, 28]`` geometry feature of ``P`` (subject, object) box pairs.

    Args:
        subject_boxes: ``[P, 4]`` xyxy pixels (the person).
        object_boxes: ``[P, 4]`` xyxy pixels.
        image_sizes: ``[P, 2]`` ``(width W, height H)`` of each pair's frame, pixels.
        min_size: floor on widths and heights (pixels) that keeps degenerate boxes finite.

    Layout (``s`` subject, ``o`` object, ``u`` their union box, ``c`` centre,
    ``δ(a→b)`` = :func:`box_deltas` ``(dx, dy, log dw, log dh)``, ``A`` area):

    - 0-3: ``δ(s→o)``;  4-7: ``δ(s→u)``;  8-11: ``δ(o→u)``
    - 12-16: subject ``x1/W, y1/H, x2/W, y2/H, A_s/(W·H)``
    - 17-21: object ``x1/W, y1/H, x2/W, y2/H, A_o/(W·H)``
    - 22: IoU(s, o)
    - 23: ``A(s∩o) / A_s`` (share of the person box covered by the object)
    - 24: ``A(s∩o) / A_o`` (share of the object inside the person box)
    - 25: ``|c_o - c_s| / sqrt(W² + H²)`` (centre distance over the image diagonal)
    - 26: ``(cx_o - cx_s) / W``;  27: ``(cy_o - cy_s) / H`` (signed centre offsets; image
      y grows downwards, so 27 > 0 means the object is lower than the person)
    """
    if subject_boxes.shape != object_boxes.shape or subject_boxes.dim() != 2 or subject_boxes.shape[1] != 4:
        raise ValueError(f"expected two [P, 4] box tensors, got {tuple(subject_boxes.shape)} "
                         f"and {tuple(object_boxes.shape)}")
    if image_sizes.shape != (subject_boxes.shape[0], 2):
        raise ValueError(f"expected [P, 2] image sizes, got {tuple(image_sizes.shape)}")
    s = subject_boxes.float()
    o = object_boxes.float()
    wh = image_sizes.to(s).clamp(min=1.0)                   # [P, 2]
    u = union_boxes(s, o)
    deltas = [box_deltas(s, o, min_size), box_deltas(s, u, min_size), box_deltas(o, u, min_size)]

    image_area = wh[:, 0] * wh[:, 1]
    scale = wh.repeat(1, 2)                                  # [P, 4] W, H, W, H
    area_s, area_o = box_area(s), box_area(o)
    coords = [s / scale, (area_s / image_area)[:, None], o / scale, (area_o / image_area)[:, None]]

    inter = intersection_area(s, o)
    floor = min_size * min_size
    iou = inter / (area_s + area_o - inter).clamp(min=floor)
    cover_s = inter / area_s.clamp(min=floor)
    cover_o = inter / area_o.clamp(min=floor)
    offset = (o[:, :2] + o[:, 2:]) / 2 - (s[:, :2] + s[:, 2:]) / 2   # [P, 2]
    distance = offset.norm(dim=1) / wh.norm(dim=1)
    relative = offset / wh
    extra = torch.stack([iou, cover_s, cover_o, distance, relative[:, 0], relative[:, 1]], dim=1)
    return torch.cat(deltas + coords + [extra], dim=1)
