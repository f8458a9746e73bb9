"""Dumped AG frames with their ground-truth scene graphs: the predicate head's training and
evaluation data (PredCls / SGCls take boxes and labels from these graphs)."""
from __future__ import annotations

import dataclasses
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch

from sgfb.data.action_genome import ActionGenome
from sgfb.detection.dataset import DetectionFrames, read_frame
from sgfb.structures.scene_graph import SceneGraph

Item = Tuple[torch.Tensor, SceneGraph, str]


def flip_graph(graph: SceneGraph, width: int) -> SceneGraph:
    """The graph of the horizontally mirrored frame (AG's relationships are unchanged by a
    mirror: left/right never appears in the vocabulary)."""
    if graph.boxes is None:
        return graph
    boxes = graph.boxes.copy()
    boxes[:, [0, 2]] = width - graph.boxes[:, [2, 0]]
    return dataclasses.replace(graph, boxes=boxes)


class SceneGraphFrames(DetectionFrames):
    """Items ``(image [3, H, W] float 0..1, ground-truth SceneGraph, frame key)``; flips as
    :class:`~sgfb.detection.dataset.DetectionFrames` (seeded per seed, epoch and index)."""

    def __init__(self, ag: ActionGenome, frames_dir: str, keys: Optional[Sequence[str]] = None,
                 flip_prob: float = 0.0, seed: int = 0) -> None:
        super().__init__(ag, frames_dir, keys, flip_prob, seed)

    def __getitem__(self, index: int) -> Item:  # type: ignore[override]
        key = self.keys[index]
        image = read_frame(self.frames_dir, key)
        graph = self.ag.scene_graph(key)
        graph = dataclasses.replace(graph, image_size=(image.shape[-1], image.shape[-2]),
                                    frame_key=key)
        if self.flips(index):
            image = image.flip(-1)
            graph = flip_graph(graph, image.shape[-1])
        return image, graph, key


def collate_graph_frames(batch: Sequence[Item]) -> Tuple[List[torch.Tensor], List[SceneGraph], List[str]]:
    images, graphs, keys = zip(*batch) if batch else ((), (), ())
    return list(images), list(graphs), list(keys)


def has_relationships(graph: SceneGraph) -> bool:
    return bool(np.any(graph.relations >= 0.5))
