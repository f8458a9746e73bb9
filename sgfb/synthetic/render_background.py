"""Random room backgrounds: a wall and a floor with their own colours and textures.

The background of a video is one panorama, RGB ``[H + 2M, room_width + 2M, 3]`` uint8, where
panorama pixel ``(M + x, M + y)`` shows room pixel ``(x, y)``; the camera cuts frames out of
it. Colours and textures are drawn from a generator of their own, independent of the
actions, so that a background never tells which action a video shows.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from sgfb.synthetic.room import Room

WALL_STYLES = ("plain", "stripes", "dots", "wainscot")
FLOOR_STYLES = ("planks", "tiles", "carpet")


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    hsv = np.uint8([[[int(h) % 180, int(s), int(v)]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)


def make_background(rng: np.random.Generator, room: Room, margin: int) -> np.ndarray:
    """The panorama of ``room`` (see the module docstring for its layout)."""
    height = room.height + 2 * margin
    width = int(math.ceil(room.room_width)) + 2 * margin
    horizon = int(round(room.horizon_y)) + margin
    img = np.empty((height, width, 3), np.float32)
    wall = _hsv(rng.uniform(0, 180), rng.uniform(15, 110), rng.uniform(150, 235))
    floor = _hsv(rng.uniform(0, 180), rng.uniform(20, 140), rng.uniform(70, 190))
    rows = np.linspace(1.06, 0.94, horizon)[:, None, None]
    img[:horizon] = wall * rows
    depth = np.linspace(0.85, 1.1, height - horizon)[:, None, None]
    img[horizon:] = floor * depth
    _wall_texture(rng, img, horizon, wall)
    _floor_texture(rng, img, horizon, floor, margin)
    dark_board, light_board = rng.uniform(40, 90), rng.uniform(200, 245)
    board = _hsv(rng.uniform(0, 180), rng.uniform(0, 40), rng.choice([dark_board, light_board]))
    board_h = max(2, int(0.025 * room.height))
    img[horizon - board_h:horizon] = board
    _outlets(rng, img, horizon, room)
    noise = rng.normal(0.0, 3.0, size=img.shape[:2])[:, :, None]
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def _wall_texture(rng: np.random.Generator, img: np.ndarray, horizon: int,
                  wall: np.ndarray) -> None:
    style = WALL_STYLES[int(rng.integers(len(WALL_STYLES)))]
    if style == "stripes":
        period = int(rng.integers(8, 24))
        cols = (np.arange(img.shape[1]) % period) < period // 2
        img[:horizon, cols] *= rng.uniform(0.9, 0.96)
    elif style == "dots":
        period = int(rng.integers(10, 20))
        dot = wall * rng.uniform(0.82, 0.92)
        for y in range(period // 2, horizon - 4, period):
            for x in range((y // period % 2) * period // 2, img.shape[1], period):
                cv2.circle(img, (x, y), 1, dot.tolist(), -1)
    elif style == "wainscot":
        top = int(horizon * rng.uniform(0.55, 0.7))
        panel = _hsv(rng.uniform(0, 180), rng.uniform(10, 80), rng.uniform(120, 230))
        img[top:horizon] = panel
        img[top - 2:top + 1] = panel * 0.8


def _floor_texture(rng: np.random.Generator, img: np.ndarray, horizon: int, floor: np.ndarray,
                   margin: int) -> None:
    height, width = img.shape[:2]
    style = FLOOR_STYLES[int(rng.integers(len(FLOOR_STYLES)))]
    line = (floor * rng.uniform(0.7, 0.85)).tolist()
    if style == "planks":
        y, gap = float(horizon), 3.0
        while y < height:
            cv2.line(img, (0, int(y)), (width, int(y)), line, 1)
            row_top, y, gap = y, y + gap, gap * 1.35
            step = int(rng.integers(30, 90))
            for x in range(int(rng.integers(0, step)), width, step):
                cv2.line(img, (x, int(row_top)), (x, int(min(y, height))), line, 1)
    elif style == "tiles":
        vanish_x = rng.uniform(0, width)
        vanish_y = horizon - (height - horizon) * rng.uniform(1.5, 3.0)
        t = (horizon - vanish_y) / (height - vanish_y)
        for x in range(-width, 2 * width, int(rng.integers(20, 40))):
            top_x = vanish_x + (x - vanish_x) * t
            cv2.line(img, (int(top_x), horizon), (x, height), line, 1)
        y, gap = float(horizon), 4.0
        while y < height:
            cv2.line(img, (0, int(y)), (width, int(y)), line, 1)
            y, gap = y + gap, gap * 1.3
    else:
        speckle = rng.normal(0.0, 6.0, size=(height - horizon, width))[:, :, None]
        img[horizon:] += speckle


def _outlets(rng: np.random.Generator, img: np.ndarray, horizon: int, room: Room) -> None:
    """A few wall sockets and switches (not Action Genome classes): clutter with no meaning."""
    size = max(2, int(0.025 * room.height))
    for _ in range(int(rng.integers(1, 4))):
        x = int(rng.uniform(0, img.shape[1] - size))
        y = int(horizon - rng.choice([0.12, 0.45]) * room.height)
        cv2.rectangle(img, (x, y), (x + size, y + int(size * 1.4)), (240, 240, 235), -1)
        cv2.rectangle(img, (x, y), (x + size, y + int(size * 1.4)), (150, 150, 150), 1)
