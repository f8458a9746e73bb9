"""Composite one frame: background crop, objects and person in depth order, then the light.

Frames are RGB ``[H, W, 3]`` uint8. Objects drawn before the person (depth < 1.5) are behind
it, later ones in front; boxes that miss the frame are skipped.
"""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from sgfb.synthetic.camera import BACKGROUND_MARGIN
from sgfb.synthetic.render_background import make_background
from sgfb.synthetic.render_objects import draw_object, make_palette
from sgfb.synthetic.render_person import PersonLook, draw_person
from sgfb.synthetic.room import Room
from sgfb.synthetic.scenes import DEPTH_PERSON, Scene


class FrameRenderer:
    """Draws the frames of one video; its look (background, colours, the person's clothes)
    comes from ``style_rng``, a generator independent of the video's actions."""

    def __init__(self, style_rng: np.random.Generator, room: Room) -> None:
        self.room = room
        self.margin = BACKGROUND_MARGIN
        self.background = make_background(style_rng, room, self.margin)
        self.palette = make_palette(style_rng)
        self.look = PersonLook.random(style_rng)
        self._ramp = np.arange(256, dtype=np.float32)

    def render(self, scene: Scene, gain: Sequence[float]) -> np.ndarray:
        """The frame of ``scene`` under RGB light ``gain``."""
        W, H = self.room.width, self.room.height
        dx, dy = scene.shift
        m = self.margin
        frame = self.background[m + dy:m + dy + H, m + dx:m + dx + W].copy()
        ordered = sorted(scene.objects.values(), key=lambda o: (o.depth, o.name))
        person_drawn = False
        for obj in ordered:
            if not person_drawn and obj.depth >= DEPTH_PERSON:
                self._draw_person(frame, scene)
                person_drawn = True
            x0, y0, x1, y1 = obj.box
            if x1 < -2 or x0 > W + 2 or y1 < -2 or y0 > H + 2:
                continue
            draw_object(frame, obj, self.palette, scene.skeleton)
        if not person_drawn:
            self._draw_person(frame, scene)
        lut = np.clip(self._ramp[:, None] * np.asarray(gain, np.float32)[None, :], 0, 255)
        return cv2.LUT(frame, lut.astype(np.uint8).reshape(256, 1, 3))

    def _draw_person(self, frame: np.ndarray, scene: Scene) -> None:
        x0, y0, x1, y1 = scene.skeleton.box()
        W, H = self.room.width, self.room.height
        if x1 < 0 or x0 > W or y1 < 0 or y0 > H:
            return
        draw_person(frame, scene.skeleton, self.look)
