"""Training losses of the predicate heads (Action Genome paper §4.1; RelDN §4).

Action Genome gives each person-object pair one attention relationship and any number of
spatial and contacting ones (paper §3), so:

- attention: cross-entropy of the softmax over 3 classes against the annotated class (with
  several annotated, the target is their uniform distribution); pairs without an attention
  label are skipped;
- spatial, contacting: binary cross-entropy of each class's sigmoid, summed over the group's
  classes (6 and 17), so every class is its own binary decision whatever the group size.

Normalisation: a term is the mean over the batch's ``F`` frames of the per-frame mean over its
(counted) pairs; a frame with no counted pair adds 0 but still counts in ``F``. Every frame
weighs the same however many objects it has, and when each process of a DDP job holds ``F``
frames, the mean of the per-process losses equals the loss of the global batch.

Optional graphical contrastive term, RelDN's class-agnostic margin loss (Zhang et al., CVPR
2019, §4.1) adapted to Action Genome: RelDN contrasts, for each subject, its lowest-scoring
positive pair with its highest-scoring negative pair. An AG frame has one subject (the
person), so for each frame ``f`` and predicate ``r`` that has at least one positive and one
negative pair in ``f``::

    l(f, r) = max(0, margin - (min_{p ∈ pos(f, r)} s_r(p) - max_{q ∈ neg(f, r)} s_r(q)))

with ``s_r`` the probability of :meth:`RelationLogits.probabilities`. It is zero when every
positive pair beats every negative pair of its frame by ``margin``. Per frame, the mean over
its valid predicates; then the same mean over frames as above. Off by default (weight 0).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict

import torch
import torch.nn.functional as F

from sgfb.relations.logits import RelationLogits


@dataclass
class RelationLossConfig:
    contrastive_weight: float = 0.0
    contrastive_margin: float = 0.2


def frame_mean(values: torch.Tensor, counted: torch.Tensor, frame_of_pair: torch.Tensor,
               num_frames: int) -> torch.Tensor:
    """Mean over ``num_frames`` frames of the per-frame mean of ``values`` ``[P]`` over the
    pairs where ``counted`` ``[P]`` (bool) is set; frames without counted pairs add 0."""
    if num_frames <= 0:
        return values.sum() * 0
    weight = counted.to(values.dtype)
    zeros = values.new_zeros(num_frames)
    sums = zeros.index_add(0, frame_of_pair, torch.where(counted, values, torch.zeros_like(values)))
    counts = zeros.index_add(0, frame_of_pair, weight)
    return (sums / counts.clamp(min=1)).sum() / num_frames


def contrastive_margin_loss(probabilities: torch.Tensor, targets: torch.Tensor,
                            frame_of_pair: torch.Tensor, num_frames: int,
                            margin: float = 0.2) -> torch.Tensor:
    """The adapted RelDN class-agnostic margin loss (module docstring).

    probabilities: ``[P, R]`` scores in [0, 1]; targets: ``[P, R]`` multi-hot;
    frame_of_pair: ``[P]`` long; returns a scalar.
    """
    if num_frames <= 0 or probabilities.shape[0] == 0:
        return probabilities.sum() * 0
    positive = targets > 0.5
    index = frame_of_pair[:, None].expand_as(probabilities)
    inf = torch.finfo(probabilities.dtype).max
    lowest_pos = probabilities.new_full((num_frames, probabilities.shape[1]), inf).scatter_reduce(
        0, index, torch.where(positive, probabilities, torch.full_like(probabilities, inf)),
        reduce="amin", include_self=True)
    highest_neg = probabilities.new_full((num_frames, probabilities.shape[1]), -inf).scatter_reduce(
        0, index, torch.where(positive, torch.full_like(probabilities, -inf), probabilities),
        reduce="amax", include_self=True)
    n_pos = torch.zeros_like(lowest_pos).index_add(0, frame_of_pair, positive.to(lowest_pos.dtype))
    n_all = torch.zeros_like(lowest_pos).index_add(0, frame_of_pair, torch.ones_like(probabilities))
    valid = (n_pos > 0) & (n_all > n_pos)                           # [F, R]
    gap = torch.where(valid, lowest_pos, torch.zeros_like(lowest_pos)) - \
        torch.where(valid, highest_neg, torch.zeros_like(highest_neg))
    terms = torch.where(valid, F.relu(margin - gap), torch.zeros_like(gap))
    per_frame = terms.sum(1) / valid.sum(1).clamp(min=1)
    return per_frame.sum() / num_frames


def relation_loss(logits: RelationLogits, targets: torch.Tensor, frame_of_pair: torch.Tensor,
                  num_frames: int, contrastive_weight: float = 0.0,
                  contrastive_margin: float = 0.2) -> Dict[str, torch.Tensor]:
    """Loss terms of ``P`` pairs over ``num_frames`` frames.

    Args:
        logits: :class:`RelationLogits` of the pairs (``[P, 3]``, ``[P, 6]``, ``[P, 17]``).
        targets: ``[P, 26]`` multi-hot ground truth (vocabulary order).
        frame_of_pair: ``[P]`` long frame of each pair in ``0..num_frames-1``.
        num_frames: frames in the batch, those without pairs included.
        contrastive_weight: weight of the contrastive margin term (0: not computed).
        contrastive_margin: its margin on probabilities.

    Returns:
        ``{"attention", "spatial", "contacting"}`` scalars (weighted ``"contrastive"`` too when
        its weight is positive); their sum is the training loss.
    """
    flat = logits.flat()
    if targets.shape != flat.shape:
        raise ValueError(f"targets {tuple(targets.shape)} do not match logits {tuple(flat.shape)}")
    targets = targets.to(flat.dtype)
    frame_of_pair = frame_of_pair.long()
    n_attn = logits.attention.shape[1]
    n_spatial = logits.spatial.shape[1]
    t_attn = targets[:, :n_attn]
    t_spatial = targets[:, n_attn:n_attn + n_spatial]
    t_contact = targets[:, n_attn + n_spatial:]

    labelled = t_attn.sum(1) > 0
    attn = -(t_attn * F.log_softmax(logits.attention, dim=1)).sum(1) / t_attn.sum(1).clamp(min=1)
    spatial = F.binary_cross_entropy_with_logits(logits.spatial, t_spatial, reduction="none").sum(1)
    contact = F.binary_cross_entropy_with_logits(logits.contacting, t_contact, reduction="none").sum(1)
    every = torch.ones_like(labelled)
    out = {
        "attention": frame_mean(attn, labelled, frame_of_pair, num_frames),
        "spatial": frame_mean(spatial, every, frame_of_pair, num_frames),
        "contacting": frame_mean(contact, every, frame_of_pair, num_frames),
    }
    if contrastive_weight > 0:
        out["contrastive"] = contrastive_weight * contrastive_margin_loss(
            logits.probabilities(), targets, frame_of_pair, num_frames, contrastive_margin)
    return out
