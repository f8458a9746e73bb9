"""The second pass of :mod:`~sgfb.synthetic.simulate`: hands and gaze.

Pick-ups before one-handed actions, the phases' grips, putting objects down right after the
action (a picked-up cup stays in the hand for the drink that follows), where portable objects
rest until first used (on the table at a desk, on a seat, on the floor or in a pocket), and
idle gaze (at an object, at the camera, away) where no action owns it.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

from sgfb.synthetic.room import Room, is_fixed
from sgfb.synthetic.schedule import ScheduledAction, phase_times
from sgfb.synthetic.scripts import (
    ATTACHED_GRIPS, GAZE, GAZE_AWAY, GAZE_FRONT, HOLD, KNOB, LEFT, LIE, PLACE, REACH, RIGHT, SIT, TABLE, TOUCH, HandUse,
)
from sgfb.synthetic.tracks import POCKET, BodyState, RestPlace, StepTrack, World

PLACE_SECONDS = 0.3
#: Idle gaze: how long one glance lasts and how often it goes to the camera / away / an object.
IDLE_GAZE_SECONDS = (0.8, 2.5)
IDLE_GAZE_PROBABILITIES = (0.2, 0.45, 0.35)
#: Objects an action fetches from a table when the room has one.
TABLE_ITEMS = frozenset({"cup/glass/bottle", "book", "sandwich", "phone/camera", "laptop",
                         "paper/notebook", "dish", "food", "medicine"})
#: Objects kept in a pocket (out of view) when not in the hand.
POCKET_ITEMS = frozenset({"phone/camera"})
#: Objects that may rest on a bed or sofa next to the person.
SEAT_ITEMS = TABLE_ITEMS | {"clothes", "pillow", "blanket", "towel", "bag"}
#: Draw-order depths (see :mod:`~sgfb.synthetic.scenes`).
DEPTH_ON_SEAT = 1.2
DEPTH_ON_TABLE = 1.8

def use_hands(world: World) -> List[Tuple[float, float, str]]:
    """Write hands, gaze, worn and door tracks; returns the soft gazes (t0, t1, value) that
    apply where no action owns the gaze."""
    soft: List[Tuple[float, float, str]] = []
    for action in world.plan:
        script = action.script
        start = world.phase_starts.get(action, action.start)
        held = world.hands[RIGHT].at(max(0.0, start - 1e-3))
        in_hand = held is not None and held.obj == script.in_hand and held.grip in ATTACHED_GRIPS
        if script.in_hand and not in_hand:
            _ensure_rest(world, script.in_hand, start)
            pick_up_end = start + 0.25 * (action.end - start)
            mid = (start + pick_up_end) / 2
            world.hands[RIGHT].set_between(start, mid, HandUse(script.in_hand, REACH))
            world.hands[RIGHT].set_between(mid, pick_up_end, HandUse(script.in_hand, TOUCH))
            start = pick_up_end
        gaze: Optional[str] = None
        for (p0, p1), phase in zip(phase_times(action, script.phases, start), script.phases):
            for hand, use in ((RIGHT, phase.right), (LEFT, phase.left)):
                if hand in script.resources:
                    if use is not None and not is_fixed(use.obj) and use.obj != KNOB:
                        _ensure_rest(world, use.obj, p0)
                    world.hands[hand].set_between(p0, p1, use)
            if phase.gaze is not None:
                if GAZE in script.resources:
                    gaze = phase.gaze
                else:
                    soft.append((p0, p1, phase.gaze))
            if GAZE in script.resources and gaze is not None:
                world.gaze.set_between(p0, p1, gaze)
            if phase.wear is not None:
                world.worn.set_from(p0, world.worn.at(p0) | {phase.wear})
            if phase.open_to is not None:
                name, target = phase.open_to
                track = world.openness[name]
                track.add(p0, track.at(p0))
                track.add(p1, target)
        _after_action(world, action)
    return soft


def _after_action(world: World, action: ScheduledAction) -> None:
    """Keep or put down what the action's hands still hold when it ends."""
    put_down = set()
    for hand, use in _held_at_end(action):
        if use.obj in put_down:
            continue
        nxt = _kept_for(world, action, hand, use.obj)
        if nxt is not None:
            world.hands[hand].set_between(action.end, nxt.start, HandUse(use.obj, HOLD))
            continue
        put_down.add(use.obj)
        release = action.end
        world.rests[use.obj].set_from(release, _rest_near(world, use.obj, release))
        world.hands[hand].set_between(release, release + PLACE_SECONDS, HandUse(use.obj, PLACE))
        other = LEFT if hand == RIGHT else RIGHT
        other_use = world.hands[other].at(release)
        if other_use is not None and other_use.obj == use.obj:
            world.hands[other].set_between(release, release + PLACE_SECONDS, None)


def _held_at_end(action: ScheduledAction) -> List[Tuple[str, HandUse]]:
    """(hand, use) of the objects in the action's hands when its last phase ends."""
    last = action.script.phases[-1]
    return [(hand, use) for hand, use in ((RIGHT, last.right), (LEFT, last.left))
            if hand in action.script.resources and use is not None and use.grip in ATTACHED_GRIPS]


