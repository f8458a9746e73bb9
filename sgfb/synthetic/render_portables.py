"""Drawers of the small objects a person picks up, holds, carries or wears: bag, blanket,
book, box, broom, clothes, cup, dish, food, groceries, laptop, medicine, paper, phone,
pillow, sandwich, shoe, towel, vacuum cleaner.

Box coordinates ``(u, v)`` in [0, 1] as in :mod:`~.paint`; ``c`` is the class colour, ``v``
the variant (``open`` for a book being read, ``worn`` for clothes on the body, ``facing`` for
a shoe's toe, ``foot_*``/``top_*``/``head_*`` frame pixels of a broom's or vacuum cleaner's
handle and head).
"""
from __future__ import annotations

import math
from typing import Dict, Optional

import numpy as np

from sgfb.synthetic.paint import BoxPainter, Colour, shade
from sgfb.synthetic.skeleton import Skeleton

Variant = Dict[str, float]
PAGE = (248, 244, 228)
WHITE = (250, 250, 250)


def draw_bag(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.ellipse((0.5, 0.32), (0.28, 0.3), shade(c, 0.6), max(1, int(0.07 * p.w)), start=180, end=360)
    p.poly([(0.08, 0.32), (0.92, 0.32), (1.0, 1.0), (0.0, 1.0)], c)
    p.line((0.06, 0.54), (0.94, 0.54), shade(c, 0.7))
    p.rect(0.44, 0.48, 0.56, 0.62, (230, 190, 60))


def draw_blanket(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.rect(0.0, 0.0, 1.0, 1.0, c)
    stripe = (40, 50, 120)
    for u in np.linspace(0.15, 0.85, 4):
        p.line((u, 0.0), (u, 1.0), stripe, 0.06)
    for row in (0.2, 0.5, 0.8):
        p.line((0.0, row), (1.0, row), stripe, 0.06 * p.h / p.w)
    p.rect(0.0, 0.0, 1.0, 1.0, shade(c, 0.6), 1)


def draw_book(p: BoxPainter, c: Colour, v: Variant) -> None:
    if v.get("open", 0.0) > 0.5:                    # held open to read: two pages
        p.rect(0.0, 0.0, 1.0, 1.0, c)
        p.rect(0.04, 0.05, 0.49, 0.95, PAGE)
        p.rect(0.51, 0.05, 0.96, 0.95, PAGE)
        for row in np.linspace(0.2, 0.8, 4):
            p.line((0.1, row), (0.44, row), (120, 120, 130))
            p.line((0.56, row), (0.9, row), (120, 120, 130))
        return
    p.rect(0.0, 0.0, 1.0, 1.0, c)
    p.rect(0.86, 0.04, 1.0, 0.96, PAGE)
    p.rect(0.0, 0.0, 0.16, 1.0, shade(c, 0.65))
    p.rect(0.3, 0.2, 0.75, 0.32, (235, 200, 70))


def draw_box(p: BoxPainter, c: Colour, v: Variant) -> None:
    d = 0.18                                          # depth of the top and side faces
    p.poly([(0.0, d), (d, 0.0), (1.0, 0.0), (1.0 - d, d)], shade(c, 1.15))
    p.poly([(1.0 - d, d), (1.0, 0.0), (1.0, 1.0 - d), (1.0 - d, 1.0)], shade(c, 0.8))
    p.rect(0.0, d, 1.0 - d, 1.0, c)
    tape = (235, 215, 160)
    mid = 0.5 * (1.0 - d)
    p.line((mid, d), (mid + d, 0.0), tape, 0.06)
    p.line((mid, d), (mid, 0.45), tape, 0.06)
    p.rect(0.0, d, 1.0 - d, 1.0, shade(c, 0.6), 1)


def draw_tool(p: BoxPainter, c: Colour, v: Variant, name: str) -> None:
    """A broom or vacuum cleaner along its handle, from the head on the floor (``foot``) to
    the grip (``top``), frame pixels from the variant (an upright tool when absent)."""
    foot = (v.get("foot_x", (p.x0 + p.x1) / 2), v.get("foot_y", p.y1))
    top = (v.get("top_x", (p.x0 + p.x1) / 2), v.get("top_y", p.y0))
    head_w, head_h = v.get("head_w", p.w), v.get("head_h", 0.15 * p.h)
    length = math.hypot(top[0] - foot[0], top[1] - foot[1])
    stick = max(1.5, 0.022 * length)
    if name == "broom":
        neck = (foot[0], foot[1] - head_h)
        p.line_px(neck, top, (160, 100, 40), stick)
        p.poly_px([(foot[0] - 0.25 * head_w, neck[1]), (foot[0] + 0.25 * head_w, neck[1]),
                   (foot[0] + 0.5 * head_w, foot[1]), (foot[0] - 0.5 * head_w, foot[1])], c)
        for k in np.linspace(-0.35, 0.35, 5):
            p.line_px((foot[0] + k * 0.5 * head_w, neck[1] + 0.2 * head_h),
                      (foot[0] + k * head_w, foot[1]), shade(c, 0.7))
        p.rect_px(foot[0] - 0.28 * head_w, neck[1] - 0.2 * head_h,
                  foot[0] + 0.28 * head_w, neck[1] + 0.1 * head_h, (200, 40, 40))
        return
    grip_dir = 1.0 if top[0] >= foot[0] else -1.0
    p.line_px(foot, top, (70, 70, 75), stick)
    p.line_px(top, (top[0] + 0.04 * length * grip_dir, top[1] + 0.02 * length), (30, 30, 30),
              stick * 1.6)
    p.rect_px(foot[0] - 0.5 * head_w, foot[1] - 0.45 * head_h, foot[0] + 0.5 * head_w, foot[1],
              (60, 60, 65))
    body = (foot[0] + 0.3 * (top[0] - foot[0]), foot[1] + 0.3 * (top[1] - foot[1]))
    bw, bh = 0.55 * head_w, 0.28 * length
    p.rounded_px(body[0] - bw / 2, body[1] - bh / 2, body[0] + bw / 2, body[1] + bh / 2,
                 0.2 * bw, c)
    p.rect_px(body[0] - bw / 3, body[1] - bh / 4, body[0] + bw / 3, body[1] - bh / 8,
              shade(c, 0.6))


def draw_clothes(p: BoxPainter, c: Colour, v: Variant, skel: Optional[Skeleton]) -> None:
    """A T-shirt: laid out in its box, or (``worn``) over the torso and upper arms."""
    stripe = shade(c, 0.6)
    if v.get("worn", 0.0) > 0.5 and skel is not None:
        P = skel.P
        ls, rs = skel.point("left_shoulder"), skel.point("right_shoulder")
        lh, rh = skel.point("left_hip"), skel.point("right_hip")
        out = np.array([0.035 * P, 0.0]) * (1 if ls[0] >= rs[0] else -1)
        down = np.array([0.0, 0.04 * P])
        p.poly_px([tuple(ls + out), tuple(rs - out), tuple(rh - out + down),
                   tuple(lh + out + down)], c)
        for side in ("left", "right"):
            s, e = skel.point(f"{side}_shoulder"), skel.point(f"{side}_elbow")
            p.line_px(tuple(s), tuple(s + 0.6 * (e - s)), c, 0.07 * P)
        for k in (0.35, 0.65):
            p.line_px(tuple(ls + (lh - ls) * k + out), tuple(rs + (rh - rs) * k - out), stripe,
                      max(1.0, 0.018 * P))
        return
    p.poly([(0.3, 0.0), (0.42, 0.08), (0.58, 0.08), (0.7, 0.0), (1.0, 0.25), (0.85, 0.42),
            (0.8, 0.35), (0.8, 1.0), (0.2, 1.0), (0.2, 0.35), (0.15, 0.42), (0.0, 0.25)], c)
    for row in (0.5, 0.75):
        p.line((0.2, row), (0.8, row), stripe, 0.05 * p.h / p.w)


def draw_cup(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.rounded(0.0, 0.05, 0.8, 1.0, 0.15, c)
    p.ellipse((0.88, 0.45), (0.16, 0.18), c, max(1, int(0.08 * p.w)))
    for row in (0.35, 0.65):
        p.line((0.05, row), (0.75, row), WHITE, 0.08 * p.h / p.w)
    p.line((0.0, 0.06), (0.8, 0.06), shade(c, 1.5))


def draw_dish(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.ellipse((0.5, 0.5), (0.5, 0.5), (200, 60, 55))
    p.ellipse((0.5, 0.5), (0.42, 0.36), c)
    p.ellipse((0.5, 0.5), (0.25, 0.2), shade(c, 0.9))


def draw_food(p: BoxPainter, c: Colour, v: Variant) -> None:
    for u, row, r, colour in ((0.25, 0.6, 0.25, c), (0.55, 0.55, 0.28, (90, 180, 50)),
                              (0.78, 0.62, 0.2, (220, 50, 40)), (0.45, 0.3, 0.2, shade(c, 1.15))):
        p.ellipse((u, row), (r, r * 1.6), colour)


def draw_groceries(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.ellipse((0.35, 0.22), (0.14, 0.2), (70, 160, 60), angle=-20)
    p.circle((0.62, 0.25), 0.13, (210, 40, 40))
    p.line((0.72, 0.02), (0.8, 0.35), (215, 160, 80), 0.08)
    p.rect(0.08, 0.3, 0.92, 1.0, c)
    for i in range(6):
        a, b = 0.08 + 0.14 * i, 0.08 + 0.14 * (i + 1)
        p.line((a, 0.35 if i % 2 == 0 else 0.3), (b, 0.3 if i % 2 == 0 else 0.35), shade(c, 0.7))
    p.line((0.3, 0.55), (0.7, 0.55), shade(c, 0.8))


def draw_laptop(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.rect(0.08, 0.0, 0.92, 0.78, shade(c, 0.55))
    p.rect(0.13, 0.07, 0.87, 0.7, (30, 70, 160))
    p.rect(0.2, 0.15, 0.55, 0.4, (235, 240, 250))
    p.rect(0.5, 0.35, 0.8, 0.6, (150, 200, 245))
    p.poly([(0.05, 0.8), (0.95, 0.8), (1.0, 1.0), (0.0, 1.0)], c)
    p.line((0.1, 0.9), (0.9, 0.9), shade(c, 0.75))


def draw_medicine(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.rect(0.0, 0.3, 1.0, 1.0, (245, 245, 245))
    p.rect(-0.05, 0.0, 1.05, 0.3, c)
    p.line((0.25, 0.65), (0.75, 0.65), (220, 30, 30), 0.12)
    p.line((0.5, 0.5), (0.5, 0.8), (220, 30, 30), 0.12)


def draw_paper(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.rect(0.0, 0.0, 1.0, 1.0, c)
    for row in np.linspace(0.2, 0.9, 5):
        p.line((0.05, row), (0.95, row), (120, 160, 230))
    p.line((0.2, 0.0), (0.2, 1.0), (230, 80, 80))
    for u in np.linspace(0.15, 0.85, 4):
        p.circle((u, 0.05), 0.03, (90, 90, 100))
    p.rect(0.0, 0.0, 1.0, 1.0, (170, 170, 175), 1)


def draw_phone(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.rounded(0.0, 0.0, 1.0, 1.0, 0.2, c)
    p.rect(0.15, 0.12, 0.85, 0.8, (80, 200, 230))
    p.circle((0.5, 0.9), 0.1, (90, 90, 95))


def draw_pillow(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.ellipse((0.5, 0.5), (0.5, 0.5), c)
    p.rounded(0.05, 0.1, 0.95, 0.9, 0.3 * p.h / p.w, c)
    p.ellipse((0.5, 0.5), (0.38, 0.3), shade(c, 1.1), 1)


def draw_sandwich(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.poly([(0.0, 1.0), (1.0, 1.0), (1.0, 0.1)], shade(c, 0.8))             # bottom slice
    p.poly([(0.0, 0.75), (1.0, 0.75), (1.0, 0.05)], (80, 175, 60))           # lettuce
    p.poly([(0.08, 0.6), (1.0, 0.6), (1.0, 0.1)], (215, 50, 40))             # tomato
    p.poly([(0.15, 0.5), (1.0, 0.5), (1.0, 0.0)], c)                         # top slice
    p.line((0.15, 0.5), (1.0, 0.0), shade(c, 0.6))


def draw_shoe(p: BoxPainter, c: Colour, v: Variant) -> None:
    f = v.get("facing", 1.0)
    heel, toe = (0.0, 1.0) if f > 0 else (1.0, 0.0)
    p.rect(0.0, 0.78, 1.0, 1.0, (240, 240, 240))
    p.poly([(heel, 0.78), (heel, 0.0), (heel + (toe - heel) * 0.45, 0.15), (toe, 0.5),
            (toe, 0.78)], c)
    for k in (0.4, 0.55, 0.7):
        u = heel + (toe - heel) * k
        p.line((u, 0.2), (u + (toe - heel) * 0.06, 0.4), (245, 245, 245))


def draw_towel(p: BoxPainter, c: Colour, v: Variant) -> None:
    p.rect(0.0, 0.0, 1.0, 0.92, c)
    for row in (0.2, 0.7):
        p.rect(0.0, row, 1.0, row + 0.07, WHITE)
    for u in np.linspace(0.05, 0.95, 6):
        p.line((u, 0.92), (u, 1.0), shade(c, 0.8))
