"""Drawing of the person: a stick figure with volume (legs, torso, arms, head with a face that
shows where the person looks).

Works on RGB ``[H, W, 3]`` uint8 frames and, with :func:`person_mask`, on a single-channel
``[H, W]`` uint8 mask (255 on the person) used to decide which objects the person hides.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import cv2
import numpy as np

from sgfb.synthetic.skeleton import Skeleton

AA = cv2.LINE_AA
Colour = Tuple[int, ...]

SKIN_TONES = ((240, 200, 170), (225, 180, 140), (190, 140, 100), (150, 100, 70), (105, 70, 50))
HAIR_COLOURS = ((30, 25, 20), (80, 50, 30), (150, 110, 60), (200, 170, 110), (120, 120, 120))


@dataclass(frozen=True)
class PersonLook:
    """Colours of one person: skin, hair, shirt, trousers, socks."""

    skin: Colour
    hair: Colour
    shirt: Colour
    trousers: Colour
    socks: Colour = (70, 70, 80)

    @staticmethod
    def random(rng: np.random.Generator) -> "PersonLook":
        def any_colour(lo: int, hi: int) -> Colour:
            hsv = np.uint8([[[rng.integers(0, 180), rng.integers(40, 200), rng.integers(lo, hi)]]])
            return tuple(int(v) for v in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])
        return PersonLook(
            skin=SKIN_TONES[int(rng.integers(len(SKIN_TONES)))],
            hair=HAIR_COLOURS[int(rng.integers(len(HAIR_COLOURS)))],
            shirt=any_colour(60, 230), trousers=any_colour(40, 160))

    @staticmethod
    def mask() -> "PersonLook":
        white = (255,)
        return PersonLook(white, white, white, white, white)


def _p(v: np.ndarray) -> Tuple[int, int]:
    return int(round(v[0])), int(round(v[1]))


def draw_person(img: np.ndarray, skel: Skeleton, look: PersonLook, details: bool = True) -> None:
    """Paint the person in place; ``details`` adds the face (left out for masks)."""
    P = skel.P
    pt = skel.point
    leg_w = max(2, int(round(0.065 * P)))
    arm_w = max(2, int(round(0.045 * P)))
    for side in ("left", "right"):
        hip, knee, ankle = pt(f"{side}_hip"), pt(f"{side}_knee"), pt(f"{side}_ankle")
        cv2.line(img, _p(hip), _p(knee), look.trousers, leg_w, AA)
        cv2.line(img, _p(knee), _p(ankle), look.trousers, leg_w, AA)
        foot = ankle + [skel.facing * 0.035 * P, 0.0]
        cv2.line(img, _p(ankle), _p(foot), look.socks, max(2, int(0.045 * P)), AA)
    ls, rs, lh, rh = pt("left_shoulder"), pt("right_shoulder"), pt("left_hip"), pt("right_hip")
    out = np.array([0.03 * P, 0.0]) * (1 if ls[0] >= rs[0] else -1)
    torso = np.array([ls + out, rs - out, rh - out * 0.6, lh + out * 0.6])
    cv2.fillPoly(img, [np.round(torso).astype(np.int32)], look.shirt, AA)
    neck_top = skel.head + (0.5 * (ls + rs) - skel.head) * 0.35
    cv2.line(img, _p(0.5 * (ls + rs)), _p(neck_top), look.skin, max(2, int(0.04 * P)), AA)
    for side in ("left", "right"):
        s, e, w = pt(f"{side}_shoulder"), pt(f"{side}_elbow"), pt(f"{side}_wrist")
        cv2.line(img, _p(s), _p(e), look.shirt, arm_w, AA)
        cv2.line(img, _p(e), _p(w), look.skin, max(2, arm_w - 1), AA)
        cv2.circle(img, _p(w), max(1, int(round(0.024 * P))), look.skin, -1, AA)
    r = max(2, int(round(skel.head_radius)))
    cv2.circle(img, _p(skel.head), r, look.skin, -1, AA)
    if skel.gaze is None:
        cv2.ellipse(img, _p(skel.head - [0, 0.35 * r]), (r, int(0.7 * r)), 0, 180, 360,
                    look.hair, -1, AA)
    else:
        back = skel.head - skel.gaze * 0.35 * r - [0, 0.25 * r]
        cv2.circle(img, _p(back), max(1, int(round(0.8 * r))), look.hair, -1, AA)
    if not details:
        return
    if skel.gaze is None:
        for eye in ("left_eye", "right_eye"):
            cv2.circle(img, _p(pt(eye)), max(1, int(round(0.14 * r))), (20, 20, 20), -1, AA)
        mouth = skel.head + [0, 0.5 * r]
        cv2.line(img, _p(mouth - [0.3 * r, 0]), _p(mouth + [0.3 * r, 0]), (150, 60, 60), 1, AA)
        return
    g = skel.gaze
    normal = np.array([-g[1], g[0]])
    tip = skel.head + g * 1.3 * r
    base_a = skel.head + g * 0.75 * r + normal * 0.28 * r
    base_b = skel.head + g * 0.75 * r - normal * 0.28 * r
    cv2.fillPoly(img, [np.round(np.array([tip, base_a, base_b])).astype(np.int32)],
                 tuple(int(c * 0.9) for c in look.skin), AA)
    cv2.circle(img, _p(pt("left_eye")), max(1, int(round(0.16 * r))), (20, 20, 20), -1, AA)


def person_mask(skel: Skeleton, size: Tuple[int, int]) -> np.ndarray:
    """``[H, W]`` uint8 mask, 255 where the person is drawn; ``size`` is (W, H)."""
    mask = np.zeros((size[1], size[0]), np.uint8)
    draw_person(mask, skel, PersonLook.mask(), details=False)
    return mask
