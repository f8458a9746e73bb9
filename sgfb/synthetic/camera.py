"""The camera of one video: it pans after the person, shakes a little, sometimes glances
away (the person leaves the frame), and the light drifts.

Per frame it gives the integer room pixel shown at frame pixel (0, 0) (``shift``) and an RGB
gain (lighting): frame = clip(rendered * gain).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sgfb.synthetic.tracks import World

#: How fast the camera follows the person (time constant, seconds).
FOLLOW_SECONDS = 0.25
#: Share of videos with one glance away from the person, and its length (seconds).
GLANCE_PROBABILITY = 0.25
GLANCE_SECONDS = (0.7, 1.6)
#: Camera shake amplitude in pixels (must stay below the background margin).
SHAKE_PIXELS = 3.0
BACKGROUND_MARGIN = 8


@dataclass(frozen=True)
class CameraPath:
    """``shift_x``, ``shift_y``: ``[N]`` int room pixel at frame (0, 0) per frame;
    ``gain``: ``[N, 3]`` float RGB light gain per frame."""

    shift_x: np.ndarray
    shift_y: np.ndarray
    gain: np.ndarray

    def shift(self, index: int):
        return int(self.shift_x[index]), int(self.shift_y[index])


def camera_path(rng: np.random.Generator, world: World, fps: float, frames: int) -> CameraPath:
    """The camera for ``frames`` frames at ``fps`` (frame ``i`` shown at ``i / fps`` s)."""
    room = world.room
    P, W = room.person_height, room.width
    times = np.arange(frames) / fps
    target = np.empty(frames)
    for i, t in enumerate(times):
        body = world.body.at(t)
        target[i] = body.x_at(t) + body.facing * 0.12 * P
    if rng.random() < GLANCE_PROBABILITY and world.seconds > 2.0:
        start = rng.uniform(0.5, world.seconds - 1.0)
        length = rng.uniform(*GLANCE_SECONDS)
        offset = rng.choice([-1.0, 1.0]) * rng.uniform(0.8, 1.0) * W
        target[(times >= start) & (times < start + length)] += offset
    centre = np.empty(frames)
    alpha = 1.0 - math.exp(-1.0 / (fps * FOLLOW_SECONDS))
    centre[0] = target[0]
    for i in range(1, frames):
        centre[i] = centre[i - 1] + (target[i] - centre[i - 1]) * alpha
    left = np.clip(centre - W / 2, 0.0, max(0.0, room.room_width - W))
    shake = [SHAKE_PIXELS * rng.uniform(0.2, 1.0) * np.sin(2 * np.pi * rng.uniform(0.3, 1.5) * times
                                                             + rng.uniform(0, 2 * np.pi))
             for _ in range(2)]
    shift_x = np.round(left + shake[0]).astype(np.int64)
    shift_y = np.round(shake[1]).astype(np.int64)
    base = rng.uniform(0.85, 1.1) * rng.uniform(0.94, 1.06, size=3)
    period, phase = rng.uniform(3.0, 8.0), rng.uniform(0, 2 * np.pi)
    drift = 1.0 + 0.06 * np.sin(2 * np.pi * times / period + phase)
    gain = drift[:, None] * base[None, :]
    return CameraPath(shift_x, shift_y, gain)
