"""Between the detector's class space and Action Genome's (Action Genome paper §3).

torchvision's Faster R-CNN reserves label 0 for background, so its label ``l`` is AG object
index ``l - 1`` (:data:`sgfb.structures.vocab.AG_OBJECTS`, person = 0). Everything the detection
package returns uses AG indices; only the wrapped torchvision model sees shifted labels.
"""
from __future__ import annotations

import torch

BACKGROUND = 0
#: torchvision label = AG index + LABEL_OFFSET.
LABEL_OFFSET = 1


def to_model_labels(ag_labels: torch.Tensor) -> torch.Tensor:
    """``[K]`` int64 AG indices (0..35) -> torchvision labels (1..36)."""
    return ag_labels.to(torch.int64) + LABEL_OFFSET


def to_ag_labels(model_labels: torch.Tensor) -> torch.Tensor:
    """``[K]`` torchvision labels (1..36, never background) -> AG indices (0..35)."""
    return model_labels - LABEL_OFFSET


def object_probabilities(class_logits: torch.Tensor) -> torch.Tensor:
    """``[N, 37]`` box-predictor logits -> ``[N, 36]`` probabilities over the AG classes.

    Softmax over all 37 outputs, background column dropped, rows renormalised to sum to 1:
    the class distribution *given* that the box holds an object, which is what SGCls asks for
    (the boxes are ground truth, only their labels are predicted). Equal to a softmax over the
    36 object logits alone.
    """
    return torch.softmax(class_logits[:, LABEL_OFFSET:], dim=-1)
