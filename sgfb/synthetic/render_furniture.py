"""Drawers of furniture and fixtures: bed, chair, sofa, table, closet, door, door knob,
doorway, refrigerator, television, light, shelf, window, mirror, picture.

Each drawer paints its class inside the object's box with a :class:`~.paint.BoxPainter`
(box coordinates ``(u, v)`` in [0, 1]); ``c`` is the class colour of the video, ``v`` the
object's variant (``facing`` +1/-1 for the side a seat faces or a knob sits, ``open`` 0..1
for doors, ``time`` in seconds for a television picture).
"""
from __future__ import annotations

import math
from typing import Dict, List, Tuple

import cv2
import numpy as np

from sgfb.synthetic.catalog import TV_STAND_HEIGHT, spec
from sgfb.synthetic.paint import BoxPainter, Colour, Point, shade

Variant = Dict[str, float]
WHITE_TRIM = (240, 238, 232)
BRASS = (235, 190, 40)


def _side(u: float, facing: float) -> float:
    """``u`` measured from the box's left when ``facing`` > 0, from its right otherwise."""
    return u if facing > 0 else 1.0 - u


def draw_bed(p: BoxPainter, c: Colour, v: Variant) -> None:
    f = v.get("facing", 1.0)            # a person lying on it has the feet this way
    top = 1.0 - spec("bed").surface / spec("bed").height
    head = sorted((_side(0.0, f), _side(0.07, f)))
    foot = sorted((_side(0.95, f), _side(1.0, f)))
    sheet = sorted((_side(0.3, f), _side(0.95, f)))
    p.rect(head[0], 0.0, head[1], 1.0, c)
    p.rect(foot[0], top - 0.05, foot[1], 1.0, c)
    p.rect(0.05, top + 0.12, 0.95, 0.82, shade(c, 0.8))
    p.rect(0.05, top - 0.02, 0.95, top + 0.14, (236, 236, 242))
    p.rect(sheet[0], top - 0.02, sheet[1], top + 0.14, (170, 200, 235))
    p.line((sheet[0], top + 0.05), (sheet[1], top + 0.05), (140, 175, 220))
    for u in (0.08, 0.88):
        p.rect(u, 0.8, u + 0.04, 1.0, shade(c, 0.6))


def draw_chair(p: BoxPainter, c: Colour, v: Variant) -> None:
    f = v.get("facing", 1.0)            # the seat faces this way; the back is behind it
    seat = 1.0 - spec("chair").surface / spec("chair").height
    back = sorted((_side(0.0, f), _side(0.14, f)))
    rail = sorted((_side(-0.02, f), _side(0.16, f)))
    legs = shade(c, 0.65)
    p.rect(back[0], 0.0, back[1], seat, c)
    p.rect(rail[0], 0.0, rail[1], 0.3, shade(c, 1.15))
    p.rect(0.0, seat - 0.04, 1.0, seat + 0.05, c)
    p.rect(0.05, seat - 0.07, 0.95, seat - 0.03, shade(c, 1.3))
    p.rect(0.03, seat + 0.05, 0.13, 1.0, legs)
    p.rect(0.87, seat + 0.05, 0.97, 1.0, legs)
    p.rect(0.08, 0.8, 0.92, 0.83, legs)


def draw_sofa(p: BoxPainter, c: Colour, v: Variant) -> None:
    seat = 1.0 - spec("sofa/couch").surface / spec("sofa/couch").height
    dark = shade(c, 0.75)
    p.rounded(0.04, 0.0, 0.96, seat + 0.05, 0.04, dark)
    for i in range(3):
        u = 0.1 + 0.27 * i
        p.rounded(u, 0.08, u + 0.25, seat, 0.03, c)
    p.rect(0.08, seat - 0.04, 0.92, seat + 0.18, shade(c, 1.1))
    for u in (0.36, 0.64):
        p.line((u, seat - 0.04), (u, seat + 0.18), dark)
    p.rect(0.06, seat + 0.18, 0.94, 0.92, dark)
    for u in (0.0, 0.9):
        p.rounded(u, 0.3, u + 0.1, 0.92, 0.04, c)
    for u in (0.07, 0.9):
        p.rect(u, 0.92, u + 0.03, 1.0, (50, 40, 30))


