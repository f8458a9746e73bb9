"""Samples for the ST-SGN tasks (ST-SGN §3.2, §4.1, §4.2).

A sample is one or more sequences of frames (indices into a :class:`FrameGraphs`), each in
time order, with a target:

- ``trimmed``: one sample per action instance, its frames with start <= t <= end;
  single-label (the instance's class); top-1 accuracy.
- ``video``: one sample per video, cut into slices of T seconds (each non-empty slice a
  sequence); the slice logits are max-pooled into video scores; multi-label (every class of
  the video); mAP.
- ``frame``: one sample per annotated frame, the video's frames within T seconds centred on
  it (T = 0: the frame alone); multi-label (the actions in progress at that frame); mAP.

Samples are stored CSR-style (offsets into flat index tensors) so a batch is gathered with
tensor operations only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from sgfb.data.action_genome import ActionGenome
from sgfb.data.charades import Charades
from sgfb.stsgn.graphs import ranges, segment_ids

TASKS = ("frame", "video", "trimmed")


@dataclass
class SampleSet:
    ids: List[str]                # frame key / video id / "VIDEO#k" (k-th action instance)
    videos: List[str]             # video of each sample
    seq_offsets: torch.Tensor     # long [S + 1]: sequences of sample s
    frame_offsets: torch.Tensor   # long [Q + 1]: frames of sequence q
    frames: torch.Tensor          # long [sum]: frame indices
    targets: torch.Tensor         # float [S, A] (multi-label) or long [S] (single-label)
    multi_label: bool

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, indices: Sequence[int]) -> "SampleSet":
        idx = torch.as_tensor(list(indices), dtype=torch.long)
        seq_start = self.seq_offsets[idx]
        seq_count = self.seq_offsets[idx + 1] - seq_start
        seqs = ranges(seq_start, seq_count)
        frame_start = self.frame_offsets[seqs]
        frame_count = self.frame_offsets[seqs + 1] - frame_start
        return SampleSet(
            ids=[self.ids[i] for i in idx.tolist()], videos=[self.videos[i] for i in idx.tolist()],
            seq_offsets=_offsets(seq_count), frame_offsets=_offsets(frame_count),
            frames=self.frames[ranges(frame_start, frame_count)], targets=self.targets[idx],
            multi_label=self.multi_label,
        )

    def batch(self, indices: torch.Tensor):
        """``(frames, lengths, sample_of_sequence, targets)`` for samples ``indices``."""
        indices = indices.to(torch.long)
        seq_start = self.seq_offsets[indices]
        seq_count = self.seq_offsets[indices + 1] - seq_start
        seqs = ranges(seq_start, seq_count)
        frame_start = self.frame_offsets[seqs]
        lengths = self.frame_offsets[seqs + 1] - frame_start
        frames = self.frames[ranges(frame_start, lengths)]
        sample_of_sequence = segment_ids(seq_count)
        return frames, lengths, sample_of_sequence, self.targets[indices]


def _offsets(counts) -> torch.Tensor:
    counts = torch.as_tensor(counts, dtype=torch.long)
    return torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(counts, 0)])


class SampleBuilder:
    """Collects samples one by one (id, video, sequences of frame rows, target) and packs
    them into a :class:`SampleSet`; empty sequences are dropped, empty samples skipped."""

    def __init__(self, multi_label: bool, num_classes: int) -> None:
        self.ids: List[str] = []
        self.videos: List[str] = []
        self.seq_counts: List[int] = []
        self.frame_counts: List[int] = []
        self.frames: List[int] = []
        self.targets: List = []
        self.multi_label, self.num_classes = multi_label, num_classes

    def add(self, sample_id: str, video: str, sequences: List[List[int]], target) -> None:
        sequences = [s for s in sequences if s]
        if not sequences:
            return
        self.ids.append(sample_id)
        self.videos.append(video)
        self.seq_counts.append(len(sequences))
        for s in sequences:
            self.frame_counts.append(len(s))
            self.frames.extend(s)
        if self.multi_label:
            row = np.zeros(self.num_classes, np.float32)
            row[list(target)] = 1.0
            self.targets.append(row)
        else:
            self.targets.append(int(target))

    def build(self) -> SampleSet:
        if self.multi_label:
            targets = torch.from_numpy(np.stack(self.targets) if self.targets
                                       else np.zeros((0, self.num_classes), np.float32))
        else:
            targets = torch.tensor(self.targets, dtype=torch.long)
        return SampleSet(self.ids, self.videos, _offsets(self.seq_counts),
                         _offsets(self.frame_counts), torch.tensor(self.frames, dtype=torch.long),
                         targets, self.multi_label)


def _video_times(ag: ActionGenome, frame_index: Dict[str, int]):
    """Per video: (frame indices, times) in time order, for frames present in ``frame_index``."""
    out = {}
    for video, keys in ag.videos.items():
        keys = [k for k in keys if k in frame_index]
        if keys:
            out[video] = ([frame_index[k] for k in keys], np.array([ag.frame_time(k) for k in keys]))
    return out


def build_samples(task: str, ag: ActionGenome, charades: Optional[Charades],
                  frame_index: Dict[str, int], window: float = 10.0,
                  num_classes: Optional[int] = None) -> SampleSet:
    """Samples of ``task`` over the videos of ``ag`` that ``charades`` labels.

    Without ``charades`` (prediction on unlabelled graphs) every video is used and the
    targets are empty (all zeros, ``num_classes`` wide); ``trimmed`` needs the labels.

    ``frame_index`` maps frame keys to rows of the :class:`FrameGraphs`; ``window`` is T in
    seconds (the slice length for ``video``, the window for ``frame``; unused for ``trimmed``).
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose from {TASKS}")
    if (task == "frame" and window < 0) or (task == "video" and window <= 0):
        raise ValueError(f"window T must be positive for the video task (>= 0 for frame), "
                         f"got {window}")
    if charades is None and (task == "trimmed" or num_classes is None):
        raise ValueError("unlabelled samples need num_classes and a frame or video task")
    builder = SampleBuilder(multi_label=task != "trimmed",
                       num_classes=charades.num_classes if charades else num_classes)
    for video, (rows, times) in _video_times(ag, frame_index).items():
        if charades is not None and video not in charades:
            continue
        if task == "frame":
            keys = [k for k in ag.videos[video] if k in frame_index]
            for key, t in zip(keys, times):
                inside = np.abs(times - t) <= window / 2 + 1e-9
                builder.add(key, video, [[r for r, ok in zip(rows, inside) if ok]],
                            charades.labels_at(video, float(t)) if charades else ())
        elif task == "video":
            slot = np.floor(times / window).astype(int)
            slices = [[r for r, s in zip(rows, slot) if s == k] for k in sorted(set(slot))]
            builder.add(video, video, slices, charades.video_labels(video) if charades else ())
        else:
            for k, action in enumerate(charades[video].actions):
                inside = (times >= action.start) & (times <= action.end)
                builder.add(f"{video}#{k}", video, [[r for r, ok in zip(rows, inside) if ok]],
                            action.label)
    return builder.build()


