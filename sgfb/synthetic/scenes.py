"""Where everything is at one instant: the person's skeleton and every object's box.

:func:`compose_scene` reads the world's tracks at time ``t`` and lays the scene out so that
it follows the relationships: a held object sits in the hand, a cup being drunk from at the
mouth, a worn shoe on the foot, a seat under the hips, a looked-at object on the line of the
face; a touched object's contact point is where the hand goes (the person bends for low
ones). For ``TRANSITION_SECONDS`` after any change the layout blends from the previous state's
layout, so objects travel between the rest place and the hand instead of jumping.

Every position in a :class:`Scene` is in *frame pixels* (x right, y down; the camera ``shift``
already subtracted); boxes are xyxy and may reach outside the frame.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Tuple

import numpy as np

from sgfb.synthetic.room import Room, is_fixed
from sgfb.synthetic.scripts import (
    ATTACHED_GRIPS, CARRY, EAR, GAZE_AWAY, GAZE_FRONT, HOLD, KNOB, LEAN, LEFT, MOUTH, READ,
    REACH, RIGHT, SWEEP, HandUse,
)
from sgfb.synthetic.tracks import DEPTH_PERSON, POCKET, BodyState, RestPlace, World
from sgfb.synthetic.skeleton import (
    KEYPOINT_NAMES, BodyPose, Skeleton, build_skeleton, look, torso,
)

TRANSITION_SECONDS = 0.3
DEPTH_ATTACHED = 2.0
DEPTH_WORN = 1.6
FIXED_DEPTH = {"wall": -0.5, "back": 0.0, "mid": 1.0}
#: Mid-plane furniture drawn in front of the person (the person's legs go under a table).
IN_FRONT_FURNITURE = {"table": 1.7}


@dataclass(frozen=True)
class WorldState:
    """The tracks' values at one instant."""

    body: BodyState
    right: Optional[HandUse]
    left: Optional[HandUse]
    gaze: Optional[str]
    worn: FrozenSet[str]
    rests: Dict[str, RestPlace]
    openness: Dict[str, float]

    def uses(self) -> List[Tuple[str, HandUse]]:
        return [(h, u) for h, u in ((RIGHT, self.right), (LEFT, self.left)) if u is not None]

    def attached(self) -> Dict[str, str]:
        """Objects that move with a hand -> their grip."""
        return {u.obj: u.grip for _, u in self.uses() if u.grip in ATTACHED_GRIPS}


def state_at(world: World, t: float) -> WorldState:
    return WorldState(
        body=world.body.at(t), right=world.hands[RIGHT].at(t), left=world.hands[LEFT].at(t),
        gaze=world.gaze.at(t), worn=world.worn.at(t),
        rests={name: track.at(t) for name, track in world.rests.items()},
        openness={name: track.at(t) for name, track in world.openness.items()},
    )


@dataclass
class PlacedObject:
    """One object at one instant: ``box`` xyxy frame pixels, ``depth`` draw order (the person
    is at 1.5; larger is nearer the camera), drawing parameters in ``variant``."""

    name: str
    box: np.ndarray
    depth: float
    variant: Dict[str, float] = field(default_factory=dict)
    attached: bool = False

    def blend(self, other: "PlacedObject", w: float) -> "PlacedObject":
        variant = dict(other.variant)
        for key, value in self.variant.items():
            if key in variant:
                variant[key] = (1 - w) * value + w * variant[key]
        return PlacedObject(self.name, (1 - w) * self.box + w * other.box, other.depth,
                            variant, other.attached)


@dataclass
class Scene:
    """Person and objects at time ``time``, frame pixels; ``state`` holds the relationships
    (during a transition, those of the state the layout is closer to). ``shift``: (x, y)
    room pixel shown at frame pixel (0, 0)."""

    time: float
    state: WorldState
    skeleton: Skeleton
    objects: Dict[str, PlacedObject]
    shift: Tuple[int, int]
    horizon_y: float
    size: Tuple[int, int]


