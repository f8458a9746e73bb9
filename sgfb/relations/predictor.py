"""Stage 1: per-frame scene graphs from a detector and a predicate head (AG paper §4.1, §5.3).

The three evaluation modes of the Action Genome paper (§5.3, after Lu et al. 2016) differ in
where the nodes come from; the predicate head then scores every (person, object) pair:

- ``predcls``: ground-truth boxes and labels, object scores 1;
- ``sgcls``: ground-truth boxes; the detector classifies each box: the ground-truth person
  stays the subject, scored by its person probability, and every other box takes its best
  non-person class and that probability;
- ``sgdet``: detected boxes; the subject is the highest-scoring ``person`` detection and every
  non-person detection is an object (other person detections are dropped). A frame without a
  person detection gets its objects but no person and no pairs.

In ``predcls``/``sgcls`` the predicted graph's nodes are the ground-truth nodes whose box is
known (NaN boxes cannot be pooled); only the ground-truth pairs among them are scored.

The detector is duck-typed (``sgfb.detection.detector.SGDetector`` or a test double):
``features(images) -> ImageFeatures``, ``classify(features, boxes: List[[K_i, 4]]) ->
[ΣK_i, 36]`` class probabilities, ``detect(features) -> List[Detections]`` with ``boxes``
``[K, 4]`` original pixels, ``labels`` ``[K]``, ``scores`` ``[K]`` (and optionally ``keep``, a
``[K]`` bool mask of the detections to use). The head is any module called as
``head(features, pairs) -> RelationLogits`` (:mod:`sgfb.relations.heads`); the pairs carry
each frame's video and frame number (from ``frame_keys``) for temporal heads, which see the
neighbouring frames of the same batch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from torch import nn

from sgfb.structures.vocab import PERSON
from sgfb.relations.names import MODES
from sgfb.relations.pairs import RelationPairs, graph_pairs, pairs_from_ground_truth
from sgfb.structures.scene_graph import SceneGraph
from sgfb.structures.vocab import NUM_OBJECTS, NUM_RELATIONSHIPS


__all__ = ["MODES", "SceneGraphPredictor", "pairs_from_ground_truth"]


@dataclass
class _FrameNodes:
    """Nodes of one predicted frame before relation scoring (tensors on the model device).

    boxes ``[N, 4]`` original pixels, labels ``[N]``, scores ``[N]``, ``person`` node or None,
    pair_objects ``[P]`` node of each pair's object.
    """

    boxes: torch.Tensor
    labels: torch.Tensor
    scores: torch.Tensor
    person: Optional[int]
    pair_objects: torch.Tensor


def _ground_truth_nodes(graph: SceneGraph, device: torch.device) -> _FrameNodes:
    """PredCls nodes: the graph's nodes with known boxes and its pairs among them."""
    if graph.boxes is None:
        raise ValueError(f"{graph.frame_key or 'ground-truth graph'}: predcls/sgcls need "
                         "ground-truth boxes, the graph has none")
    known = np.flatnonzero(np.isfinite(graph.boxes).all(1))
    new_index = np.full(graph.num_nodes, -1, np.int64)
    new_index[known] = np.arange(known.size)
    person = None
    if graph.person is not None and new_index[graph.person] >= 0:
        person = int(new_index[graph.person])
    pair_objects = new_index[graph.pair_objects[graph_pairs(graph)]] if person is not None \
        else np.zeros(0, np.int64)
    return _FrameNodes(
        boxes=torch.as_tensor(graph.boxes[known], device=device),
        labels=torch.as_tensor(graph.labels[known], device=device),
        scores=torch.ones(known.size, device=device),
        person=person,
        pair_objects=torch.as_tensor(pair_objects, device=device),
    )


def _reclassify(nodes: _FrameNodes, probs: torch.Tensor) -> _FrameNodes:
    """SGCls nodes: the person keeps its label with its person probability; every other node
    takes its best non-person class. ``probs``: ``[N, 36]``."""
    score, label = probs[:, PERSON + 1:].max(1)   # PERSON == 0: the objects follow it
    label = label + PERSON + 1
    if nodes.person is not None:
        label[nodes.person] = PERSON
        score[nodes.person] = probs[nodes.person, PERSON]
    return _FrameNodes(nodes.boxes, label.long(), score.float(), nodes.person, nodes.pair_objects)


def _detected_nodes(detections: Any, device: torch.device) -> _FrameNodes:
    """SGDet nodes: best person detection first (node 0), then every non-person detection."""
    boxes = torch.as_tensor(detections.boxes, device=device).float().reshape(-1, 4)
    labels = torch.as_tensor(detections.labels, device=device).long().reshape(-1)
    scores = torch.as_tensor(detections.scores, device=device).float().reshape(-1)
    keep = getattr(detections, "keep", None)
    if keep is not None:
        keep = torch.as_tensor(keep, device=device)
        if keep.dtype == torch.bool and keep.shape == labels.shape:
            boxes, labels, scores = boxes[keep], labels[keep], scores[keep]
    objects = torch.nonzero(labels != PERSON).reshape(-1)
    persons = torch.nonzero(labels == PERSON).reshape(-1)
    if persons.numel() == 0:
        return _FrameNodes(boxes[objects], labels[objects], scores[objects], None,
                           torch.zeros(0, dtype=torch.long, device=device))
    nodes = torch.cat([persons[scores[persons].argmax()].reshape(1), objects])
    return _FrameNodes(boxes[nodes], labels[nodes], scores[nodes], 0,
                       torch.arange(1, nodes.numel(), device=device))


