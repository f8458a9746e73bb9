"""The room of one video: frame geometry, depth planes and where the furniture stands.

Coordinates are *room pixels*: x runs along the room (0 .. ``room_width``), y is the frame's
row (0 at the top). The camera shows ``width`` room pixels at a time and pans along x.
Three depth planes stand on horizontal floor lines (the person walks on ``mid``):

- ``back``: against the wall, ground at the wall's foot, scale :data:`BACK_SCALE`;
- ``mid``: the person's plane, scale 1;
- ``front``: near the camera, ground near the frame's bottom, scale :data:`FRONT_SCALE`.

Sizes scale with the plane; a wall object is drawn at the back scale.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

import numpy as np

from sgfb.synthetic.catalog import BACK, FLOOR, PORTABLE, ROOM, WALL, spec

BACK_SCALE = 0.68
FRONT_SCALE = 1.2
#: Standing person height as a share of the frame height.
PERSON_HEIGHT_SHARE = 0.7
#: Range of the wall/floor line as a share of the frame height.
HORIZON_RANGE = (0.45, 0.52)
#: Smallest gap between furniture groups, person heights.
MIN_GROUP_GAP = 0.6
#: Room width as a multiple of the frame width (the camera shows a part of the room).
ROOM_WIDTH_RANGE = (4.0, 6.0)
#: Objects taller than this (person heights) leave no room for a wall object above them.
TALL = 0.6


@dataclass(frozen=True)
class Plane:
    """A depth plane: its floor line (frame row) and the scale of things on it."""

    name: str
    ground_y: float
    scale: float
    depth: float         # draw order: larger is nearer the camera


@dataclass
class FixedObject:
    """A piece of furniture or a wall object at a fixed place.

    ``x``: centre (room pixels). ``facing``: +1 or -1, the side a seat faces (a person sitting
    on it looks that way) or, for a door, the side of its knob.
    """

    name: str
    x: float
    plane: str
    facing: int = 1
    centre_y: float = 0.0   # wall objects: centre row

    @property
    def spec(self):
        return spec(self.name)


@dataclass
class Room:
    """Frame size, planes and fixed objects of one video."""

    width: int
    height: int
    person_height: float             # P: standing height on the mid plane, pixels
    horizon_y: float                 # wall/floor line, frame row
    room_width: float
    planes: Dict[str, Plane]
    fixed: Dict[str, FixedObject] = field(default_factory=dict)

    def size(self, name: str, plane: str) -> Tuple[float, float]:
        """(width, height) in pixels of object class ``name`` standing on ``plane``."""
        s = spec(name)
        k = self.person_height * self.planes[plane].scale
        return s.width * k, s.height * k

    def box_on(self, name: str, plane: str, x: float, bottom_y: float) -> np.ndarray:
        """xyxy box (room pixels) of ``name`` centred at ``x`` with its bottom at ``bottom_y``."""
        w, h = self.size(name, plane)
        return np.array([x - w / 2, bottom_y - h, x + w / 2, bottom_y], np.float64)

    def fixed_box(self, name: str) -> np.ndarray:
        """xyxy box (room pixels) of a fixed object as it stands (a door closed)."""
        obj = self.fixed[name]
        plane = self.planes[obj.plane]
        if obj.plane == "wall":
            w, h = self.size(name, "back")
            return np.array([obj.x - w / 2, obj.centre_y - h / 2,
                             obj.x + w / 2, obj.centre_y + h / 2])
        bottom = plane.ground_y
        if name == "television":
            from sgfb.synthetic.catalog import TV_STAND_HEIGHT
            bottom -= TV_STAND_HEIGHT * self.person_height * plane.scale
        return self.box_on(name, obj.plane, obj.x, bottom)

    def surface_y(self, name: str) -> float:
        """Frame row of the top surface of fixed furniture ``name`` (seat, bed, table top)."""
        obj = self.fixed[name]
        s = spec(name)
        if s.surface is None:
            raise ValueError(f"{name!r} has no surface to sit, lie or put things on")
        plane = self.planes[obj.plane]
        return plane.ground_y - s.surface * self.person_height * plane.scale


def make_room(rng: np.random.Generator, objects: Sequence[str], size: Tuple[int, int]) -> Room:
    """Place the fixed objects among ``objects`` (portable ones are placed by the simulator).

    A table and a chair form a desk (the chair at one end of the table, facing it); every
    other floor-standing object is a group of its own; groups stand in random order with
    random gaps along a room a few frames wide; wall objects hang where no tall object stands.
    """
    width, height = size
    horizon = height * rng.uniform(*HORIZON_RANGE)
    person_height = PERSON_HEIGHT_SHARE * height
    planes = {
        "back": Plane("back", horizon + 0.03 * height, BACK_SCALE, 0.0),
        "wall": Plane("wall", horizon + 0.03 * height, BACK_SCALE, -0.5),
        "mid": Plane("mid", horizon + 0.56 * (height - horizon), 1.0, 1.0),
        "front": Plane("front", height - 0.02 * height, FRONT_SCALE, 3.0),
    }
    room = Room(width, height, person_height, horizon, float(width), planes)
    standing = [o for o in objects if spec(o).placement in (ROOM, BACK)]
    groups = _groups(rng, standing, room)
    groups = [groups[i] for i in rng.permutation(len(groups))]
    widths = [extent[1] - extent[0] for _, extent in groups]
    min_gap = MIN_GROUP_GAP * person_height
    room.room_width = max(width * rng.uniform(*ROOM_WIDTH_RANGE),
                          sum(widths) + min_gap * (len(groups) + 1))
    free = room.room_width - sum(widths) - min_gap * (len(groups) + 1)
    gaps = min_gap + free * rng.dirichlet(np.ones(len(groups) + 1))
    x = float(gaps[0])
    for (members, extent), gap in zip(groups, gaps[1:]):
        for member in members:
            member.x += x - extent[0]
            room.fixed[member.name] = member
        x += extent[1] - extent[0] + gap
    for name in [o for o in objects if spec(o).placement == WALL]:
        room.fixed[name] = _hang(rng, room, name)
    return room


def _groups(rng: np.random.Generator, names: Sequence[str],
            room: Room) -> List[Tuple[List[FixedObject], Tuple[float, float]]]:
    """Groups of fixed objects with their x extent relative to the group's own origin."""
    P = room.person_height
    groups = []
    rest = list(names)
    if "table" in rest:
        rest.remove("table")
        members = [FixedObject("table", 0.0, "mid")]
        if "chair" in rest:
            rest.remove("chair")
            side = int(rng.choice([-1, 1]))
            offset = (spec("table").width / 2 + spec("chair").width / 2 - 0.02) * P
            members.append(FixedObject("chair", side * offset, "mid", facing=-side))
        groups.append(members)
    for name in rest:
        plane = "mid" if spec(name).placement == ROOM else "back"
        groups.append([FixedObject(name, 0.0, plane, facing=int(rng.choice([-1, 1])))])
    out = []
    for members in groups:
        lo = min(m.x - room.size(m.name, m.plane)[0] / 2 for m in members)
        hi = max(m.x + room.size(m.name, m.plane)[0] / 2 for m in members)
        out.append((members, (lo, hi)))
    return out


def _hang(rng: np.random.Generator, room: Room, name: str) -> FixedObject:
    """A wall object at a random free place on the wall."""
    w, h = room.size(name, "back")
    P = room.person_height * BACK_SCALE
    height = spec(name).wall_height + rng.uniform(-0.06, 0.06)
    centre_y = room.planes["back"].ground_y - height * P
    centre_y = max(centre_y, h / 2 + 2)
    blocked = [room.fixed_box(o.name) for o in room.fixed.values()
               if o.plane == "wall" or spec(o.name).height > TALL]
    for _ in range(30):
        x = rng.uniform(w / 2, room.room_width - w / 2)
        box = np.array([x - w / 2, centre_y - h / 2, x + w / 2, centre_y + h / 2])
        if all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in blocked):
            break
    return FixedObject(name, float(x), "wall", centre_y=float(centre_y))


def is_fixed(name: str) -> bool:
    """Whether ``name`` stands at a fixed place (furniture, wall) rather than being portable."""
    return spec(name).placement not in (PORTABLE, FLOOR)