def compose_scene(world: World, t: float, shift: Tuple[int, int],
                  change_times: Optional[List[float]] = None) -> Scene:
    """The scene at time ``t`` seen with camera ``shift`` (room pixel at frame (0, 0))."""
    if change_times is None:
        change_times = world.change_times()
    state = state_at(world, t)
    labelled = state
    skeleton, objects = _layout(world, state, t)
    i = bisect.bisect_right(change_times, t) - 1
    if i >= 0 and t - change_times[i] < TRANSITION_SECONDS:
        w = (t - change_times[i]) / TRANSITION_SECONDS
        w = w * w * (3 - 2 * w)
        before = state_at(world, change_times[i] - 1e-6)
        skel0, objects0 = _layout(world, before, t)
        skeleton = skel0.blend(skeleton, w)
        objects = {name: objects0[name].blend(obj, w) if name in objects0 else obj
                   for name, obj in objects.items()}
        # Objects put on in this change travel from the hand to the body with the blend.
        _on_body(world, state, skeleton, t, objects, state.worn & before.worn)
        if w < 0.5:     # the relationships of the state the picture is still closer to
            labelled = before
    dx, dy = shift
    skeleton = skeleton.shifted(-dx, -dy)
    d = np.array([dx, dy, dx, dy], np.float64)
    placed = {name: PlacedObject(o.name, o.box - d, o.depth, _shift_variant(o.variant, dx, dy),
                                 o.attached)
              for name, o in objects.items()}
    room = world.room
    if "floor" in world.objects:
        placed["floor"] = PlacedObject("floor", np.array(
            [0.0, room.horizon_y - dy, float(room.width), float(room.height)]), -1.0)
    return Scene(t, labelled, skeleton, placed, shift, room.horizon_y - dy,
                 (room.width, room.height))


def _shift_variant(variant: Dict[str, float], dx: float, dy: float) -> Dict[str, float]:
    """Variant entries named ``*_x`` / ``*_y`` are positions: move them with the camera."""
    out = dict(variant)
    for key in variant:
        if key.endswith("_x"):
            out[key] -= dx
        elif key.endswith("_y"):
            out[key] -= dy
    return out


# ---------------------------------------------------------------------------- layout
def _layout(world: World, state: WorldState, t: float) -> Tuple[Skeleton, Dict[str, PlacedObject]]:
    """Skeleton and object boxes in room pixels for ``state`` at ``t``."""
    room, P = world.room, world.room.person_height
    body = _body_pose(room, state.body, t)
    base = torso(body)
    objects: Dict[str, PlacedObject] = {}
    attached = state.attached()
    for name in world.objects:
        if name == "floor" or name == KNOB or name in attached:
            continue
        if is_fixed(name):
            objects[name] = _fixed(room, name, state, t)
        elif name in state.worn:
            objects[name] = _worn(room, name, base, body.facing)
        elif name in state.rests and state.rests[name].on != POCKET:
            objects[name] = _resting(room, name, state.rests[name])
    if KNOB in world.objects and "door" in objects:
        objects[KNOB] = _knob(room, objects["door"])
    targets: Dict[str, Optional[np.ndarray]] = {RIGHT: None, LEFT: None}
    holders = {}
    for hand, use in state.uses():
        if use.grip in ATTACHED_GRIPS:
            targets[hand] = _hand_target(room, use, hand, base, body, objects)
            holders.setdefault(use.obj, targets[hand])
    for hand, use in state.uses():
        if use.grip in ATTACHED_GRIPS:
            continue
        if use.obj in holders:      # the other hand steadies an object this hand holds
            width = room.size(use.obj, "mid")[0]
            targets[hand] = holders[use.obj] + [-body.facing * 0.3 * width, 0.02 * P]
        elif state.rests.get(use.obj) is not None and state.rests[use.obj].on == POCKET:
            targets[hand] = base["right_hip"] + [body.facing * 0.03 * P, 0.0]
        else:
            targets[hand] = _hand_target(room, use, hand, base, body, objects)
    skeleton = build_skeleton(body, targets)
    _on_body(world, state, skeleton, t, objects, state.worn)
    if state.gaze in (GAZE_FRONT, GAZE_AWAY):
        look(skeleton, None, "front" if state.gaze == GAZE_FRONT else "away")
    elif state.gaze == "floor":
        look(skeleton, np.array([body.x + body.facing * 0.45 * P, body.ground_y]), None)
    elif state.gaze in objects:
        box = objects[state.gaze].box
        look(skeleton, np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2]), None)
    return skeleton, objects


