"""The stage-1 model as one checkpoint: detector + predicate head + the training statistics
of the frequency prior, with configs and vocabularies (DESIGN.md "Contracts"), so
``test_sg.py`` and ``infer.py`` need nothing else."""
from __future__ import annotations

import dataclasses
from typing import Any, Dict, Optional

import numpy as np
import torch

from sgfb.structures.vocab import AG_OBJECTS, AG_RELATIONSHIPS
from sgfb.detection.config import DetectorConfig
from sgfb.detection.build import build_detector
from sgfb.detection.detector import SGDetector
from sgfb.utils.checkpoint import load_checkpoint
from sgfb.utils.config import apply_mapping
from sgfb.utils.provenance import PROVENANCE_KEY
from sgfb.relations.head import RelationHeadConfig
from sgfb.relations.heads import HEAD_KINDS, build_relation_head
from sgfb.relations.predictor import SceneGraphPredictor

CHECKPOINT_FORMAT = "sgfb.scene_graph/1"
HEADS = HEAD_KINDS


def detector_channels(detector: SGDetector) -> int:
    return int(detector.model.backbone.out_channels)


def scene_graph_state(detector: SGDetector, detector_cfg: DetectorConfig,
                      head: Optional[torch.nn.Module], head_cfg: RelationHeadConfig,
                      counts: np.ndarray, pair_counts: np.ndarray,
                      config: Dict[str, Any],
                      provenance: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """``provenance``: :func:`sgfb.utils.provenance.training_record` (left out when None)."""
    state = {
        "format": CHECKPOINT_FORMAT,
        "detector": detector.state_dict(),
        "detector_config": detector_cfg.to_dict(),
        "relations": head.state_dict() if head is not None else None,
        "relations_config": dataclasses.asdict(head_cfg),
        "frequency_counts": torch.from_numpy(np.asarray(counts, np.float64)),
        "pair_counts": torch.from_numpy(np.asarray(pair_counts, np.float64)),
        "objects": list(AG_OBJECTS),
        "relationships": list(AG_RELATIONSHIPS),
        "preprocessing": {"input": "RGB [3, H, W] float in [0, 1], any size",
                          "resize": [detector_cfg.min_size, detector_cfg.max_size]},
        "config": config,
    }
    if provenance is not None:
        state[PROVENANCE_KEY] = provenance
    return state


def load_scene_graph_model(path: str, head: Optional[str] = None,
                           device: str | torch.device = "cpu") -> SceneGraphPredictor:
    """A :class:`SceneGraphPredictor` (eval mode) from a ``train_sg.py`` checkpoint.

    ``head``: None (or the checkpoint's ``relations.kind``) loads the trained head the
    checkpoint holds (``"reldn"`` for checkpoints written before heads were selectable);
    ``"frequency"`` swaps in the frequency prior built from the stored counts, whatever head
    was trained. ``predictor.head_kind`` names the head in use.
    """
    if head is not None and head not in HEADS:
        raise ValueError(f"unknown head {head!r}; choose from {HEADS}")
    state = load_checkpoint(path, map_location="cpu", format=CHECKPOINT_FORMAT)
    if list(state["objects"]) != list(AG_OBJECTS) or list(state["relationships"]) != list(AG_RELATIONSHIPS):
        raise ValueError(f"{path}: vocabularies differ from this version's AG vocabularies")
    detector_cfg = DetectorConfig.from_dict(dict(state["detector_config"], weights=""))
    detector = build_detector(detector_cfg)
    detector.load_state_dict(state["detector"])
    head_cfg = apply_mapping(RelationHeadConfig(), dict(state["relations_config"]))
    if "norm_first" not in state["relations_config"]:
        head_cfg.norm_first = False    # written before the option: post-norm STTran layers
    trained = head_cfg.kind
    if head is None:
        head = trained
    if head not in ("frequency", trained):
        raise ValueError(f"{path}: the checkpoint holds a {trained!r} head, not {head!r} (use "
                         f"--head {trained}, --head frequency, or train a {head!r} head)")
    head_cfg.kind = head
    counts, pair_counts = state["frequency_counts"].numpy(), state["pair_counts"].numpy()
    module = build_relation_head(head_cfg, detector_channels(detector), counts, pair_counts)
    if head != "frequency":
        if state["relations"] is None:
            raise ValueError(f"{path}: this checkpoint has no trained predicate head "
                             "(train the 'relations' stage, or use the frequency prior)")
        module.load_state_dict(state["relations"])
    predictor = SceneGraphPredictor(detector, module).to(device).eval()
    predictor.head_kind = head
    return predictor
