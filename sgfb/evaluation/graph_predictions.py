"""Score saved scene graphs against Action Genome annotations (``tools/eval_sg.py``).

No torch on this path: annotations go straight into a :class:`GraphTable` and the saved
graphs (one file for a whole test set, or a folder of per-video files) are read as one.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np

from sgfb.data.action_genome import ActionGenome
from sgfb.evaluation.sg_protocols import DEFAULT_PROTOCOL, Protocol, get_protocol, select_frames
from sgfb.evaluation.sg_recall import DEFAULT_KS, RecallResult, evaluate_tables
from sgfb.relations.names import MODES
from sgfb.structures.graph_file import load_graph_source, load_graph_table
from sgfb.structures.graph_table import GraphTable, offsets
from sgfb.structures.scene_graph import SceneGraph
from sgfb.structures.vocab import NUM_RELATIONSHIPS


def load_prediction_dir(path: str) -> Dict[str, SceneGraph]:
    """Every frame of a graph file or of the ``*.npz`` graph files of a folder."""
    return load_graph_source(path)


def truth_table(frames: Iterable) -> GraphTable:
    """Ground-truth graphs of ``AGFrame`` s (as ``AGFrame.scene_graph``: person node 0,
    visible objects after it, scores 1, unknown boxes NaN), without a SceneGraph per frame."""
    frames = list(frames)
    labels: List[int] = []
    boxes: List[np.ndarray] = []
    rel_rows: List[int] = []
    rel_cols: List[int] = []
    nodes, pairs, pair_objects, has_boxes = [], [], [], []
    nan = np.full(4, np.nan, np.float32)
    for f in frames:
        objs = f.visible_objects
        labels.append(0)
        boxes.append(f.person_box if f.person_box is not None else nan)
        for j, o in enumerate(objs):
            labels.append(o.label)
            boxes.append(o.box if o.box is not None else nan)
            row = len(pair_objects)
            pair_objects.append(j + 1)
            rel_rows.extend([row] * len(o.relations))
            rel_cols.extend(o.relations)
        nodes.append(len(objs) + 1)
        pairs.append(len(objs))
        has_boxes.append(f.person_box is not None or any(o.box is not None for o in objs))
    relations = np.zeros((len(pair_objects), NUM_RELATIONSHIPS), np.float32)
    relations[np.asarray(rel_rows, np.int64), np.asarray(rel_cols, np.int64)] = 1.0
    return GraphTable(
        keys=np.array([f.key for f in frames], dtype=np.str_),
        person=np.zeros(len(frames), np.int64),
        image_size=np.array([f.image_size or (-1, -1) for f in frames], np.int64).reshape(-1, 2),
        has_boxes=np.array(has_boxes, bool), node_offsets=offsets(nodes),
        labels=np.array(labels, np.int64), scores=np.ones(len(labels), np.float32),
        boxes=np.array(boxes, np.float32).reshape(-1, 4), pair_offsets=offsets(pairs),
        pair_objects=np.array(pair_objects, np.int64), relations=relations)


def protocol_frames(annotations: str, mode: str, protocol: "str | Protocol" = DEFAULT_PROTOCOL,
                    split: Optional[str] = "protocol", preset: Optional[str] = None) -> List:
    """The annotated frames ``protocol`` scores in ``mode``. ``split``: ``"protocol"`` (its
    own), ``"all"``, ``"train"`` or ``"test"``; ``preset="keep_all"`` scores every frame of
    the split (leaving the protocol's frame filter, small boxes included)."""
    proto = get_protocol(protocol)
    flt = proto.frames
    if split != "protocol":
        flt = dataclasses.replace(flt, split=None if split in (None, "all") else split)
    if preset == "keep_all":
        flt = dataclasses.replace(flt, require_visible_object=False, require_person_box=False,
                       min_frames_per_video=1, min_box_side=0.0)
    elif preset not in (None, "filtered"):
        raise ValueError(f"unknown filter preset {preset!r}; choose from filtered, keep_all")
    ag = ActionGenome.load(annotations, preset="keep_all")
    return select_frames(ag, flt, mode, has_person_boxes=ag.has_person_boxes)


def evaluate_graph_set(annotations: str, predictions: str, mode: str,
                       constraints: Sequence[str], ks: Sequence[int] = DEFAULT_KS,
                       threshold: Optional[float] = None, preset: Optional[str] = None,
                       split: Optional[str] = "protocol",
                       protocol: "str | Protocol" = DEFAULT_PROTOCOL) -> Dict[str, RecallResult]:
    """Recall@K of the graphs in ``predictions`` (a graph file or a folder of them) under
    each constraint, on the frames ``protocol`` scores, reading everything once. Boxes are
    compared (IoU >= 0.5) whenever the annotations have them; graph-only annotations are
    scored on classes and predicates alone, which SGDet cannot be. Each result carries
    ``timing`` (``load_s`` shared, ``evaluate_s`` its own)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose from {MODES}")
    proto = get_protocol(protocol)
    for constraint in constraints:
        proto.check_constraint(constraint)
    start = time.perf_counter()
    pred = load_graph_table(predictions)
    truth = truth_table(protocol_frames(annotations, mode, proto, split, preset))
    if not len(truth):
        raise ValueError(f"{annotations}: no annotated frame passes the {proto.name!r} "
                         f"protocol's filter (split {split!r}); see --split and --preset")
    has_boxes = bool(truth.has_boxes.any())
    if mode == "sgdet" and not has_boxes:
        raise ValueError(f"{annotations}: SGDet needs annotated boxes; these annotations have none")
    load_s = time.perf_counter() - start
    out: Dict[str, RecallResult] = {}
    for constraint in dict.fromkeys(constraints):
        t0 = time.perf_counter()
        result = evaluate_tables(truth, pred, constraint, ks, proto, threshold,
                                 use_boxes=has_boxes)
        result.timing = {"load_s": round(load_s, 4),
                         "evaluate_s": round(time.perf_counter() - t0, 4)}
        out[constraint] = result
    return out


def evaluate_graph_dir(annotations: str, predictions: str, mode: str, constraint: str,
                       ks: Sequence[int] = DEFAULT_KS, threshold: Optional[float] = None,
                       preset: Optional[str] = None, split: Optional[str] = "protocol",
                       protocol: "str | Protocol" = DEFAULT_PROTOCOL) -> RecallResult:
    """:func:`evaluate_graph_set` for one constraint."""
    return evaluate_graph_set(annotations, predictions, mode, [constraint], ks, threshold,
                              preset, split, protocol)[constraint]