def _body_pose(room: Room, body: BodyState, t: float) -> BodyPose:
    x = body.x_at(t)
    seat_y = room.surface_y(body.seat) if body.seat is not None else 0.0
    return BodyPose(body.pose, x, room.planes["mid"].ground_y, room.person_height, body.facing,
                    seat_y=seat_y, walked=abs(x - body.x0), lean_back=body.lean_back)


def _fixed(room: Room, name: str, state: WorldState, t: float) -> PlacedObject:
    obj = room.fixed[name]
    box = room.fixed_box(name)
    depth = IN_FRONT_FURNITURE.get(name, FIXED_DEPTH[obj.plane])
    variant = {"facing": float(obj.facing), "time": t}
    if name in state.openness:
        variant["open"] = state.openness[name]
    return PlacedObject(name, box, depth, variant)


def _resting(room: Room, name: str, rest: RestPlace) -> PlacedObject:
    box = room.box_on(name, rest.plane, rest.x, rest.bottom_y)
    variant = {"resting": 1.0}
    if name in ("broom", "vacuum"):
        k = room.person_height * room.planes[rest.plane].scale
        variant.update(foot_x=rest.x, foot_y=rest.bottom_y, top_x=rest.x, top_y=box[1],
                       head_w=(0.14 if name == "broom" else 0.2) * k,
                       head_h=(0.08 if name == "broom" else 0.1) * k, facing=1.0)
    return PlacedObject(name, box, rest.depth, variant)


def _knob(room: Room, door: PlacedObject) -> PlacedObject:
    """The door knob at the door's free edge, half way up (it moves as the door opens)."""
    x, y = door_free_edge(door)
    w, h = room.size(KNOB, "back")
    return PlacedObject(KNOB, np.array([x - w / 2, y - h / 2, x + w / 2, y + h / 2]),
                        door.depth + 0.05)


def door_free_edge(door: PlacedObject, height: float = 0.5) -> Tuple[float, float]:
    """Point on a door's (or refrigerator's) free edge, ``height`` of the way up from the
    bottom, given its opening ``variant["open"]`` (0 closed .. 1 fully open): the panel turns
    on its hinge into the room behind, so its free edge moves toward the hinge."""
    x0, y0, x1, y1 = door.box
    knob_side = 1.0 if door.variant.get("facing", 1.0) > 0 else -1.0
    opened = door.variant.get("open", 0.0)
    w = x1 - x0
    hinge = x0 if knob_side > 0 else x1
    x = hinge + knob_side * (0.88 * w) * math.cos(opened * math.pi / 2)
    shrink = 0.04 * (y1 - y0) * math.sin(opened * math.pi / 2)
    y = (y1 - shrink) - height * (y1 - y0 - 2 * shrink)
    return x, y


