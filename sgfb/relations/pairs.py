"""Person-object pairs of a batch of frames: the input of every predicate head.

In Action Genome the subject of every relationship triple is the frame's person (Action Genome
paper §3; attention and contacting point person -> object, spatial object -> person, but the
pair is always (person, object)). A batch of ``F`` frames with ``P`` pairs in all is held as
flat tensors plus the frame of each pair, like torchvision's detection heads hold boxes.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch

from sgfb.structures.scene_graph import SceneGraph
from sgfb.structures.vocab import NUM_RELATIONSHIPS


@dataclass
class RelationPairs:
    """``P`` person-object pairs of ``num_frames`` frames.

    subject_boxes: ``[P, 4]`` float xyxy pixels of the original frame (the person).
    object_boxes: ``[P, 4]`` float xyxy pixels of the original frame.
    object_labels: ``[P]`` long, object class (index into ``AG_OBJECTS``, 1..35 normally).
    frame_index: ``[P]`` long, frame of each pair in ``0..num_frames-1``.
    num_frames: number of frames of the batch (frames may have no pairs).
    frame_video: optional ``[num_frames]`` long, the video of each frame (equal ids = one
        video); None: every frame stands alone. Only temporal heads read it.
    frame_time: optional ``[num_frames]`` long, the frame number of each frame in its video
        (orders a video's frames); None: batch order.
    """

    subject_boxes: torch.Tensor
    object_boxes: torch.Tensor
    object_labels: torch.Tensor
    frame_index: torch.Tensor
    num_frames: int
    frame_video: Optional[torch.Tensor] = None
    frame_time: Optional[torch.Tensor] = None

    def __post_init__(self) -> None:
        p = self.object_labels.shape[0]
        shapes = (self.subject_boxes.shape, self.object_boxes.shape, self.frame_index.shape)
        if shapes != ((p, 4), (p, 4), (p,)):
            raise ValueError(f"inconsistent pair tensors: boxes {tuple(shapes[0])}, "
                             f"{tuple(shapes[1])}, frame index {tuple(shapes[2])}, {p} labels")
        if p and (int(self.frame_index.min()) < 0 or int(self.frame_index.max()) >= self.num_frames):
            raise ValueError(f"pair frame index outside 0..{self.num_frames - 1}")
        for name in ("frame_video", "frame_time"):
            value = getattr(self, name)
            if value is not None and tuple(value.shape) != (self.num_frames,):
                raise ValueError(f"{name} has shape {tuple(value.shape)}, expected "
                                 f"({self.num_frames},)")

    def __len__(self) -> int:
        return int(self.object_labels.shape[0])

    def to(self, device: torch.device | str) -> "RelationPairs":
        def move(t: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
            return None if t is None else t.to(device)
        return RelationPairs(self.subject_boxes.to(device), self.object_boxes.to(device),
                             self.object_labels.to(device), self.frame_index.to(device),
                             self.num_frames, move(self.frame_video), move(self.frame_time))

    def with_frame_keys(self, keys: Sequence[str]) -> "RelationPairs":
        """These pairs with ``frame_video``/``frame_time`` read from AG frame keys
        (``VIDEO.mp4/NNNNNN.png``; see :func:`frame_positions`)."""
        video, time = frame_positions(keys)
        device = self.frame_index.device
        return dataclasses.replace(self, frame_video=video.to(device), frame_time=time.to(device))

    def boxes_per_frame(self, boxes: torch.Tensor) -> Tuple[List[torch.Tensor], torch.Tensor]:
        """Split ``[P, 4]`` boxes by frame: (per-frame lists in frame order, ``[P]`` order).

        ``torch.cat(lists)[i]`` is the box of pair ``order[i]``.
        """
        order = torch.argsort(self.frame_index, stable=True)
        counts = torch.bincount(self.frame_index, minlength=self.num_frames).tolist()
        return list(torch.split(boxes[order], counts)), order

    @classmethod
    def cat_frames(cls, subject_boxes: Sequence[torch.Tensor], object_boxes: Sequence[torch.Tensor],
                   object_labels: Sequence[torch.Tensor]) -> "RelationPairs":
        """Pairs from per-frame lists (``[P_i, 4]``, ``[P_i, 4]``, ``[P_i]``) of ``F`` frames."""
        n = len(object_labels)
        frame = [torch.full((len(lab),), i, dtype=torch.long) for i, lab in enumerate(object_labels)]
        if n == 0:
            empty = torch.zeros(0, 4)
            return cls(empty, empty.clone(), torch.zeros(0, dtype=torch.long),
                       torch.zeros(0, dtype=torch.long), 0)
        return cls(
            subject_boxes=torch.cat([b.reshape(-1, 4).float() for b in subject_boxes]),
            object_boxes=torch.cat([b.reshape(-1, 4).float() for b in object_boxes]),
            object_labels=torch.cat([lab.reshape(-1).long() for lab in object_labels]),
            frame_index=torch.cat(frame).to(object_labels[0].device),
            num_frames=n,
        )


def frame_positions(keys: Sequence[str]) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(video [F], time [F])`` long tensors of AG frame keys ``VIDEO.mp4/NNNNNN.png``:
    frames of one video share an id (numbered in order of first appearance); the time is the
    frame number, or the key's position in ``keys`` when the name is not a number."""
    ids: dict = {}
    video, time = [], []
    for i, key in enumerate(keys):
        name, _, frame = str(key).partition("/")
        video.append(ids.setdefault(name, len(ids)))
        stem = frame.rsplit(".", 1)[0]
        time.append(int(stem) if stem.isdigit() else i)
    return torch.tensor(video, dtype=torch.long), torch.tensor(time, dtype=torch.long)


def graph_pairs(graph: SceneGraph) -> np.ndarray:
    """Indices of the graph's pairs whose person and object boxes are both known."""
    if graph.person is None or graph.boxes is None or graph.num_pairs == 0:
        return np.zeros(0, np.int64)
    known = np.isfinite(graph.boxes).all(1)
    return np.flatnonzero(known[graph.pair_objects] & known[graph.person])


def pairs_from_ground_truth(graphs: Sequence[SceneGraph]) -> Tuple[RelationPairs, torch.Tensor]:
    """Training pairs and targets from ground-truth graphs (one per frame).

    Pairs whose person or object box is unknown (NaN, or a graph without boxes) are skipped;
    a frame may end up with no pairs but still counts in ``num_frames``.

    Returns:
        pairs: :class:`RelationPairs` over ``len(graphs)`` frames.
        targets: ``[P, 26]`` float multi-hot (``relations >= 0.5`` of the kept pairs).
    """
    subj, obj, labels, targets = [], [], [], []
    for graph in graphs:
        keep = graph_pairs(graph)
        nodes = graph.pair_objects[keep]
        boxes = graph.boxes if graph.boxes is not None else np.zeros((graph.num_nodes, 4), np.float32)
        person = graph.person if graph.person is not None else 0
        subj.append(torch.as_tensor(np.repeat(boxes[person:person + 1], len(keep), 0).reshape(-1, 4)))
        obj.append(torch.as_tensor(boxes[nodes].reshape(-1, 4)))
        labels.append(torch.as_tensor(graph.labels[nodes]))
        targets.append(torch.as_tensor((graph.relations[keep] >= 0.5).astype(np.float32)))
    pairs = RelationPairs.cat_frames(subj, obj, labels)
    if graphs and all(g.frame_key for g in graphs):
        pairs = pairs.with_frame_keys([g.frame_key for g in graphs])
    target = torch.cat(targets) if targets else torch.zeros(0, NUM_RELATIONSHIPS)
    return pairs, target.reshape(-1, NUM_RELATIONSHIPS)
