"""One video's inference result, and its JSON file.

A :class:`VideoResult` is what the video -> predictions pipeline hands to the writers
(:func:`write_result_json`, :func:`sgfb.visualization.annotated_video.write_annotated_video`,
:func:`sgfb.visualization.report.write_report`). It depends only on
:class:`~sgfb.structures.SceneGraph` and the vocabularies, not on any model code.

Conventions (DESIGN.md "Contracts"): ``frame_index`` is the 0-based display index at the
native rate and ``time_s`` its presentation time (``frame_index / fps`` on constant-rate
video, the container's timestamps on variable-rate video); boxes are xyxy pixels of the image the graph
was predicted on (``SceneGraph.image_size``, ``(width, height)``).

JSON layout (schema: :data:`sgfb.inference.schema.RESULT_SCHEMA`). Each sampled frame's graph
is written as

- ``nodes``: ``{id, label, name, score, box}`` (``box`` xyxy or ``null`` when unknown),
- ``pairs``: the object node of each person-object pair, in pair order,
- ``relationships``: ``{pair, subject, object, predicate, name, group, score}`` for every
  pair and predicate with ``score >= relationship_threshold`` (stored at the top level;
  0 lists every score). Attention and contacting point person -> object, spatial
  object -> person, so ``subject``/``object`` are node ids in that direction.

The optional ``provenance`` object names the checkpoints (path, sha256 prefix, training
data kind and size, date, config), the class list, the software versions and the decoding
backend (:mod:`sgfb.utils.provenance`), and carries warnings such as a synthetic-world model run
on real footage.

Reading a file back gives relationship scores below the threshold as 0. Scores are written
as the shortest decimal that reads back to the same float32, so a result whose scores are
0 or >= the threshold round-trips exactly (``from_json_dict(r.to_json_dict()).equals(r)``),
and ``to_json_dict(from_json_dict(d)) == d`` for any valid file.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from sgfb.utils.atomic_io import atomic_write
from sgfb.structures.vocab import AG_OBJECTS, AG_RELATIONSHIPS, relationship_group
from sgfb.inference.schema import RESULT_FORMAT, RESULT_VERSION, validate_result
from sgfb.structures.scene_graph import SceneGraph
from sgfb.structures.vocab import NUM_RELATIONSHIPS

DEFAULT_RELATIONSHIP_THRESHOLD = 0.05


def _f32(value: Any) -> float:
    """The shortest decimal that reads back to the same float32 (``0.9``, not
    ``0.8999999761581421``)."""
    return float(str(np.float32(value)))


# ----------------------------------------------------------------------------- parts
@dataclass(eq=False)
class FramePrediction:
    """The scene graph predicted on one sampled frame.

    ``frame_index``: 0-based display index; ``time_s``: its presentation time in seconds
    (frame 0 at 0; ``frame_index / fps`` on constant-rate video).
    """

    frame_index: int
    time_s: float
    graph: SceneGraph

    def equals(self, other: "FramePrediction") -> bool:
        return (self.frame_index == other.frame_index and self.time_s == other.time_s
                and self.graph.equals(other.graph))


@dataclass(frozen=True)
class RankedAction:
    """A video-level action class with its score (a probability for sigmoid heads)."""

    class_index: int
    name: str
    score: float


@dataclass(eq=False)
class ActionTimeline:
    """Scores of the top ``K`` actions over time.

    ``times_s`` float64 ``[T]`` (e.g. one per second), ``class_indices`` int64 ``[K]``,
    ``scores`` float32 ``[T, K]`` (``scores[t, k]``: class ``class_indices[k]`` at
    ``times_s[t]``).
    """

    times_s: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    class_indices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    scores: Optional[np.ndarray] = None

    def __post_init__(self) -> None:
        self.times_s = np.asarray(self.times_s, np.float64).reshape(-1)
        self.class_indices = np.asarray(self.class_indices, np.int64).reshape(-1)
        t, k = len(self.times_s), len(self.class_indices)
        scores = np.zeros((t, k), np.float32) if self.scores is None \
            else np.asarray(self.scores, np.float32)
        if scores.size == 0 and t * k == 0:
            scores = scores.reshape(t, k)  # e.g. [] read back from JSON for T = 0
        self.scores = scores
        if self.scores.shape != (t, k):
            raise ValueError(f"ActionTimeline: scores of shape {self.scores.shape}, expected "
                             f"[T={t}, K={k}] (times_s x class_indices)")

    @property
    def empty(self) -> bool:
        return self.scores.size == 0

    def equals(self, other: "ActionTimeline") -> bool:
        return (np.array_equal(self.times_s, other.times_s)
                and np.array_equal(self.class_indices, other.class_indices)
                and np.array_equal(self.scores, other.scores))


# ----------------------------------------------------------------------------- graph <-> JSON
def graph_to_json(frame: FramePrediction, threshold: float) -> Dict[str, Any]:
    """One sampled frame as the JSON object described in the module docstring."""
    g = frame.graph
    nodes = []
    for i in range(g.num_nodes):
        box = None
        if g.boxes is not None and np.all(np.isfinite(g.boxes[i])):
            box = [_f32(v) for v in g.boxes[i]]
        label = int(g.labels[i])
        nodes.append({"id": i, "label": label, "name": AG_OBJECTS[label],
                      "score": _f32(g.scores[i]), "box": box})
    relationships = []
    for p in range(g.num_pairs):
        obj = int(g.pair_objects[p])
        for r in np.flatnonzero(g.relations[p] >= threshold):
            r = int(r)
            group = relationship_group(r)
            subject, target = (obj, g.person) if group == "spatial" else (g.person, obj)
            relationships.append({
                "pair": p, "subject": subject, "object": target, "predicate": r,
                "name": AG_RELATIONSHIPS[r], "group": group, "score": _f32(g.relations[p, r]),
            })
    return {
        "frame_index": int(frame.frame_index),
        "time_s": float(frame.time_s),
        "frame_key": g.frame_key,
        "image_size": list(g.image_size) if g.image_size is not None else None,
        "has_boxes": g.boxes is not None,
        "person": g.person,
        "nodes": nodes,
        "pairs": [int(o) for o in g.pair_objects],
        "relationships": relationships,
    }


def graph_from_json(obj: Dict[str, Any]) -> FramePrediction:
    """Inverse of :func:`graph_to_json` (relationships not listed read as 0)."""
    nodes = obj["nodes"]
    n, pairs = len(nodes), obj["pairs"]
    relations = np.zeros((len(pairs), NUM_RELATIONSHIPS), np.float32)
    for rel in obj["relationships"]:
        relations[rel["pair"], rel["predicate"]] = rel["score"]
    boxes = None
    if obj["has_boxes"]:
        boxes = np.full((n, 4), np.nan, np.float32)
        for i, node in enumerate(nodes):
            if node["box"] is not None:
                boxes[i] = node["box"]
    size = obj["image_size"]
    graph = SceneGraph(
        labels=np.array([node["label"] for node in nodes], np.int64),
        scores=np.array([node["score"] for node in nodes], np.float32),
        person=obj["person"], pair_objects=np.array(pairs, np.int64), relations=relations,
        boxes=boxes, image_size=tuple(size) if size is not None else None,
        frame_key=obj["frame_key"])
    return FramePrediction(int(obj["frame_index"]), float(obj["time_s"]), graph)


# ----------------------------------------------------------------------------- the result
@dataclass(eq=False)
class VideoResult:
    """Everything predicted for one video (see the module docstring for conventions).

    ``actions`` are ranked by descending score (the constructor sorts them, stably);
    ``class_names`` are the action vocabulary (e.g. Charades' 157 classes), and
    ``object_names`` / ``relationship_names`` the graph vocabularies (Action Genome's by
    default). ``errors`` lists what went wrong; a video that failed entirely has errors and
    no frames (see :meth:`failed`).
    """

    video_id: str
    path: str
    duration_s: float
    fps: float
    num_frames: int
    sampled_frames: List[FramePrediction] = field(default_factory=list)
    actions: List[RankedAction] = field(default_factory=list)
    timeline: ActionTimeline = field(default_factory=ActionTimeline)
    class_names: List[str] = field(default_factory=list)
    object_names: List[str] = field(default_factory=lambda: list(AG_OBJECTS))
    relationship_names: List[str] = field(default_factory=lambda: list(AG_RELATIONSHIPS))
    errors: List[str] = field(default_factory=list)
    relationship_threshold: float = DEFAULT_RELATIONSHIP_THRESHOLD
    provenance: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.actions = sorted(self.actions, key=lambda a: -a.score)
        self.sampled_frames = sorted(self.sampled_frames, key=lambda f: f.frame_index)
        if self.timeline is None:
            self.timeline = ActionTimeline()

    @classmethod
    def failed(cls, video_id: str, path: str, error: str, **known: Any) -> "VideoResult":
        """A video that could not be processed: no frames, no actions, one error.
        ``known`` fills fields that are known anyway (``fps``, ``num_frames``, ...)."""
        fields = dict(duration_s=0.0, fps=0.0, num_frames=0)
        fields.update(known)
        return cls(video_id=video_id, path=path, errors=[error], **fields)

    @property
    def ok(self) -> bool:
        return not self.errors

    def frame_time(self, frame_index: int) -> float:
        """Seconds at which display frame ``frame_index`` is shown: ``index / fps``."""
        return frame_index / self.fps if self.fps > 0 else 0.0

    # ------------------------------------------------------------------ JSON
    def to_json_dict(self) -> Dict[str, Any]:
        """A JSON-ready dict (plain Python types) following ``RESULT_SCHEMA``."""
        tl = self.timeline
        out = {
            "format": RESULT_FORMAT,
            "version": RESULT_VERSION,
            "video_id": str(self.video_id),
            "path": str(self.path),
            "duration_s": float(self.duration_s),
            "fps": float(self.fps),
            "num_frames": int(self.num_frames),
            "relationship_threshold": float(self.relationship_threshold),
            "class_names": [str(n) for n in self.class_names],
            "object_names": [str(n) for n in self.object_names],
            "relationship_names": [str(n) for n in self.relationship_names],
            "actions": [{"class_index": int(a.class_index), "name": str(a.name),
                         "score": float(a.score)} for a in self.actions],
            "timeline": {
                "times_s": [float(t) for t in tl.times_s],
                "class_indices": [int(c) for c in tl.class_indices],
                "scores": [[_f32(v) for v in row] for row in tl.scores],
            },
            "sampled_frames": [graph_to_json(f, self.relationship_threshold)
                               for f in self.sampled_frames],
            "errors": [str(e) for e in self.errors],
        }
        if self.provenance:   # optional: files written before it existed stay valid
            out["provenance"] = json.loads(json.dumps(self.provenance))
        return out

    @classmethod
    def from_json_dict(cls, obj: Dict[str, Any], validate: bool = True) -> "VideoResult":
        """Rebuild a result from :meth:`to_json_dict` output (e.g. a parsed file).
        Raises ``ValueError`` listing the problems when ``obj`` is not a valid result."""
        if validate:
            errors = validate_result(obj)
            if errors:
                name = obj.get("video_id", "?") if isinstance(obj, dict) else "?"
                shown = "; ".join(errors[:10]) + (" ..." if len(errors) > 10 else "")
                raise ValueError(f"invalid video result for {name!r}: {shown}")
        tl = obj["timeline"]
        timeline = ActionTimeline(
            times_s=np.array(tl["times_s"], np.float64),
            class_indices=np.array(tl["class_indices"], np.int64),
            scores=np.array(tl["scores"], np.float32).reshape(
                len(tl["times_s"]), len(tl["class_indices"])))
        return cls(
            video_id=obj["video_id"], path=obj["path"], duration_s=float(obj["duration_s"]),
            fps=float(obj["fps"]), num_frames=int(obj["num_frames"]),
            sampled_frames=[graph_from_json(f) for f in obj["sampled_frames"]],
            actions=[RankedAction(int(a["class_index"]), a["name"], float(a["score"]))
                     for a in obj["actions"]],
            timeline=timeline, class_names=list(obj["class_names"]),
            object_names=list(obj["object_names"]),
            relationship_names=list(obj["relationship_names"]), errors=list(obj["errors"]),
            relationship_threshold=float(obj["relationship_threshold"]),
            provenance=dict(obj.get("provenance", {})))

    def equals(self, other: "VideoResult") -> bool:
        """Field-by-field equality (graphs exactly, NaN boxes equal)."""
        return (
            self.video_id == other.video_id and self.path == other.path
            and self.duration_s == other.duration_s and self.fps == other.fps
            and self.num_frames == other.num_frames
            and len(self.sampled_frames) == len(other.sampled_frames)
            and all(a.equals(b) for a, b in zip(self.sampled_frames, other.sampled_frames))
            and self.actions == other.actions and self.timeline.equals(other.timeline)
            and self.class_names == other.class_names
            and self.object_names == other.object_names
            and self.relationship_names == other.relationship_names
            and self.errors == other.errors
            and self.relationship_threshold == other.relationship_threshold
            and self.provenance == other.provenance)


# ----------------------------------------------------------------------------- files
def write_result_json(path: str, result: VideoResult, indent: Optional[int] = 1) -> str:
    """Validate ``result`` and write it to ``path`` as JSON, atomically; returns ``path``.

    Raises ``ValueError`` (naming the video and the problems) instead of writing an invalid
    file, e.g. one with NaN scores.
    """
    obj = result.to_json_dict()
    errors = validate_result(obj)
    if errors:
        shown = "; ".join(errors[:10]) + (" ..." if len(errors) > 10 else "")
        raise ValueError(f"{path}: refusing to write an invalid result for video "
                         f"{result.video_id!r}: {shown}")
    path = os.fspath(path)
    with atomic_write(path, "w") as f:
        json.dump(obj, f, indent=indent, allow_nan=False, ensure_ascii=False)
        f.write("\n")
    return path


def read_result_json(path: str) -> VideoResult:
    """Read and validate a file written by :func:`write_result_json`."""
    path = os.fspath(path)
    with open(path, encoding="utf-8") as f:
        try:
            obj = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not valid JSON: {err}") from err
    try:
        return VideoResult.from_json_dict(obj)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from err


def top_actions(scores: Sequence[float], class_names: Sequence[str],
                k: Optional[int] = None) -> List[RankedAction]:
    """The ``k`` best classes of a ``[C]`` score vector, ranked (ties by class index)."""
    values = np.asarray(scores, np.float64).reshape(-1)
    order = np.argsort(-values, kind="stable")[:k]
    return [RankedAction(int(c), str(class_names[c]) if c < len(class_names) else str(c),
                         float(values[c])) for c in order if not math.isnan(values[c])]