def _worn(room: Room, name: str, points: Dict[str, np.ndarray], facing: int) -> PlacedObject:
    """A worn object on the body ``points`` (keypoint name -> xy; elbows optional): clothes
    over the torso and upper arms, a shoe on the right foot."""
    P = room.person_height
    variant = {"worn": 1.0, "facing": float(facing)}
    if name == "clothes":
        pad = 0.035 * P
        corners = [points["left_shoulder"], points["right_shoulder"], points["left_hip"],
                   points["right_hip"]]
        corners = [c + [0.0, 0.04 * P] if i >= 2 else c for i, c in enumerate(corners)]
        for side in ("left", "right"):
            if f"{side}_elbow" in points:
                s, e = points[f"{side}_shoulder"], points[f"{side}_elbow"]
                corners.append(s + 0.6 * (e - s))
        xy = np.array(corners)
        lo, hi = xy.min(axis=0) - pad, xy.max(axis=0) + pad
        return PlacedObject(name, np.array([lo[0], lo[1], hi[0], hi[1]]), DEPTH_WORN, variant)
    ankle = points["right_ankle"]
    w, h = room.size(name, "mid")
    cx = ankle[0] + facing * 0.3 * w
    box = np.array([cx - w / 2, ankle[1] - h * 0.6, cx + w / 2, ankle[1] + h * 0.4])
    return PlacedObject(name, box, DEPTH_WORN, variant)


def _skeleton_points(skeleton: Skeleton) -> Dict[str, np.ndarray]:
    return {name: skeleton.keypoints[i] for i, name in enumerate(KEYPOINT_NAMES)}


def _on_body(world: World, state: WorldState, skeleton: Skeleton, t: float,
             objects: Dict[str, PlacedObject], worn: FrozenSet[str]) -> None:
    """Place held objects and the ``worn`` ones on ``skeleton`` (again after blending, so
    that they stay in the hands and on the body)."""
    body = _body_pose(world.room, state.body, t)
    for name, grip in state.attached().items():
        objects[name] = _attached(world.room, name, grip, state, skeleton, body, t)
    points = _skeleton_points(skeleton)
    for name in worn:
        if name in objects and name not in state.attached():
            objects[name] = _worn(world.room, name, points, body.facing)


def _contact_point(room: Room, name: str, grip: str, body: BodyPose,
                   base: Dict[str, np.ndarray], objects: Dict[str, PlacedObject]) -> np.ndarray:
    """Where a hand touches object ``name``."""
    P, f = room.person_height, body.facing
    obj = objects.get(name)
    if name == "chair" and grip == LEAN:
        return np.array([base["hip"][0] - f * 0.05 * P, body.seat_y - 0.005 * P])
    if obj is None:
        return base["shoulder"] + [f * 0.2 * P, 0.2 * P]
    x0, y0, x1, y1 = obj.box
    if name == "chair":
        back_x = room.fixed["chair"].x - room.fixed["chair"].facing * 0.11 * P
        return np.array([back_x, y0 + 0.02 * P])
    if name in ("door", "refrigerator"):
        return np.array(door_free_edge(obj, 0.5 if name == "door" else 0.55))
    if name == KNOB:
        return np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    if name == "laptop":
        return np.array([(x0 + x1) / 2 - f * 0.1 * (x1 - x0), y1 - 0.15 * (y1 - y0)])
    if name in ("broom", "vacuum"):
        return np.array([(x0 + x1) / 2, y0 + 0.12 * (y1 - y0)])
    if name in ("table", "bed", "sofa/couch"):
        return np.array([float(np.clip(body.x + f * 0.25 * P, x0, x1)), y0 + 0.05 * (y1 - y0)])
    return np.array([(x0 + x1) / 2, y0 + 0.35 * (y1 - y0)])


