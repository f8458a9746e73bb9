"""Turn a video's action plan into time tracks: the body, the hands, the gaze, what is worn,
where portable objects rest and how far doors are open.

Two passes over the plan. The first moves the body: between actions the person stands up
(if seated) and walks to the next station; each action's phases set the pose. The second
writes hands and gaze: pick-ups before one-handed actions, the phases' grips, and putting
objects down right after the action (a picked-up cup stays in the hand for the drink that
follows). Portable objects that an action uses rest, until then, within reach of
where the person will be when first using them (on the table at a desk, on a seat, or on the
floor); idle gaze (at an object, at the camera, away) fills the time no action owns.
Positions are room pixels (see :mod:`~sgfb.synthetic.room`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from sgfb.synthetic.catalog import FLOOR as FLOOR_PLACEMENT, spec
from sgfb.synthetic.room import Room, is_fixed
from sgfb.synthetic.schedule import ScheduledAction
from sgfb.synthetic.scripts import (
    ANYWHERE, ATTACHED_GRIPS, BODY, CHAIR, GAZE, GAZE_AWAY, GAZE_FRONT, HERE, HOLD, KNOB, LEFT,
    LIE, PLACE, REACH, RIGHT, SIT, STAND, TABLE, TOUCH, WALK, HandUse, Phase,
)
from sgfb.synthetic.tracks import RampTrack, StepTrack

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
PLACE_SECONDS = 0.3
#: Idle gaze: how long one glance lasts and how often it goes to the camera / away / an object.
IDLE_GAZE_SECONDS = (0.8, 2.5)
IDLE_GAZE_PROBABILITIES = (0.2, 0.45, 0.35)
#: Chance that an action with a table item is done at the table when the room has one.
AT_TABLE_PROBABILITY = 0.4
#: Objects an action fetches from a table when the room has one.
TABLE_ITEMS = frozenset({"cup/glass/bottle", "book", "sandwich", "phone/camera", "laptop",
                         "paper/notebook", "dish", "food", "medicine"})
#: Objects kept in a pocket (out of view) when not in the hand.
POCKET_ITEMS = frozenset({"phone/camera"})
POCKET = "pocket"
#: Objects that may rest on a bed or sofa next to the person.
SEAT_ITEMS = TABLE_ITEMS | {"clothes", "pillow", "blanket", "towel", "bag"}
#: Draw-order depths (see :mod:`~sgfb.synthetic.scenes`).
DEPTH_ON_SEAT = 1.2
DEPTH_ON_TABLE = 1.8
DEPTH_PERSON = 1.5


@dataclass(frozen=True)
class BodyState:
    """Pose of the person from ``t0``: ``stand``, ``walk`` (from ``x0`` to ``x1`` until ``t1``),
    ``sit`` or ``lie`` (on furniture ``seat``). ``x``: feet/hips, room pixels.
    ``facing``: +1 looks right, -1 left."""

    pose: str
    x0: float
    facing: int
    t0: float = 0.0
    t1: float = 0.0
    x1: Optional[float] = None
    seat: Optional[str] = None
    lean_back: bool = False

    def x_at(self, t: float) -> float:
        if self.pose != WALK or self.x1 is None:
            return self.x0
        if t >= self.t1 or self.t1 <= self.t0:
            return self.x1
        u = max(0.0, (t - self.t0) / (self.t1 - self.t0))
        return self.x0 + (self.x1 - self.x0) * u

    @property
    def end_x(self) -> float:
        return self.x1 if self.x1 is not None else self.x0


@dataclass(frozen=True)
class RestPlace:
    """Where a portable object rests: centred at ``x`` with its bottom at ``bottom_y``
    (room pixels) on ``plane``; ``on`` names the furniture (None: the floor; ``"pocket"``:
    in the person's pocket, out of view)."""

    x: float
    bottom_y: float
    plane: str
    depth: float
    on: Optional[str] = None


@dataclass
class World:
    """Everything that happens in one video, as functions of time (seconds)."""

    room: Room
    objects: Tuple[str, ...]
    plan: List[ScheduledAction]
    seconds: float
    body: StepTrack
    hands: Dict[str, StepTrack]
    gaze: StepTrack
    worn: StepTrack
    rests: Dict[str, StepTrack] = field(default_factory=dict)
    openness: Dict[str, RampTrack] = field(default_factory=dict)
    #: Actions whose phases start late because the person first walks to them.
    phase_starts: Dict[ScheduledAction, float] = field(default_factory=dict)

    def change_times(self) -> List[float]:
        """Every time at which some track changes (sorted, unique)."""
        times = set(self.body.change_times()) | set(self.gaze.change_times())
        times |= set(self.worn.change_times())
        for track in list(self.hands.values()) + list(self.rests.values()):
            times |= set(track.change_times())
        return sorted(times)


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
            world.rests[name] = StepTrack(_random_rest(rng, room, name))
    _move_body(rng, world)
    soft_gazes = _use_hands(world)
    _fill_gaze(rng, world, soft_gazes)
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
        free_from = action.end + (PLACE_SECONDS if _puts_down(world, action) else 0.0)
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


def phase_times(action: ScheduledAction, phases: Sequence[Phase],
                start: Optional[float] = None) -> List[Tuple[float, float]]:
    """[start, end) of each phase: ``action``'s interval (from ``start``) split by weight."""
    t0 = action.start if start is None else start
    weights = np.array([p.weight for p in phases], np.float64)
    edges = t0 + (action.end - t0) * np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
    return [(float(a), float(b)) for a, b in zip(edges[:-1], edges[1:])]


# ---------------------------------------------------------------------------- hands
def _use_hands(world: World) -> List[Tuple[float, float, str]]:
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


def _puts_down(world: World, action: ScheduledAction) -> bool:
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


def _random_rest(rng: np.random.Generator, room: Room, name: str) -> RestPlace:
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
def _fill_gaze(rng: np.random.Generator, world: World,
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