def split_videos(videos: Sequence[str], seed: int, val_fraction: float = 0.15,
                 test_fraction: float = 0.15) -> Dict[str, List[str]]:
    """Seeded split of video ids into train / val / test (sorted within each part)."""
    unique = sorted(set(videos))
    order = np.random.default_rng(seed).permutation(len(unique))
    n_test = int(math.floor(len(unique) * test_fraction))
    n_val = int(math.floor(len(unique) * val_fraction))
    parts = {"test": order[:n_test], "val": order[n_test:n_test + n_val],
             "train": order[n_test + n_val:]}
    return {name: sorted(unique[i] for i in idx) for name, idx in parts.items()}


def select_videos(samples: SampleSet, videos: Sequence[str]) -> SampleSet:
    wanted = set(videos)
    return samples.subset([i for i, v in enumerate(samples.videos) if v in wanted])


def make_split(ag: ActionGenome, seed: int, val_fraction: float = 0.15,
               test_fraction: float = 0.15) -> Dict[str, List[str]]:
    """The documented train / val / test split by video.

    When the annotations carry AG's own split (frames whose ``metadata.set`` is ``test``),
    the test videos are AG's test set and ``val_fraction / (1 - test_fraction)`` of the train
    videos (seeded; 17.6 % by default) form the validation set. Otherwise every video is split at random (seeded) into
    1 - val - test / val / test.
    """
    if not 0 <= val_fraction < 1 or not 0 <= test_fraction < 1 or val_fraction + test_fraction >= 1:
        raise ValueError(f"val_fraction {val_fraction} and test_fraction {test_fraction} must be "
                         "in [0, 1) and leave videos for training")
    test_videos = sorted({f.video_id for f in ag if f.split == "test"})
    if test_videos:
        train_videos = sorted(set(ag.videos) - set(test_videos))
        part = split_videos(train_videos, seed, val_fraction / (1 - test_fraction), 0.0)
        return {"train": part["train"], "val": part["val"], "test": test_videos}
    return split_videos(list(ag.videos), seed, val_fraction, test_fraction)
