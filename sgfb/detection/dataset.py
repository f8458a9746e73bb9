"""Annotated Action Genome frames as detector training data (Action Genome paper §3, §4.1).

Frames are the PNG files :mod:`sgfb.data.frame_dump` writes (``FRAMES/VIDEO.mp4/NNNNNN.png``,
i.e. ``FRAMES/<frame key>``). Targets: the visible objects' boxes with their AG indices plus
the person box (label 0, from ``person_bbox.pkl``). Objects without a box (invisible, or
graph-only data) are left out; boxes are clipped to the frame and those left empty are
dropped (torchvision rejects boxes without area). A frame with no box at all is still an item,
with ``[0, 4]`` boxes: it teaches the detector what background looks like.

Horizontal flips and the optional colour jitter (:mod:`sgfb.detection.photometric`) are drawn
from generators seeded by ``(seed, epoch, index)``, never from global random state, so an
interrupted run resumed at an epoch sees the same augmented frames.
"""
from __future__ import annotations

import os
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from sgfb.data.action_genome import ActionGenome, AGFrame
from sgfb.detection.photometric import ColorJitter
from sgfb.structures.vocab import PERSON

Target = Dict[str, torch.Tensor]
Item = Tuple[torch.Tensor, Target, str]


def frame_targets(frame: AGFrame, width: int, height: int) -> Target:
    """Boxes and AG labels of one frame: ``boxes`` ``[K, 4]`` float32 xyxy pixels clipped to
    the ``width`` x ``height`` frame, ``labels`` ``[K]`` int64. The person comes first when it
    has a box; invisible or box-less objects and empty boxes are skipped."""
    boxes: List[np.ndarray] = []
    labels: List[int] = []
    if frame.person_box is not None:
        boxes.append(frame.person_box)
        labels.append(PERSON)
    for obj in frame.objects:
        if obj.visible and obj.box is not None:
            boxes.append(obj.box)
            labels.append(obj.label)
    if not boxes:
        return {"boxes": torch.zeros((0, 4), dtype=torch.float32),
                "labels": torch.zeros(0, dtype=torch.int64)}
    array = np.stack(boxes).astype(np.float32)
    array[:, 0::2] = np.clip(array[:, 0::2], 0.0, float(width))
    array[:, 1::2] = np.clip(array[:, 1::2], 0.0, float(height))
    keep = np.all(np.isfinite(array), axis=1) & (array[:, 2] > array[:, 0]) \
        & (array[:, 3] > array[:, 1])
    return {"boxes": torch.from_numpy(array[keep]),
            "labels": torch.as_tensor(np.asarray(labels, np.int64)[keep])}


def flip_horizontally(image: torch.Tensor,
                      boxes: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Mirror ``[3, H, W]`` image and its ``[K, 4]`` xyxy boxes left-right."""
    width = image.shape[-1]
    flipped = boxes.clone()
    flipped[:, 0] = width - boxes[:, 2]
    flipped[:, 2] = width - boxes[:, 0]
    return image.flip(-1), flipped


def rgb_tensor(rgb: np.ndarray) -> torch.Tensor:
    """``[H, W, 3]`` uint8 RGB -> ``[3, H, W]`` float32 in 0..1."""
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float().div_(255.0)


def read_frame_rgb(frames_dir: str, key: str) -> np.ndarray:
    """``frames_dir/key`` as ``[H, W, 3]`` uint8 RGB; errors name key and file."""
    path = os.path.join(frames_dir, key)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"frame {key}: image file {path} not found (dump the frames "
                                "with tools/dump_frames.py)")
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise OSError(f"frame {key}: cannot read image file {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


class DetectionFrames(Dataset):
    """Dumped AG frames with their detection targets.

    Args:
        ag: the annotations.
        frames_dir: root of the dumped frames (``frames_dir/<frame key>``).
        keys: frame keys to serve, in order (``None``: every frame of ``ag``).
        flip_prob: probability of a horizontal flip per item (0 disables augmentation).
        seed: seed of the flips; with :meth:`set_epoch` and the item index it fixes them.
        color_jitter: photometric augmentation of every item (default: none), drawn like the
            flips from ``(seed, epoch, index)``.

    Items: ``(image [3, H, W] float 0..1, {"boxes": [K, 4] xyxy pixels, "labels": [K] AG
    indices}, frame key)``.
    """

    def __init__(self, ag: ActionGenome, frames_dir: str, keys: Optional[Sequence[str]] = None,
                 flip_prob: float = 0.0, seed: int = 0,
                 color_jitter: ColorJitter = ColorJitter()) -> None:
        if not 0.0 <= flip_prob <= 1.0:
            raise ValueError(f"flip_prob={flip_prob} must be in [0, 1]")
        if seed < 0:
            raise ValueError(f"seed={seed} must be >= 0")
        self.ag = ag
        self.frames_dir = os.fspath(frames_dir)
        self.keys: List[str] = list(ag.frames) if keys is None else list(keys)
        missing = [k for k in self.keys if k not in ag.frames]
        if missing:
            raise KeyError(f"{len(missing)} frame keys are not in {ag.source}, e.g. {missing[0]!r}")
        self.flip_prob = float(flip_prob)
        self.seed = int(seed)
        self.color_jitter = color_jitter
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the flips of ``epoch`` (call before each epoch, as with DistributedSampler)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.keys)

    def flips(self, index: int) -> bool:
        """Whether item ``index`` is flipped this epoch (a pure function of seed, epoch, index)."""
        if self.flip_prob == 0.0:
            return False
        rng = np.random.default_rng([self.seed, self.epoch, int(index)])
        return bool(rng.random() < self.flip_prob)

    def image(self, index: int, draw: Optional[int] = None) -> torch.Tensor:
        """Item ``index``'s frame, ``[3, H, W]`` float 0..1, colour-jittered when configured
        with the draw of item ``draw`` (default ``index``; a clip's frames share their clip's
        draw). The jitter has a generator of its own, so the flips are those of a run
        without jitter."""
        rgb = read_frame_rgb(self.frames_dir, self.keys[index])
        if self.color_jitter.active:
            seed = [self.seed, self.epoch, int(index if draw is None else draw), 1]
            rgb = self.color_jitter(rgb, np.random.default_rng(seed))
        return rgb_tensor(rgb)

    def __getitem__(self, index: int) -> Item:
        key = self.keys[index]
        image = self.image(index)
        target = frame_targets(self.ag[key], width=image.shape[-1], height=image.shape[-2])
        if self.flips(index):
            image, target["boxes"] = flip_horizontally(image, target["boxes"])
        return image, target, key


def collate(batch: Sequence[Item]) -> Tuple[List[torch.Tensor], List[Target], List[str]]:
    """Items -> (images, targets, keys) lists; frames keep their own sizes."""
    images, targets, keys = zip(*batch) if batch else ((), (), ())
    return list(images), list(targets), list(keys)
