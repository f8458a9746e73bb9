"""OpenCV drawing in an object's own box coordinates.

A :class:`BoxPainter` paints into an RGB ``[H, W, 3]`` uint8 image (or a one-channel mask)
inside an xyxy box given in frame pixels; shapes are placed with box-relative coordinates
``(u, v)``, ``u`` from the box's left (0) to its right (1), ``v`` from its top (0) to its
bottom (1), so that a drawer reads like a sketch of the object. The ``*_px`` methods take
frame pixels for shapes that do not fit a box (a broom's handle, a worn shirt).
"""
from __future__ import annotations

from typing import Sequence, Tuple

import cv2
import numpy as np

AA = cv2.LINE_AA
Colour = Tuple[int, ...]
Point = Tuple[float, float]


def shade(colour: Sequence[int], k: float) -> Colour:
    """``colour`` scaled by ``k`` (darker below 1, lighter above), clipped to 0..255."""
    return tuple(int(min(255, max(0, round(c * k)))) for c in colour)


def _px(x: float, y: float) -> Tuple[int, int]:
    return int(round(x)), int(round(y))


class BoxPainter:
    """Paints into ``img`` within ``box`` (xyxy frame pixels)."""

    def __init__(self, img: np.ndarray, box: Sequence[float]) -> None:
        self.img = img
        self.x0, self.y0, self.x1, self.y1 = (float(v) for v in box)
        self.w = self.x1 - self.x0
        self.h = self.y1 - self.y0

    def at(self, u: float, v: float) -> Point:
        """Frame pixel of box point (u, v)."""
        return self.x0 + u * self.w, self.y0 + v * self.h

    # ----------------------------------------------------------- box coordinates
    def rect(self, u0: float, v0: float, u1: float, v1: float, colour: Colour,
             thickness: int = -1) -> None:
        cv2.rectangle(self.img, _px(*self.at(u0, v0)), _px(*self.at(u1, v1)), colour, thickness)

    def rounded(self, u0: float, v0: float, u1: float, v1: float, radius: float,
                colour: Colour) -> None:
        """A filled rectangle with round corners; ``radius`` in box widths."""
        x0, y0 = self.at(u0, v0)
        x1, y1 = self.at(u1, v1)
        self.rounded_px(x0, y0, x1, y1, radius * self.w, colour)

    def poly(self, points: Sequence[Point], colour: Colour) -> None:
        self.poly_px([self.at(u, v) for u, v in points], colour)

    def line(self, a: Point, b: Point, colour: Colour, width: float = 0.0) -> None:
        """A segment ``width`` box widths thick (at least one pixel)."""
        self.line_px(self.at(*a), self.at(*b), colour, width * self.w)

    def circle(self, centre: Point, radius: float, colour: Colour, thickness: int = -1) -> None:
        """A circle of ``radius`` box widths (at least one pixel)."""
        self.circle_px(self.at(*centre), radius * self.w, colour, thickness)

    def ellipse(self, centre: Point, axes: Point, colour: Colour, thickness: int = -1,
                start: float = 0.0, end: float = 360.0, angle: float = 0.0) -> None:
        """An ellipse with half-axes ``axes`` = (box widths, box heights)."""
        x, y = self.at(*centre)
        size = (max(1, int(round(axes[0] * self.w))), max(1, int(round(axes[1] * self.h))))
        cv2.ellipse(self.img, _px(x, y), size, angle, start, end, colour, thickness, AA)

    # ----------------------------------------------------------- frame pixels
    def poly_px(self, points: Sequence[Point], colour: Colour) -> None:
        cv2.fillPoly(self.img, [np.round(np.asarray(points, np.float64)).astype(np.int32)],
                     colour, AA)

    def line_px(self, a: Point, b: Point, colour: Colour, thickness: float = 1.0) -> None:
        cv2.line(self.img, _px(*a), _px(*b), colour, max(1, int(round(thickness))), AA)

    def circle_px(self, centre: Point, radius: float, colour: Colour, thickness: int = -1) -> None:
        cv2.circle(self.img, _px(*centre), max(1, int(round(radius))), colour, thickness, AA)

    def rect_px(self, x0: float, y0: float, x1: float, y1: float, colour: Colour,
                thickness: int = -1) -> None:
        cv2.rectangle(self.img, _px(x0, y0), _px(x1, y1), colour, thickness)

    def rounded_px(self, x0: float, y0: float, x1: float, y1: float, radius: float,
                   colour: Colour) -> None:
        r = max(0.0, min(radius, (x1 - x0) / 2, (y1 - y0) / 2))
        self.rect_px(x0 + r, y0, x1 - r, y1, colour)
        self.rect_px(x0, y0 + r, x1, y1 - r, colour)
        for cx, cy in ((x0 + r, y0 + r), (x1 - r, y0 + r), (x0 + r, y1 - r), (x1 - r, y1 - r)):
            self.circle_px((cx, cy), r, colour)
