"""Turn a video's action plan into time tracks: the body, the hands, the gaze, what is worn,
where portable objects rest and how far doors are open.

Two passes over the plan. The first, here, moves the body: between actions the person stands
up (if seated) and walks to the next station; each action's phases set the pose. The second
(:mod:`~sgfb.synthetic.hands`) writes hands and gaze. Portable objects that an action uses
rest, until then, within reach of where the person will be when first using them.
Positions are room pixels (see :mod:`~sgfb.synthetic.room`).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence, Tuple

import numpy as np

from sgfb.synthetic.catalog import FLOOR as FLOOR_PLACEMENT, spec
from sgfb.synthetic.room import Room, is_fixed
from sgfb.synthetic.hands import (PLACE_SECONDS, TABLE_ITEMS, fill_gaze, puts_down, random_rest,
                                  use_hands)
from sgfb.synthetic.schedule import ScheduledAction, phase_times
from sgfb.synthetic.scripts import (
    ANYWHERE, BODY, CHAIR, HERE, KNOB, LEFT, LIE, RIGHT, SIT, STAND, TABLE, WALK, Phase,
)
from sgfb.synthetic.tracks import BodyState, RampTrack, StepTrack, World

#: Walking speed, person heights per second, and the fastest walk when time is short.
WALK_SPEED = 1.4
MAX_WALK_SPEED = 2.8
#: Share of an action's interval the person may still spend walking to where it happens.
APPROACH_SHARE = 0.35
STAND_UP_SECONDS = 0.5
#: Chance that an action that can be done anywhere is done where the person already is.
STAY_PROBABILITY = 0.15
#: Random places compared when looking for a free spot in the room.
FREE_SPOT_CANDIDATES = 6
#: Chance that an action with a table item is done at the table when the room has one.
AT_TABLE_PROBABILITY = 0.4


def simulate(rng: np.random.Generator, room: Room, plan: Sequence[ScheduledAction],
             objects: Sequence[str], distractors: Sequence[str], seconds: float) -> World:
    """The tracks of one video; ``distractors`` are objects no action uses."""
    world = World(room=room, objects=tuple(objects), plan=list(plan), seconds=seconds,
                  body=StepTrack(_initial_body(rng, room, plan)),
                  hands={RIGHT: StepTrack(None), LEFT: StepTrack(None)},
                  gaze=StepTrack(None), worn=StepTrack(frozenset()))
    for name in objects:
        if name in ("door", "refrigerator"):
            world.openness[name] = RampTrack(0.0)
    for name in distractors:
        if not is_fixed(name) and spec(name).placement != FLOOR_PLACEMENT and name != KNOB:
            world.rests[name] = StepTrack(random_rest(rng, room, name))
    _move_body(rng, world)
    soft_gazes = use_hands(world)
    fill_gaze(rng, world, soft_gazes)
    return world


# ---------------------------------------------------------------------------- body
def _initial_body(rng: np.random.Generator, room: Room,
                  plan: Sequence[ScheduledAction]) -> BodyState:
    first = next((a for a in plan if not a.script.handheld), None)
    if first is not None and first.script.start_seated:     # the video opens seated
        chair = room.fixed[CHAIR]
        return BodyState(SIT, chair.x, chair.facing, seat=CHAIR)
    P = room.person_height
    x = rng.uniform(0.4 * P, room.room_width - 0.4 * P)
    return BodyState(STAND, x, int(rng.choice([-1, 1])))


def _move_body(rng: np.random.Generator, world: World) -> None:
    room, P = world.room, world.room.person_height
    state: BodyState = world.body.at(0.0)
    free_from = 0.0
    for action in world.plan:
        script = action.script
        if script.station == HERE and not _moves_for(rng, world, action, state):
            continue
        reach = max(1.5 * P, (action.start - free_from + APPROACH_SHARE * action.duration)
                    * WALK_SPEED * P)
        x, facing, keep_seat = _station(rng, world, action, state, reach)
        start = action.start
        if not keep_seat:
            state, start = _walk(world, state, free_from, action.start,
                                 action.start + APPROACH_SHARE * action.duration, x, facing)
            if start > action.start:
                world.phase_starts[action] = start
        for (p0, p1), phase in zip(phase_times(action, script.phases, start), script.phases):
            state = _pose_for_phase(world, action, phase, state, p0, p1)
            world.body.set_from(p0, state)
        free_from = action.end + (PLACE_SECONDS if puts_down(world, action) else 0.0)
    if world.seconds - free_from > 1.5 and state.pose in (STAND, WALK) and rng.random() < 0.6:
        x = rng.uniform(0.4 * P, room.room_width - 0.4 * P)
        _walk(world, state, free_from, world.seconds, world.seconds, x, int(rng.choice([-1, 1])))


def _moves_for(rng: np.random.Generator, world: World, action: ScheduledAction,
               state: BodyState) -> bool:
    """Whether the person goes somewhere else for a one-handed action: not while seated or
    lying, not when it overlaps an action of the body, else mostly."""
    if state.pose in (SIT, LIE):
        return False
    for other in world.plan:
        if other is not action and BODY in other.script.resources \
                and other.start < action.end and action.start < other.end:
            return False
    return rng.random() >= STAY_PROBABILITY


def _station(rng: np.random.Generator, world: World, action: ScheduledAction,
             state: BodyState, reach: float) -> Tuple[float, int, bool]:
    """(x, facing, stay) where ``action`` is done; ``stay``: the person stays seated. An
    action done anywhere picks a spot within ``reach`` pixels of the person."""
    room, P, script = world.room, world.room.person_height, action.script
    target = ANYWHERE if script.station == HERE else script.station
    if target == ANYWHERE and TABLE in room.fixed and script.objects[0] in TABLE_ITEMS \
            and rng.random() < AT_TABLE_PROBABILITY:
        target = TABLE
    if target == TABLE:
        if state.pose == SIT and state.seat == CHAIR and script.seated_ok:
            return state.x0, state.facing, True
        table = room.fixed[TABLE]
        side = (-int(np.sign(room.fixed[CHAIR].x - table.x)) if CHAIR in room.fixed
                else int(rng.choice([-1, 1])))
        w = room.size(TABLE, "mid")[0]
        return table.x + side * (w / 2 + 0.06 * P), -side, False
    if target == ANYWHERE:
        if rng.random() < STAY_PROBABILITY:
            x = state.end_x
        else:
            x = _free_spot(rng, world, action.start, state.end_x, reach)
        facing = int(rng.choice([-1, 1]))
        if min(x, room.room_width - x) < 1.2 * P:       # face into the room near a wall
            facing = 1 if x < room.room_width / 2 else -1
        return x, facing, False
    obj = room.fixed[target]
    if script.start_seated:
        return obj.x, obj.facing, True
    if target in ("chair", "sofa/couch", "bed"):
        return obj.x, obj.facing, False
    w = room.size(target, obj.plane)[0]
    if target in ("door", "refrigerator"):
        side = obj.facing
        return obj.x + side * (w / 2 + 0.08 * P), -side, False
    side = int(rng.choice([-1, 1]))
    distance = rng.uniform(0.45, 0.8) if target == "television" else rng.uniform(0.12, 0.3)
    x = float(np.clip(obj.x + side * distance * P, 0.35 * P, room.room_width - 0.35 * P))
    return x, (1 if obj.x >= x else -1), False


def _free_spot(rng: np.random.Generator, world: World, t: float, near: float,
               reach: float) -> float:
    """A random place within ``reach`` of ``near``: of a few candidates, the farthest from
    furniture and placed objects (so that an action done "anywhere" gets a corner of its own)."""
    room, P = world.room, world.room.person_height
    taken = [o.x for o in room.fixed.values()]
    taken += [track.at(t).x for track in world.rests.values()]
    lo = max(0.5 * P, near - reach)
    hi = max(lo, min(room.room_width - 0.5 * P, near + reach))
    candidates = rng.uniform(lo, hi, size=FREE_SPOT_CANDIDATES)
    if not taken:
        return float(candidates[0])
    distance = np.min(np.abs(candidates[:, None] - np.asarray(taken)[None, :]), axis=1)
    return float(candidates[int(np.argmax(distance))])


def _walk(world: World, state: BodyState, t0: float, deadline: float, latest: float, x: float,
          facing: int) -> Tuple[BodyState, float]:
    """Stand up if needed, walk to ``x`` from ``t0`` and face ``facing``; returns the state and
    the arrival time. The walk takes its natural time if that ends by ``deadline``, else it
    speeds up (to :data:`MAX_WALK_SPEED`) and may run on, but never past ``latest``."""
    P = world.room.person_height
    t = t0
    x_from = state.end_x
    if state.pose in (SIT, LIE):
        up = min(STAND_UP_SECONDS, max(0.0, deadline - t) / 2)
        state = BodyState(STAND, x_from, state.facing, t0=t)
        world.body.set_from(t, state)
        t += up
    distance = abs(x - x_from)
    if distance > 0.05 * P:
        natural = distance / (WALK_SPEED * P)
        fastest = distance / (MAX_WALK_SPEED * P)
        duration = min(natural, max(deadline - t, fastest))
        duration = max(0.2, min(duration, latest - t))
        direction = 1 if x > x_from else -1
        world.body.set_from(t, BodyState(WALK, x_from, direction, t0=t, t1=t + duration, x1=x))
        t += duration
    state = BodyState(STAND, x, facing, t0=t)
    world.body.set_from(t, state)
    return state, t


def _pose_for_phase(world: World, action: ScheduledAction, phase: Phase, state: BodyState,
                    p0: float, p1: float) -> BodyState:
    room, P = world.room, world.room.person_height
    station = action.script.station
    x = state.end_x
    if phase.body == STAND:
        return BodyState(STAND, x, state.facing, t0=p0)
    if phase.body in (SIT, LIE):
        seat = room.fixed[station]
        return BodyState(phase.body, seat.x, seat.facing, t0=p0, seat=station,
                         lean_back=phase.lean_back)
    if phase.body == WALK:
        target = float(np.clip(x + state.facing * phase.walk_distance * P,
                               0.35 * P, room.room_width - 0.35 * P))
        return BodyState(WALK, x, state.facing, t0=p0, t1=p1, x1=target)
    if state.pose == WALK:
        return BodyState(STAND, x, state.facing, t0=p0)
    return replace(state, t0=p0, x0=x, x1=None, lean_back=phase.lean_back)
