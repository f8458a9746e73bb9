"""Scene-graph evaluation protocols: every knob that changes a published Recall@K number.

Two presets (docs/scene_graphs.md has the table of what each constraint keeps):

- ``ag``: the Action Genome paper's Table 5 (§5.3). Its "image" column pools the frames
  (mean of per-frame recalls, ``recall_frame_avg``); its "video" column averages per frame,
  then per video, then over videos (``recall_video_avg``). The paper does not publish an
  evaluator, so the remaining knobs are ours and documented: IoU without the +1 pixel,
  float32 triplet scores, ties kept in input order (pair order, then predicate index), a
  triplet scoring exactly 0 is not a prediction, no cap on the number of predictions.
- ``sttran``: STTran's ``BasicSceneGraphEvaluator`` (Cong et al., ICCV 2021), which most AG
  scene-graph papers since 2021 report with, quirks included: +1-pixel IoU, float64 triplet
  scores, its ``with`` (top-1 of each relationship group; a group scoring all zeros yields
  predicate 0 at score 0), its ``semi`` (attention top-1, spatial and contacting predicates
  scoring > 0.9, a group skipped when its first two scores are both 0), its ``no`` (top 100
  of all pair x 26 scores per frame), pooled over frames, and its tie order (NumPy's default
  argsort, reversed, on the same per-frame arrays).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np

#: Constraint names, by what each keeps of a person-object pair's 26 predicate scores.
CONSTRAINT_DOCS: Dict[str, str] = {
    "with": "one predicate per pair: the best of all 26",
    "with_per_group": "top-1 predicate of each relationship group (attention, spatial, "
                      "contacting): three per pair",
    "semi": "predicates whose score passes a threshold",
    "no": "every predicate, ranked",
}
CONSTRAINTS: Tuple[str, ...] = tuple(CONSTRAINT_DOCS)


@dataclass(frozen=True)
class FrameFilter:
    """Which annotated frames are scored (applied to the annotations, before scoring)."""

    split: Optional[str] = "test"          # metadata "set"; None: every frame
    require_visible_object: bool = True
    require_person_box: bool = True
    min_frames_per_video: int = 3          # after the frame criteria
    min_box_side: float = 0.0              # drop objects whose short box edge is smaller ...
    min_box_side_modes: Tuple[str, ...] = ()   # ... in these modes (before the frame criteria)


@dataclass(frozen=True)
class Protocol:
    name: str
    iou_plus_one: bool                 # box areas with +1 pixel (w = x2 - x1 + 1)
    score_dtype: str                   # "float32" | "float64" for triplet scores
    semantics: str                     # "ag" | "sttran": how constraints select predicates
    constraints: Tuple[str, ...]       # the constraints this protocol defines
    no_cap: Optional[int]              # predictions kept per frame under "no" (None: all)
    averaging: Tuple[str, ...]         # "frame" (pooled / "image") and/or "video"
    tie_order: str                     # "stable" | "numpy_default_reversed"
    drop_zero_scores: bool             # a triplet scoring 0 is not a prediction
    semi_threshold: float
    semi_strict: bool                  # score > threshold (else >=)
    frames: FrameFilter = FrameFilter()

    def replace(self, **changes) -> "Protocol":
        return dataclasses.replace(self, **changes)

    def check_constraint(self, constraint: str) -> None:
        if constraint in self.constraints:
            return
        hint = ""
        if self.name == "sttran" and constraint == "with":
            hint = (" (STTran's word 'with' keeps the top-1 predicate of each relationship "
                    "group: that is 'with_per_group' here)")
        raise ValueError(f"the {self.name!r} protocol has no {constraint!r} constraint{hint}; "
                         f"choose from {list(self.constraints)}")


PROTOCOLS: Dict[str, Protocol] = {
    "ag": Protocol(name="ag", iou_plus_one=False, score_dtype="float32", semantics="ag",
                   constraints=CONSTRAINTS, no_cap=None, averaging=("video", "frame"),
                   tie_order="stable", drop_zero_scores=True, semi_threshold=0.9,
                   semi_strict=False, frames=FrameFilter()),
    "sttran": Protocol(name="sttran", iou_plus_one=True, score_dtype="float64",
                       semantics="sttran", constraints=("with_per_group", "semi", "no"),
                       no_cap=100, averaging=("frame",), tie_order="numpy_default_reversed",
                       drop_zero_scores=False, semi_threshold=0.9, semi_strict=True,
                       frames=FrameFilter(min_box_side=16.0,
                                          min_box_side_modes=("sgcls", "sgdet"))),
}
DEFAULT_PROTOCOL = "ag"


def get_protocol(protocol: "str | Protocol") -> Protocol:
    if isinstance(protocol, Protocol):
        return protocol
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose from {sorted(PROTOCOLS)}")
    return PROTOCOLS[protocol]


def select_frames(frames: Iterable, flt: FrameFilter, mode: str,
                  has_person_boxes: bool = True) -> List:
    """The ``AGFrame`` s a protocol scores, small objects removed where it removes them.

    Order as STTran's loader: split, small boxes (its ``filtersmall`` annotation file, for
    SGCls/SGDet), frames with a visible object, frames with a person box, videos with at
    least ``min_frames_per_video`` such frames. Objects without a box are never dropped
    as small; ``require_person_box`` is skipped for graph-only data without person boxes.
    """
    out = []
    small = flt.min_box_side > 0 and mode in flt.min_box_side_modes
    for f in frames:
        if flt.split is not None and f.split != flt.split:
            continue
        if small:
            kept = [o for o in f.objects if o.box is None
                    or min(o.box[2] - o.box[0], o.box[3] - o.box[1]) >= flt.min_box_side]
            if len(kept) != len(f.objects):
                f = dataclasses.replace(f, objects=kept)
        if flt.require_visible_object and not f.visible_objects:
            continue
        if flt.require_person_box and has_person_boxes and f.person_box is None:
            continue
        out.append(f)
    per_video: Dict[str, int] = {}
    for f in out:
        per_video[f.video] = per_video.get(f.video, 0) + 1
    return [f for f in out if per_video[f.video] >= flt.min_frames_per_video]


def as_float(values: np.ndarray, protocol: Protocol) -> np.ndarray:
    return values.astype(np.float64 if protocol.score_dtype == "float64" else np.float32,
                         copy=False)