def _kept_for(world: World, action: ScheduledAction, hand: str,
              obj: str) -> Optional[ScheduledAction]:
    """The next action of ``hand`` if it needs ``obj`` in that hand and the action keeps it
    (a picked-up cup is drunk from); None when the object is put down at the action's end."""
    if obj not in action.script.keeps:
        return None
    following = [a for a in world.plan if a is not action and a.start >= action.end - 1e-6
                 and hand in a.script.resources]
    nxt = min(following, key=lambda a: a.start) if following else None
    if nxt is not None and nxt.script.in_hand == obj and hand == RIGHT:
        return nxt
    return None


def puts_down(world: World, action: ScheduledAction) -> bool:
    """Whether the action ends by putting something down (the person stays for that)."""
    return any(_kept_for(world, action, hand, use.obj) is None
               for hand, use in _held_at_end(action))


def _ensure_rest(world: World, name: str, t: float) -> None:
    """Give portable ``name`` a resting place within reach of the person at ``t`` (if it has
    none yet); it rests there from the start of the video."""
    if name not in world.rests:
        world.rests[name] = StepTrack(_rest_near(world, name, t))


def _rest_near(world: World, name: str, t: float) -> RestPlace:
    """A place for ``name`` within reach of where the person is at ``t``."""
    room, P = world.room, world.room.person_height
    body: BodyState = world.body.at(t)
    x, f = body.x_at(t), body.facing
    if name in POCKET_ITEMS:
        return RestPlace(x, 0.0, POCKET, 0.0, on=POCKET)
    if TABLE in room.fixed and name in TABLE_ITEMS:
        table = room.fixed[TABLE]
        half = room.size(TABLE, "mid")[0] / 2
        if abs(table.x - x) < half + 0.3 * P:
            item_half = room.size(name, "mid")[0] / 2
            lo, hi = table.x - half + item_half, table.x + half - item_half
            spot = float(np.clip(x + f * 0.2 * P, lo, hi))
            return RestPlace(spot, room.surface_y(TABLE), "mid", DEPTH_ON_TABLE, on=TABLE)
    if body.pose in (SIT, LIE) and body.seat in ("bed", "sofa/couch") and name in SEAT_ITEMS:
        seat = room.fixed[body.seat]
        half = room.size(body.seat, "mid")[0] / 2
        spot = float(np.clip(x - f * 0.3 * P, seat.x - half * 0.8, seat.x + half * 0.8))
        return RestPlace(spot, room.surface_y(body.seat), "mid", DEPTH_ON_SEAT, on=body.seat)
    spot = float(np.clip(x + f * 0.3 * P, 0.1 * P, room.room_width - 0.1 * P))
    return RestPlace(spot, room.planes["mid"].ground_y, "mid", DEPTH_ON_SEAT)


def random_rest(rng: np.random.Generator, room: Room, name: str) -> RestPlace:
    """A resting place for a distractor: a surface in the room or a floor plane."""
    P = room.person_height
    surfaces = [s for s in ("table", "bed", "sofa/couch", "shelf") if s in room.fixed]
    if surfaces and rng.random() < 0.5:
        on = surfaces[int(rng.integers(len(surfaces)))]
        box = room.fixed_box(on)
        plane = "back" if on == "shelf" else "mid"
        half = room.size(name, plane)[0] / 2
        x = rng.uniform(box[0] + half, max(box[0] + half, box[2] - half))
        if on == "shelf":
            return RestPlace(x, box[1] + 0.25 * (box[3] - box[1]), "back", 0.6, on=on)
        depth = DEPTH_ON_TABLE if on == "table" else DEPTH_ON_SEAT
        return RestPlace(x, room.surface_y(on), plane, depth, on=on)
    plane = ("back", "mid", "front")[int(rng.choice(3, p=(0.3, 0.35, 0.35)))]
    x = rng.uniform(0.2 * P, room.room_width - 0.2 * P)
    depth = {"back": 0.4, "mid": DEPTH_ON_SEAT, "front": room.planes["front"].depth}[plane]
    return RestPlace(x, room.planes[plane].ground_y, plane, depth)


# ---------------------------------------------------------------------------- gaze
def fill_gaze(rng: np.random.Generator, world: World,
               soft: Sequence[Tuple[float, float, str]]) -> None:
    """Soft gazes, then idle glances, wherever no action set the gaze."""
    for t0, t1, value in soft:
        for a, b in _unset_intervals(world.gaze, t0, t1):
            world.gaze.set_between(a, b, value)
    targets = [o for o in world.objects if o != "floor"]
    for a, b in _unset_intervals(world.gaze, 0.0, world.seconds + 1.0):
        t = a
        while t < b:
            end = min(b, t + rng.uniform(*IDLE_GAZE_SECONDS))
            kind = int(rng.choice(3, p=IDLE_GAZE_PROBABILITIES))
            if kind == 2 and targets:
                value = targets[int(rng.integers(len(targets)))]
            else:
                value = GAZE_FRONT if kind == 0 else GAZE_AWAY
            world.gaze.set_between(t, end, value)
            t = end


def _unset_intervals(track: StepTrack, t0: float, t1: float) -> List[Tuple[float, float]]:
    """Sub-intervals of [t0, t1) where ``track`` is None."""
    points = [t0] + [t for t in track.change_times() if t0 < t < t1] + [t1]
    return [(a, b) for a, b in zip(points[:-1], points[1:]) if b > a and track.at(a) is None]