def draw_table(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.rect(0.0, 0.0, 1.0, 0.1, c)
    p.line((0.0, 0.03), (1.0, 0.03), shade(c, 1.35))
    p.rect(0.04, 0.1, 0.96, 0.2, shade(c, 0.75))
    for u in (0.05, 0.88):
        p.rect(u, 0.1, u + 0.07, 1.0, shade(c, 0.85))


def draw_closet(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.rect(0.0, 0.0, 1.0, 1.0, c)
    p.rect(0.0, 0.0, 1.0, 0.05, shade(c, 0.8))
    p.rect(0.0, 0.95, 1.0, 1.0, shade(c, 0.7))
    for u in np.linspace(0.08, 0.92, 6):
        p.line((u, 0.07), (u, 0.93), shade(c, 0.93))
    p.line((0.5, 0.05), (0.5, 0.95), shade(c, 0.55), 0.02)
    for u in (0.43, 0.55):
        p.rect(u, 0.42, u + 0.02, 0.55, (70, 70, 75))
    p.rect(0.0, 0.0, 1.0, 1.0, shade(c, 0.6), 1)


def swinging_panel(v: Variant) -> Tuple[List[Point], float, float]:
    """Box-coordinate polygon of a door panel opened ``v['open']`` on its hinge (the side away
    from the knob), with the hinge's and the free edge's u."""
    knob_side = 1.0 if v.get("facing", 1.0) > 0 else -1.0
    angle = v.get("open", 0.0) * math.pi / 2
    hinge = 0.0 if knob_side > 0 else 1.0
    free = hinge + knob_side * math.cos(angle)
    shrink = 0.04 * math.sin(angle)
    return [(hinge, 0.0), (free, shrink), (free, 1.0 - shrink), (hinge, 1.0)], hinge, free


def draw_door(p: BoxPainter, c: Colour, v: Variant) -> None:
    from sgfb.synthetic.scenes import PlacedObject, door_free_edge
    p.rect(-0.06, -0.04, 1.06, 1.0, WHITE_TRIM)
    if v.get("open", 0.0) > 0.02:
        p.rect(0.0, 0.0, 1.0, 1.0, (48, 42, 40))                   # the hall behind
        p.poly([(0.0, 1.0), (1.0, 1.0), (0.85, 0.85), (0.15, 0.85)], (95, 80, 70))
    panel, hinge, free = swinging_panel(v)
    p.poly(panel, c)
    if abs(free - hinge) > 0.15:
        a, b = sorted((hinge + (free - hinge) * 0.15, hinge + (free - hinge) * 0.85))
        for top, bottom in ((0.08, 0.45), (0.55, 0.92)):
            p.rect(a, top, b, bottom, shade(c, 0.78), 1)
    knob = door_free_edge(PlacedObject("door", np.array([p.x0, p.y0, p.x1, p.y1]), 0.0, v))
    p.circle_px(knob, max(1.5, 0.05 * p.w), BRASS)


def draw_doorknob(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.circle((0.5, 0.5), 0.5, c)
    p.circle((0.5, 0.5), 0.5, shade(c, 0.6), 1)
    p.circle((0.35, 0.35), 0.15, (255, 245, 200))


def draw_doorway(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.rect(0.0, 0.0, 1.0, 1.0, c)
    p.poly([(0.0, 1.0), (1.0, 1.0), (0.8, 0.8), (0.2, 0.8)], (120, 105, 90))
    p.rect(0.2, 0.1, 0.8, 0.8, (85, 90, 100))
    t = max(2.0, 0.08 * p.w)                                    # white casing, pixels
    p.rect_px(p.x0 - t, p.y0 - t, p.x0, p.y1, WHITE_TRIM)
    p.rect_px(p.x1, p.y0 - t, p.x1 + t, p.y1, WHITE_TRIM)
    p.rect_px(p.x0 - t, p.y0 - t, p.x1 + t, p.y0, WHITE_TRIM)


def draw_refrigerator(p: BoxPainter, c: Colour, v: Variant) -> None:
    knob_side = 1.0 if v.get("facing", 1.0) > 0 else -1.0
    split = 0.33
    p.rect(0.0, 0.0, 1.0, 1.0, shade(c, 0.8))
    p.rect(0.01, 0.005, 0.99, split - 0.005, c)
    handle = 0.88 if knob_side > 0 else 0.08
    p.rect(handle, 0.12, handle + 0.04, 0.28, (120, 125, 135))
    lower = BoxPainter(p.img, (p.x0, p.y0 + split * p.h, p.x1, p.y1))
    if v.get("open", 0.0) > 0.02:
        lower.rect(0.04, 0.01, 0.96, 0.96, (252, 250, 225))
        for shelf in (0.22, 0.5, 0.78):
            lower.line((0.05, shelf), (0.95, shelf), (175, 180, 185))
            lower.rect(0.2, shelf - 0.1, 0.35, shelf, (90, 170, 60))
            lower.rect(0.55, shelf - 0.13, 0.65, shelf, (220, 60, 50))
    panel, hinge, free = swinging_panel(v)
    lower.poly(panel, c)
    grip = hinge + (free - hinge) * 0.88
    lower.rect(grip - 0.02, 0.12, grip + 0.02, 0.52, (120, 125, 135))
    p.rect(0.0, 0.0, 1.0, 1.0, (90, 95, 105), 1)


def draw_television(p: BoxPainter, c: Colour, v: Variant) -> None:
    stand = TV_STAND_HEIGHT / spec("television").height       # in box heights, below the box
    p.rect(0.46, 1.0, 0.54, 1.0 + 0.5 * stand, (60, 60, 64))
    p.rect(0.1, 1.0 + 0.5 * stand, 0.9, 1.0 + stand, (105, 80, 60))
    p.rect(0.0, 0.0, 1.0, 1.0, c)
    t = v.get("time", 0.0)
    bands = 4
    for i in range(bands):
        hue = int((t * 25 + i * 40) % 180)
        rgb = cv2.cvtColor(np.uint8([[[hue, 170, 230]]]), cv2.COLOR_HSV2RGB)[0, 0]
        u = 0.06 + 0.88 * i / bands
        p.rect(u, 0.08, u + 0.88 / bands, 0.88, tuple(int(x) for x in rgb))
    p.circle((0.9, 0.94), 0.015, (220, 40, 40))


def draw_light(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.ellipse((0.5, 0.98), (0.35, 0.025), (50, 50, 55))
    p.line((0.5, 0.97), (0.5, 0.25), (60, 60, 66), 0.06)
    p.ellipse((0.5, 0.28), (0.45, 0.05), (255, 250, 210))
    p.poly([(0.2, 0.0), (0.8, 0.0), (1.0, 0.27), (0.0, 0.27)], c)
    p.line((0.1, 0.2), (0.9, 0.2), shade(c, 0.85))


def draw_shelf(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.rect(0.0, 0.0, 1.0, 0.3, c)
    p.line((0.0, 0.3), (1.0, 0.3), shade(c, 0.6))
    for u in (0.15, 0.85):
        p.poly([(u - 0.03, 0.3), (u + 0.03, 0.3), (u, 1.0)], (80, 80, 85))


def draw_window(p: BoxPainter, c: Colour, v: Variant) -> None:
    frame = (245, 245, 240)
    p.rect(0.0, 0.0, 1.0, 1.0, frame)
    p.rect(0.07, 0.07, 0.93, 0.9, c)
    p.rect(0.07, 0.55, 0.93, 0.9, shade(c, 1.12))
    p.line((0.5, 0.07), (0.5, 0.9), frame, 0.04)
    p.line((0.07, 0.45), (0.93, 0.45), frame, 0.04)
    p.rect(-0.05, 0.94, 1.05, 1.0, (225, 225, 220))


def draw_mirror(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.ellipse((0.5, 0.5), (0.5, 0.5), (185, 185, 195))
    p.ellipse((0.5, 0.5), (0.4, 0.42), c)
    p.ellipse((0.58, 0.6), (0.22, 0.22 * p.w / p.h), shade(c, 0.92))
    p.line((0.3, 0.25), (0.5, 0.12), (255, 255, 255), 0.04)
    p.line((0.3, 0.4), (0.62, 0.18), (255, 255, 255), 0.03)


def draw_picture(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.rect(0.0, 0.0, 1.0, 1.0, c)
    inner = BoxPainter(p.img, (*p.at(0.08, 0.1), *p.at(0.92, 0.9)))
    inner.rect(0.0, 0.0, 1.0, 1.0, (130, 190, 240))
    inner.ellipse((0.5, 1.0), (0.55, 0.45), (70, 150, 60), start=180, end=360)
    inner.rect(0.0, 0.94, 1.0, 1.0, (70, 150, 60))
    inner.circle((0.8, 0.25), 0.07, (250, 220, 60))