class SceneGraphPredictor(nn.Module):
    """Detector + predicate head -> one :class:`SceneGraph` per frame.

    Args:
        detector: the duck-typed detector (module docstring).
        head: :class:`~sgfb.relations.head.RelationHead` or
            :class:`~sgfb.relations.frequency.FrequencyPrior`.

    ``predict`` runs without gradients and leaves train/eval modes as they are.
    """

    def __init__(self, detector: Any, head: nn.Module) -> None:
        super().__init__()
        self.detector = detector
        self.head = head

    @torch.no_grad()
    def predict(self, images: Any, frame_keys: Sequence[str],
                ground_truth: Optional[Sequence[SceneGraph]] = None,
                mode: str = "predcls") -> List[SceneGraph]:
        """Scene graphs of a batch of frames.

        Args:
            images: what ``detector.features`` takes (e.g. a list of ``[3, H, W]`` tensors).
            frame_keys: ``VIDEO.mp4/NNNNNN.png`` of each frame.
            ground_truth: one graph per frame with boxes (required by predcls and sgcls).
            mode: ``"predcls"``, ``"sgcls"`` or ``"sgdet"``.

        Returns:
            One graph per frame: boxes in original pixels, ``relations`` ``[P, 26]`` the head's
            probabilities, ``image_size`` ``(width, height)``.
        """
        return self.predict_modes(images, frame_keys, ground_truth, (mode,))[mode]

    @torch.no_grad()
    def predict_modes(self, images: Any, frame_keys: Sequence[str],
                      ground_truth: Optional[Sequence[SceneGraph]] = None,
                      modes: Sequence[str] = MODES) -> Dict[str, List[SceneGraph]]:
        """:meth:`predict` in each of ``modes`` from one pass of the detector's backbone (the
        modes differ only in the nodes): ``{mode: graphs}``, equal to separate calls."""
        for mode in modes:
            if mode not in MODES:
                raise ValueError(f"unknown scene graph mode {mode!r}; choose from {MODES}")
            if mode != "sgdet" and ground_truth is None:
                raise ValueError(f"mode {mode!r} needs ground-truth graphs (boxes and labels)")
        features = self.detector.features(images)
        n = len(features)
        if len(frame_keys) != n or (ground_truth is not None and len(ground_truth) != n):
            raise ValueError(f"{n} frames but {len(frame_keys)} frame keys"
                             + (f" and {len(ground_truth)} ground-truth graphs" if ground_truth else ""))
        device = next(iter(features.maps.values())).device
        out: Dict[str, List[SceneGraph]] = {}
        for mode in modes:
            frames = self._nodes(features, ground_truth, mode, device)
            logits = self.head(features, self._pairs(frames).with_frame_keys(frame_keys))
            probs = logits.probabilities().float().cpu().numpy().reshape(-1, NUM_RELATIONSHIPS)
            out[mode] = self._graphs(frames, probs, features.original_sizes, frame_keys)
        return out

    def _nodes(self, features: Any, ground_truth: Optional[Sequence[SceneGraph]], mode: str,
               device: torch.device) -> List[_FrameNodes]:
        if mode == "sgdet":
            return [_detected_nodes(d, device) for d in self.detector.detect(features)]
        frames = [_ground_truth_nodes(g, device) for g in ground_truth]  # type: ignore[union-attr]
        if mode == "sgcls":
            sizes = [f.boxes.shape[0] for f in frames]
            if sum(sizes):
                probs = self.detector.classify(features, [f.boxes for f in frames])
            else:
                probs = torch.zeros(0, NUM_OBJECTS, device=device)
            frames = [_reclassify(f, p) for f, p in zip(frames, torch.split(probs, sizes))]
        return frames

    @staticmethod
    def _pairs(frames: List[_FrameNodes]) -> RelationPairs:
        subject, objects, labels = [], [], []
        for f in frames:
            p = f.pair_objects.numel()
            person = f.person if f.person is not None else 0
            subject.append(f.boxes[person:person + 1].expand(p, 4) if p else f.boxes.new_zeros(0, 4))
            objects.append(f.boxes[f.pair_objects])
            labels.append(f.labels[f.pair_objects])
        return RelationPairs.cat_frames(subject, objects, labels)

    @staticmethod
    def _graphs(frames: List[_FrameNodes], probs: np.ndarray, original_sizes: Sequence,
                frame_keys: Sequence[str]) -> List[SceneGraph]:
        graphs, start = [], 0
        for f, (h, w), key in zip(frames, original_sizes, frame_keys):
            p = f.pair_objects.numel()
            graphs.append(SceneGraph.from_predictions(
                boxes=f.boxes.float().cpu().numpy(), labels=f.labels.cpu().numpy(),
                scores=f.scores.float().cpu().numpy(), pair_objects=f.pair_objects.cpu().numpy(),
                relation_scores=probs[start:start + p], person=f.person,
                image_size=(int(w), int(h)), frame_key=key,
            ))
            start += p
        return graphs
