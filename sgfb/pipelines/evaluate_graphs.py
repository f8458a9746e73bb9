"""Score saved scene graphs against Action Genome annotations (``tools/eval_sg.py``)."""
from __future__ import annotations

import glob
import os
from typing import Dict, Optional, Sequence

from sgfb.data.action_genome import ActionGenome
from sgfb.evaluation.sg_recall import DEFAULT_KS, RecallResult, evaluate_recall
from sgfb.structures.graph_file import load_graphs
from sgfb.structures.scene_graph import SceneGraph

MODES = ("predcls", "sgcls", "sgdet")


def load_prediction_dir(directory: str) -> Dict[str, SceneGraph]:
    """Every frame of the ``*.npz`` graph files in ``directory`` (one file per video)."""
    paths = sorted(glob.glob(os.path.join(directory, "*.npz")))
    if not paths:
        raise FileNotFoundError(f"{directory}: no scene-graph files (*.npz) here")
    graphs: Dict[str, SceneGraph] = {}
    for path in paths:
        graphs.update(load_graphs(path))
    return graphs


def evaluate_graph_dir(annotations: str, predictions: str, mode: str, constraint: str,
                       ks: Sequence[int] = DEFAULT_KS, threshold: float = 0.9,
                       preset: str = "filtered", split: Optional[str] = None) -> RecallResult:
    """Recall@K of the graphs in ``predictions`` on the frames of ``annotations``.

    Boxes are compared (IoU >= 0.5) whenever the annotations have them; graph-only
    annotations are scored on classes and predicates alone, which SGDet cannot be.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose from {MODES}")
    ag = ActionGenome.load(annotations, preset=preset, split=split)
    truth = {f.key: f.scene_graph() for f in ag}
    has_boxes = any(g.has_boxes for g in truth.values())
    if mode == "sgdet" and not has_boxes:
        raise ValueError(f"{annotations}: SGDet needs annotated boxes; these annotations have none")
    return evaluate_recall(truth, load_prediction_dir(predictions), constraint, ks, threshold,
                           use_boxes=has_boxes)
