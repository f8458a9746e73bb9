"""The per-frame scene graph: the contract between stage 1 and everything after it.

Action Genome annotates, for every sampled frame, the objects a person interacts with and
the person's relationships to each of them (Action Genome paper §3). A :class:`SceneGraph`
holds one frame's graph, predicted or ground truth (ground truth = all scores 1.0):

- nodes ``0..N-1``: ``labels`` (indices into :data:`sgfb.structures.vocab.AG_OBJECTS`, person = 0),
  ``scores`` (``s_o`` in [0, 1]) and optionally ``boxes`` (``[N, 4]`` xyxy pixels; a row of NaN
  marks a node whose box is unknown, e.g. a frame without a person box);
- ``person``: the node index of the subject person, or ``None`` when the frame has none;
- person-object pairs ``0..P-1``: ``pair_objects[p]`` is the object node of pair ``p`` and
  ``relations[p]`` its 26 relationship scores ``s_r`` in the order of
  :data:`sgfb.structures.vocab.AG_RELATIONSHIPS` (attention 0-2, spatial 3-8, contacting 9-25).
  Attention and contacting point person -> object, spatial object -> person.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Sequence, Tuple

import numpy as np

from sgfb.structures.vocab import AG_OBJECTS, GROUP_SLICES, NUM_OBJECTS, NUM_RELATIONSHIPS, PERSON


def _as_numpy(x: Any, dtype: Any) -> np.ndarray:
    if hasattr(x, "detach"):  # torch.Tensor without importing torch here
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=dtype)


@dataclass(eq=False)
class SceneGraph:
    """One frame's person-object scene graph. See the module docstring for the layout."""

    labels: np.ndarray                       # int64 [N]
    scores: np.ndarray                       # float32 [N]
    person: Optional[int]                    # node index of the person, or None
    pair_objects: np.ndarray                 # int64 [P], object node of each pair
    relations: np.ndarray                    # float32 [P, 26]
    boxes: Optional[np.ndarray] = None       # float32 [N, 4] xyxy pixels, NaN = unknown
    image_size: Optional[Tuple[int, int]] = None  # (width, height) in pixels
    frame_key: Optional[str] = field(default=None)

    def __post_init__(self) -> None:
        self.labels = _as_numpy(self.labels, np.int64).reshape(-1)
        self.scores = _as_numpy(self.scores, np.float32).reshape(-1)
        self.pair_objects = _as_numpy(self.pair_objects, np.int64).reshape(-1)
        self.relations = _as_numpy(self.relations, np.float32).reshape(-1, NUM_RELATIONSHIPS)
        if self.boxes is not None:
            self.boxes = _as_numpy(self.boxes, np.float32).reshape(-1, 4)
        if self.person is not None:
            self.person = int(self.person)
        if self.image_size is not None:
            self.image_size = (int(self.image_size[0]), int(self.image_size[1]))
        self.validate()

    # ----------------------------------------------------------------- constructors
    @classmethod
    def empty(cls, frame_key: Optional[str] = None, with_boxes: bool = True,
              image_size: Optional[Tuple[int, int]] = None) -> "SceneGraph":
        """A frame with no nodes (nothing detected, no person)."""
        return cls(
            labels=np.zeros(0, np.int64), scores=np.zeros(0, np.float32), person=None,
            pair_objects=np.zeros(0, np.int64),
            relations=np.zeros((0, NUM_RELATIONSHIPS), np.float32),
            boxes=np.zeros((0, 4), np.float32) if with_boxes else None,
            image_size=image_size, frame_key=frame_key,
        )

    @classmethod
    def from_ground_truth(
        cls,
        object_labels: Sequence[int],
        object_relations: Sequence[Iterable[int]],
        object_boxes: Optional[Sequence[Optional[Sequence[float]]]] = None,
        person_box: Optional[Sequence[float]] = None,
        image_size: Optional[Tuple[int, int]] = None,
        frame_key: Optional[str] = None,
    ) -> "SceneGraph":
        """A ground-truth graph: the person is node 0, object ``i`` is node ``i + 1``.

        ``object_relations[i]`` lists the relationship indices (0..25) of object ``i``.
        Boxes are xyxy pixels; ``None`` for ``object_boxes`` means a graph without boxes,
        ``None`` for one box (or for ``person_box``) means that box is unknown (NaN row).
        All scores are 1.0 and every object is paired with the person.
        """
        if len(object_relations) != len(object_labels):
            raise ValueError(
                f"{frame_key or 'scene graph'}: {len(object_labels)} objects but "
                f"{len(object_relations)} relationship lists"
            )
        n = len(object_labels)
        labels = np.concatenate([[PERSON], np.asarray(object_labels, np.int64).reshape(-1)])
        relations = np.zeros((n, NUM_RELATIONSHIPS), np.float32)
        for i, rels in enumerate(object_relations):
            relations[i, list(rels)] = 1.0
        boxes = None
        if object_boxes is not None or person_box is not None:
            boxes = np.full((n + 1, 4), np.nan, np.float32)
            if person_box is not None:
                boxes[0] = person_box
            for i, box in enumerate(object_boxes if object_boxes is not None else []):
                if box is not None:
                    boxes[i + 1] = box
        return cls(
            labels=labels, scores=np.ones(n + 1, np.float32), person=0,
            pair_objects=np.arange(1, n + 1, dtype=np.int64), relations=relations,
            boxes=boxes, image_size=image_size, frame_key=frame_key,
        )

    @classmethod
    def from_predictions(
        cls,
        boxes: Any,
        labels: Any,
        scores: Any,
        pair_objects: Any,
        relation_scores: Any,
        person: Optional[int],
        image_size: Optional[Tuple[int, int]] = None,
        frame_key: Optional[str] = None,
    ) -> "SceneGraph":
        """A predicted graph from model outputs (numpy arrays or torch tensors).

        ``boxes`` ``[N, 4]`` xyxy pixels, ``labels`` ``[N]``, ``scores`` ``[N]``,
        ``pair_objects`` ``[P]`` object node per pair, ``relation_scores`` ``[P, 26]``,
        ``person`` the node of the subject (``None`` when no person was detected).
        """
        return cls(
            labels=labels, scores=scores, person=person, pair_objects=pair_objects,
            relations=relation_scores, boxes=boxes, image_size=image_size, frame_key=frame_key,
        )

    # ----------------------------------------------------------------- views
    @property
    def num_nodes(self) -> int:
        return int(self.labels.shape[0])

    @property
    def num_pairs(self) -> int:
        return int(self.pair_objects.shape[0])

    @property
    def has_boxes(self) -> bool:
        return self.boxes is not None

    @property
    def attention(self) -> np.ndarray:
        """``[P, 3]`` attention scores (person -> object)."""
        return self.relations[:, GROUP_SLICES["attention"]]

    @property
    def spatial(self) -> np.ndarray:
        """``[P, 6]`` spatial scores (object -> person)."""
        return self.relations[:, GROUP_SLICES["spatial"]]

    @property
    def contacting(self) -> np.ndarray:
        """``[P, 17]`` contacting scores (person -> object)."""
        return self.relations[:, GROUP_SLICES["contacting"]]

    @property
    def pair_labels(self) -> np.ndarray:
        """``[P]`` object class of each pair."""
        return self.labels[self.pair_objects]

    def triplets(self, threshold: float = 0.5):
        """``(subject class, relationship index, object class, score)`` of relationships
        scoring at least ``threshold``, in AG's direction per group (spatial is object ->
        person). A readable view for printing and drawing."""
        out = []
        for p in range(self.num_pairs):
            obj = int(self.pair_labels[p])
            for r in np.flatnonzero(self.relations[p] >= threshold):
                s = float(self.relations[p, r])
                if GROUP_SLICES["spatial"].start <= r < GROUP_SLICES["spatial"].stop:
                    out.append((obj, int(r), PERSON, s))
                else:
                    out.append((PERSON, int(r), obj, s))
        return out

    # ----------------------------------------------------------------- checks
    def validate(self) -> None:
        """Raise ``ValueError`` (naming the frame) when the arrays are inconsistent."""
        where = self.frame_key or "scene graph"
        n, p = self.labels.shape[0], self.pair_objects.shape[0]
        problems = []
        if self.scores.shape[0] != n:
            problems.append(f"{self.scores.shape[0]} scores for {n} nodes")
        if self.boxes is not None and self.boxes.shape[0] != n:
            problems.append(f"{self.boxes.shape[0]} boxes for {n} nodes")
        if self.relations.shape[0] != p:
            problems.append(f"{self.relations.shape[0]} relation rows for {p} pairs")
        if n and (self.labels.min() < 0 or self.labels.max() >= NUM_OBJECTS):
            problems.append(f"labels outside 0..{NUM_OBJECTS - 1}")
        if self.person is None:
            if p:
                problems.append("pairs without a person node")
        elif not 0 <= self.person < n:
            problems.append(f"person node {self.person} outside 0..{n - 1}")
        elif self.labels[self.person] != PERSON:
            problems.append(f"person node {self.person} has label {self.labels[self.person]}")
        if p and (self.pair_objects.min() < 0 or self.pair_objects.max() >= n):
            problems.append("pair object index outside the nodes")
        elif p and self.person is not None and np.any(self.pair_objects == self.person):
            problems.append("a pair joins the person to itself")
        if problems:
            raise ValueError(f"{where}: invalid SceneGraph: {'; '.join(problems)}")

    def __repr__(self) -> str:
        objs = ", ".join(AG_OBJECTS[i] for i in self.labels[self.pair_objects])
        return (f"SceneGraph({self.frame_key or ''} nodes={self.num_nodes} "
                f"person={self.person} pairs={self.num_pairs} [{objs}])")

    def equals(self, other: "SceneGraph", atol: float = 0.0) -> bool:
        """Exact (or ``atol``) equality of every field; NaN boxes compare equal."""
        def close(a: Optional[np.ndarray], b: Optional[np.ndarray]) -> bool:
            if a is None or b is None:
                return a is None and b is None
            return a.shape == b.shape and np.allclose(a, b, atol=atol, rtol=0, equal_nan=True)

        return (
            np.array_equal(self.labels, other.labels) and self.person == other.person
            and np.array_equal(self.pair_objects, other.pair_objects)
            and close(self.scores, other.scores) and close(self.relations, other.relations)
            and close(self.boxes, other.boxes) and self.image_size == other.image_size
            and self.frame_key == other.frame_key
        )
