"""Every frame a video's inference needs, planned before decoding (decode-once inference).

The consumers of ``tools/infer.py`` and the frames they need:

- the scene-graph model (detector + predicate head): the sampled frames;
- the action model (SGFB, §4.2 / §5.1 of the Action Genome paper): the frames of its test
  views (``crops`` spatial crops each) and of its timeline clips (centre crop); a clip that
  is both (the same frames) is one clip, computed once with the larger number of crops, and
  the timeline reads its centre crop;
- the annotated mp4: every frame.

:class:`FramePlan` holds the distinct clips and the union of all frames, so the video is
decoded once, in time order; :class:`ClipAssembler` keeps the frames of the clips not yet
complete (and only those) and hands each clip over when its last frame has been decoded.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np


@dataclass(frozen=True)
class FramePlan:
    """What to decode for one video (0-based display indices).

    graph_frames: sorted distinct frames whose scene graphs are predicted.
    clips: int64 ``[K, T]`` distinct clips, ordered by their last frame (the order in which
        a time-ordered decode completes them).
    clip_crops: int ``[K]``: spatial crops computed per clip (3 or 1).
    view_clips, timeline_clips: rows of ``clips`` of each test view / timeline point.
    annotate: every frame is needed (the annotated mp4).
    """

    num_frames: int
    graph_frames: np.ndarray
    clips: np.ndarray
    clip_crops: np.ndarray
    view_clips: np.ndarray
    timeline_clips: np.ndarray
    annotate: bool

    @property
    def frames(self) -> np.ndarray:
        """Sorted distinct frames to decode: the union of every consumer's frames."""
        if self.annotate:
            return np.arange(self.num_frames, dtype=np.int64)
        return np.union1d(self.graph_frames, self.clips.reshape(-1)).astype(np.int64)

    def centre_crop(self, clip: int) -> int:
        """Position of the centre crop among clip ``clip``'s crops."""
        return 1 if int(self.clip_crops[clip]) == 3 else 0


def plan_frames(num_frames: int, graph_frames: np.ndarray,
                view_clips: Optional[np.ndarray] = None, view_crops: int = 3,
                timeline_clips: Optional[np.ndarray] = None,
                annotate: bool = False) -> FramePlan:
    """The :class:`FramePlan` of one video; ``view_clips`` ``[V, T]`` and ``timeline_clips``
    ``[L, T]`` are ``None`` for an action model that needs no frames (ST-SGN)."""
    if view_crops not in (1, 3):
        raise ValueError(f"view_crops must be 1 or 3, got {view_crops}")
    width = next((c.shape[1] for c in (view_clips, timeline_clips) if c is not None), 0)
    views = np.zeros((0, width), np.int64) if view_clips is None else np.asarray(view_clips)
    line = np.zeros((0, width), np.int64) if timeline_clips is None else np.asarray(timeline_clips)
    both = np.concatenate([views, line]).astype(np.int64)
    for frames in (both, np.asarray(graph_frames)):
        if frames.size and (frames.min() < 0 or frames.max() >= num_frames):
            raise IndexError(f"planned frame outside the video's {num_frames} frames")
    if len(both):
        clips, inverse = np.unique(both, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        order = np.lexsort((clips[:, 0], clips.max(1)))  # by last frame, then first
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        clips, inverse = clips[order], rank[inverse]
    else:
        clips, inverse = np.zeros((0, width), np.int64), np.zeros(0, np.int64)
    crops = np.ones(len(clips), np.int64)
    crops[inverse[:len(views)]] = view_crops
    return FramePlan(num_frames, np.unique(np.asarray(graph_frames, np.int64)), clips, crops,
                     inverse[:len(views)], inverse[len(views):], annotate)


class ClipAssembler:
    """Collects the frames of a plan's clips from a time-ordered decode.

    :meth:`add` takes each decoded frame (already prepared, e.g. resized) and returns the
    clips it completes as ``(clip row, frames [T, ...])``; a frame is dropped as soon as no
    incomplete clip needs it, so only the frames of the clips in progress are held.
    """

    def __init__(self, plan: FramePlan) -> None:
        self._clips = plan.clips
        self._last = plan.clips.max(1) if len(plan.clips) else np.zeros(0, np.int64)
        self._users: Dict[int, int] = {}
        for row in plan.clips:
            for index in np.unique(row):
                self._users[int(index)] = self._users.get(int(index), 0) + 1
        self._held: Dict[int, np.ndarray] = {}
        self._next = 0  # clips are ordered by their last frame

    def wants(self, index: int) -> bool:
        return index in self._users

    @property
    def held(self) -> int:
        """Frames held now."""
        return len(self._held)

    def add(self, index: int, frame: np.ndarray) -> List[Tuple[int, np.ndarray]]:
        if index in self._users:
            self._held[index] = frame
        done = []
        while self._next < len(self._clips) and self._last[self._next] <= index:
            row = self._clips[self._next]
            missing = [int(i) for i in row if int(i) not in self._held]
            if missing:
                raise RuntimeError(f"clip {self._next}: frame {missing[0]} was not decoded")
            done.append((self._next, np.stack([self._held[int(i)] for i in row])))
            for i in np.unique(row):
                self._users[int(i)] -= 1
                if not self._users[int(i)]:
                    del self._users[int(i)], self._held[int(i)]
            self._next += 1
        return done

    @property
    def complete(self) -> bool:
        return self._next == len(self._clips)