def _hand_target(room: Room, use: HandUse, hand: str, base: Dict[str, np.ndarray],
                 body: BodyPose, objects: Dict[str, PlacedObject]) -> np.ndarray:
    """Where ``hand`` goes for ``use``: a place on the body for the grips that carry the
    object along (hold in front of the chest, at the mouth, at the ear, ...), the object's
    contact point otherwise."""
    P, f = room.person_height, body.facing
    shoulder, head = base["shoulder"], base["head"]
    r = 0.068 * P
    side = 1.0 if hand == RIGHT else -1.0
    grip = use.grip
    if grip == HOLD:
        if use.obj == "clothes":
            return shoulder + [f * 0.2 * P + side * 0.04 * P, 0.14 * P]
        return shoulder + [f * 0.19 * P, 0.15 * P]
    if grip == READ:
        return shoulder + [f * 0.21 * P, 0.04 * P]
    if grip == MOUTH:       # the object's near edge at the mouth, the hand under it
        w, h = room.size(use.obj, "mid")
        return head + [f * (0.3 * r + 0.45 * w), 0.55 * r + 0.3 * h]
    if grip == EAR:
        return head + [-f * 0.15 * r, 0.45 * r]
    if grip == CARRY:
        return base["hip"] + [f * 0.17 * P + side * 0.03 * P, -0.16 * P]
    if grip == SWEEP:
        return shoulder + ([f * 0.13 * P, 0.13 * P] if hand == RIGHT else [f * 0.2 * P, 0.25 * P])
    point = _contact_point(room, use.obj, grip, body, base, objects)
    if use.obj == "box" and grip != REACH:
        x0, _, x1, _ = objects["box"].box
        point = point + [side * 0.3 * (x1 - x0) * f, 0.0]
    if grip == REACH:       # short of the object
        return point + (base[f"{'right' if hand == RIGHT else 'left'}_shoulder"] - point) * 0.3
    return point


def _attached(room: Room, name: str, grip: str, state: WorldState, skeleton: Skeleton,
              body: BodyPose, t: float) -> PlacedObject:
    """Box of an object that moves with the hand(s)."""
    P, f = room.person_height, body.facing
    w, h = room.size(name, "mid")
    wrists = [skeleton.point(f"{hand}_wrist") for hand, use in state.uses()
              if use.obj == name and use.grip in ATTACHED_GRIPS]
    hand = np.mean(wrists, axis=0)
    variant: Dict[str, float] = {"facing": float(f), "held": 1.0}
    if grip == SWEEP:
        return _tool(room, name, hand, body, t)
    cx, cy = hand
    if grip == READ:
        cx, cy = cx + f * 0.02 * P, cy - 0.03 * P
        variant["open"] = 1.0
        w = w * 1.8
    elif grip == MOUTH:
        cy -= 0.3 * h
    elif grip == EAR:
        cy -= 0.1 * h
    elif grip == CARRY:
        cx, cy = cx + f * 0.03 * P, cy + 0.02 * P
    elif name == "cup/glass/bottle":
        cy -= 0.2 * h
    box = np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    return PlacedObject(name, box, DEPTH_ATTACHED, variant, attached=True)


def _tool(room: Room, name: str, hand: np.ndarray, body: BodyPose, t: float) -> PlacedObject:
    """A broom or vacuum cleaner pushed over the floor: its head on the floor ahead, its
    handle through the hands; ``variant`` carries the handle's foot and top points."""
    P, f = room.person_height, body.facing
    ground = body.ground_y
    sweep = math.sin(2 * math.pi * 1.6 * t)
    foot = np.array([body.x + f * (0.42 + 0.08 * sweep) * P, ground])
    direction = hand - foot
    direction = direction / max(1e-6, float(np.hypot(*direction)))
    top = hand + direction * 0.06 * P
    head_w = (0.14 if name == "broom" else 0.2) * P
    head_h = (0.08 if name == "broom" else 0.1) * P
    xs = [foot[0] - head_w / 2, foot[0] + head_w / 2, top[0]]
    ys = [ground, top[1]]
    box = np.array([min(xs), min(ys) - 0.01 * P, max(xs), max(ys) + 0.005 * P])
    variant = {"facing": float(f), "held": 1.0, "foot_x": foot[0], "foot_y": foot[1],
               "top_x": top[0], "top_y": top[1], "head_w": head_w, "head_h": head_h}
    return PlacedObject(name, box, DEPTH_ATTACHED, variant, attached=True)


__all__ = ["Scene", "PlacedObject", "WorldState", "compose_scene", "state_at", "door_free_edge",
           "DEPTH_PERSON"]
