"""Dumped AG frames with their ground-truth scene graphs: the predicate head's training and
evaluation data (PredCls / SGCls take boxes and labels from these graphs)."""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch.utils.data import Dataset

from sgfb.data.action_genome import ActionGenome
from sgfb.detection.dataset import DetectionFrames
from sgfb.detection.photometric import ColorJitter
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
    """Items ``(image [3, H, W] float 0..1, ground-truth SceneGraph, frame key)``; flips and
    colour jitter as :class:`~sgfb.detection.dataset.DetectionFrames` (seeded per seed, epoch
    and index)."""

    def __init__(self, ag: ActionGenome, frames_dir: str, keys: Optional[Sequence[str]] = None,
                 flip_prob: float = 0.0, seed: int = 0,
                 color_jitter: ColorJitter = ColorJitter()) -> None:
        super().__init__(ag, frames_dir, keys, flip_prob, seed, color_jitter)

    def __getitem__(self, index: int) -> Item:  # type: ignore[override]
        return self.item(index, self.flips(index))

    def item(self, index: int, flip: bool, draw: Optional[int] = None) -> Item:
        """Item ``index``, mirrored when ``flip``, colour-jittered with item ``draw``'s draw
        (default its own)."""
        key = self.keys[index]
        image = self.image(index, draw)
        graph = self.ag.scene_graph(key)
        graph = dataclasses.replace(graph, image_size=(image.shape[-1], image.shape[-2]),
                                    frame_key=key)
        if flip:
            image = image.flip(-1)
            graph = flip_graph(graph, image.shape[-1])
        return image, graph, key


def video_clips(keys: Sequence[str], length: int) -> List[List[int]]:
    """Indices of ``keys`` cut into clips of ``length`` consecutive frames of one video (keys
    ``VIDEO.mp4/NNNNNN.png``; frames ordered by key within a video). The last clip of a video
    ends on its last frame and may overlap the one before, so every clip has ``length``
    frames (a DDP batch then holds the same number of frames on every process) except in
    videos with fewer frames, which give one shorter clip."""
    if length < 1:
        raise ValueError(f"clip length must be >= 1, got {length}")
    videos: Dict[str, List[int]] = {}
    for i, key in enumerate(keys):
        videos.setdefault(key.split("/")[0], []).append(i)
    clips = []
    for indices in videos.values():
        indices = sorted(indices, key=lambda i: keys[i])
        starts = list(range(0, max(len(indices) - length, 0) + 1, length))
        if starts[-1] + length < len(indices):
            starts.append(len(indices) - length)
        clips += [indices[s:s + length] for s in starts]
    return clips


class SceneGraphClips(Dataset):
    """Clips of consecutive annotated frames of one video, for temporal heads: item ``i`` is
    the list of :class:`SceneGraphFrames` items of clip ``i`` (:func:`video_clips`), all
    mirrored or none and all colour-jittered alike (one draw per clip, seeded per seed, epoch
    and clip)."""

    def __init__(self, frames: SceneGraphFrames, length: int) -> None:
        self.frames = frames
        self.clips = video_clips(frames.keys, length)

    def set_epoch(self, epoch: int) -> None:
        self.frames.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> List[Item]:
        flip = self.frames.flips(index)
        return [self.frames.item(i, flip, draw=index) for i in self.clips[index]]


def collate_graph_clips(batch: Sequence[List[Item]]) -> Tuple[List[torch.Tensor], List[SceneGraph], List[str]]:
    """Clips -> the (images, graphs, keys) lists of all their frames, clip after clip."""
    return collate_graph_frames([item for clip in batch for item in clip])


def collate_graph_frames(batch: Sequence[Item]) -> Tuple[List[torch.Tensor], List[SceneGraph], List[str]]:
    images, graphs, keys = zip(*batch) if batch else ((), (), ())
    return list(images), list(graphs), list(keys)


def has_relationships(graph: SceneGraph) -> bool:
    return bool(np.any(graph.relations >= 0.5))
