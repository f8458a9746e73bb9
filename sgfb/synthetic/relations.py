"""Read the Action Genome relationships and boxes off a composed scene.

- attention (person -> object): ``looking_at`` the gaze target, ``unsure`` while the face
  looks at the camera, ``not_looking_at`` otherwise; exactly one per object.
- contacting (person -> object): from the hands' grips (see :mod:`.scripts`), the seat
  (``sitting_on``, ``lying_on``), the floor under the feet (``standing_on``) and what is worn.
- spatial (object -> person), from the drawn geometry: an object drawn over the person and
  overlapping it horizontally is ``in_front_of``, one drawn under it ``behind`` (and also
  ``on_the_side_of`` when its centre is beside the person), one beside it ``on_the_side_of``;
  ``beneath`` when its top is below the person's knees (or it is the seat or the floor),
  ``above`` when its bottom is above the head.

An object is visible when at least :data:`MIN_INSIDE` of its box is inside the frame and
the person does not hide it; its box is then clipped to the frame.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import numpy as np

from sgfb.synthetic.scenes import DEPTH_PERSON, Scene
from sgfb.synthetic.scripts import (
    CARRY, EAR, GAZE_FRONT, HOLD, KNOB, LEAN, MOUTH, PLACE, PULL, READ, SWEEP, TOUCH, TWIST, TYPE,
)

#: Share of an object's box that must be inside the frame for it to count as visible.
MIN_INSIDE = 0.6
#: Share of an object's box the person's silhouette must cover to hide it.
HIDDEN_BY_PERSON = 0.75
#: Share of the person's box that must be inside the frame for a person box.
PERSON_MIN_INSIDE = 0.3
#: Horizontal overlap (share of the narrower box) that makes an object in front of / behind.
MIN_OVERLAP = 0.15

GRIP_CONTACTS: Dict[str, Tuple[str, ...]] = {
    TOUCH: ("touching",), HOLD: ("holding",), READ: ("holding",), EAR: ("holding",),
    CARRY: ("carrying",), SWEEP: ("holding",), TWIST: ("twisting",), PULL: ("holding",),
    TYPE: ("touching",), LEAN: ("leaning_on",), PLACE: ("touching",),
}


def clip_box(box: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """xyxy ``box`` clipped to a frame of ``size`` = (W, H)."""
    w, h = size
    return np.array([np.clip(box[0], 0, w), np.clip(box[1], 0, h),
                     np.clip(box[2], 0, w), np.clip(box[3], 0, h)])


def area(box: np.ndarray) -> float:
    """Area of an xyxy box (0 when empty)."""
    return max(0.0, float(box[2] - box[0])) * max(0.0, float(box[3] - box[1]))


def person_box(scene: Scene) -> Optional[np.ndarray]:
    """The person's xyxy box clipped to the frame, or None when the person is out of view."""
    box = scene.skeleton.box()
    inside = clip_box(box, scene.size)
    if area(box) <= 0 or area(inside) < PERSON_MIN_INSIDE * area(box):
        return None
    return inside


def object_visible(scene: Scene, name: str, person_mask: Optional[np.ndarray]) -> bool:
    """Whether object ``name`` shows in the frame (not out of view, not in a pocket, not
    hidden behind the person)."""
    obj = scene.objects.get(name)
    if obj is None:
        return False
    inside = clip_box(obj.box, scene.size)
    if area(inside) < MIN_INSIDE * area(obj.box) or min(inside[2] - inside[0],
                                                        inside[3] - inside[1]) < 2:
        return False
    if person_mask is not None and obj.depth < DEPTH_PERSON and name != "floor":
        x0, y0, x1, y1 = [int(round(v)) for v in inside]
        patch = person_mask[y0:y1, x0:x1]
        if patch.size and float(patch.mean()) / 255.0 >= HIDDEN_BY_PERSON:
            return False
    return True


def attention(scene: Scene, name: str) -> List[str]:
    """The attention relationship (one) of the person toward object ``name``."""
    gaze = scene.state.gaze
    if gaze == name:
        return ["looking_at"]
    if gaze == GAZE_FRONT:
        return ["unsure"]
    return ["not_looking_at"]


def contacting(scene: Scene, name: str) -> List[str]:
    """The contacting relationships of the person with object ``name`` (``not_contacting``
    when there is none)."""
    state = scene.state
    labels: List[str] = []
    for _, use in state.uses():
        if use.obj == name:
            if use.grip == MOUTH:
                labels += ["holding", "drinking_from" if name == "cup/glass/bottle" else "eating"]
            else:
                labels += GRIP_CONTACTS.get(use.grip, ())
        elif use.obj == KNOB and name == "door" and use.grip == TWIST:
            labels.append("touching")
    body = state.body
    if body.seat == name:
        labels.append("sitting_on" if body.pose == "sit" else "lying_on")
        if body.lean_back:
            labels.append("leaning_on")
    if name == "floor":
        if body.pose in ("stand", "walk"):
            labels.append("standing_on")
        elif body.pose == "sit":
            labels.append("touching")
    if name in state.worn:
        labels.append("wearing")
    out = list(dict.fromkeys(labels))
    return out or ["not_contacting"]


def spatial(scene: Scene, name: str) -> List[str]:
    """The spatial relationships of object ``name`` to the person, from the scene's boxes,
    keypoints and drawing order."""
    obj = scene.objects[name]
    skeleton = scene.skeleton
    body = scene.state.body
    if name == "floor":
        return ["beneath"]
    if obj.attached or name in scene.state.worn:
        return ["in_front_of"]
    pbox = skeleton.box()
    box = obj.box
    labels: List[str] = []
    knee_y = max(skeleton.point("left_knee")[1], skeleton.point("right_knee")[1])
    if body.seat == name:
        labels.append("beneath")
    elif box[3] <= pbox[1] + 0.02 * skeleton.P:
        labels.append("above")
    overlap = min(box[2], pbox[2]) - max(box[0], pbox[0])
    narrow = max(1e-6, min(box[2] - box[0], pbox[2] - pbox[0]))
    if overlap / narrow >= MIN_OVERLAP:
        if body.seat != name and box[1] >= knee_y and body.pose in ("stand", "walk"):
            labels.append("beneath")
        labels.append("in_front_of" if obj.depth > DEPTH_PERSON else "behind")
        centre = (box[0] + box[2]) / 2
        if (centre < pbox[0] or centre > pbox[2]) and body.seat != name:
            labels.append("on_the_side_of")
    elif not labels:
        labels.append("on_the_side_of")
    return list(dict.fromkeys(labels))
