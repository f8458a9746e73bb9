"""What each Action Genome object class is in the synthetic world: size, where it lives, colour.

Sizes are in *person heights* (``P``, the standing height of the person at the person's
depth); a renderer multiplies them by ``P`` in pixels and by the depth plane's scale.
Colours are RGB ``uint8`` triples; each class has its own hue so that a small detector can
tell the classes apart (a video jitters them a little, see ``render_objects``).

Placements:

- ``wall``: hangs on the back wall (picture, window, mirror, shelf); ``wall_height`` is the
  height of its centre above the back wall's floor line.
- ``back``: stands on the floor against the back wall (door, closet, refrigerator, ...).
- ``room``: furniture on the person's floor line that the person uses (chair, sofa, bed, table).
- ``portable``: small things that rest on a surface or are held, carried or worn.
- ``floor``: the floor itself (the band below the wall), box = the visible floor.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from sgfb.structures.vocab import AG_OBJECTS

RGB = Tuple[int, int, int]

WALL, BACK, ROOM, PORTABLE, FLOOR = "wall", "back", "room", "portable", "floor"
PLACEMENTS = (WALL, BACK, ROOM, PORTABLE, FLOOR)


@dataclass(frozen=True)
class ObjectSpec:
    """Appearance and placement of one object class.

    ``width``/``height``: box size in person heights. ``surface``: height (person heights,
    above the floor) of the top surface that things rest on or a person sits/lies on, for
    furniture; None otherwise. ``colour``: main RGB colour.
    """

    name: str
    width: float
    height: float
    placement: str
    colour: RGB
    wall_height: float = 0.0
    surface: Optional[float] = None


_SPECS = (
    ObjectSpec("bag", 0.20, 0.20, PORTABLE, (140, 50, 150)),
    ObjectSpec("bed", 1.05, 0.40, ROOM, (40, 60, 130), surface=0.24),
    ObjectSpec("blanket", 0.24, 0.14, PORTABLE, (190, 40, 50)),
    ObjectSpec("book", 0.11, 0.15, PORTABLE, (205, 30, 40)),
    ObjectSpec("box", 0.24, 0.21, PORTABLE, (196, 150, 90)),
    ObjectSpec("broom", 0.09, 0.72, PORTABLE, (230, 200, 60)),
    ObjectSpec("chair", 0.28, 0.52, ROOM, (30, 150, 130), surface=0.27),
    ObjectSpec("closet/cabinet", 0.48, 0.95, BACK, (215, 175, 110)),
    ObjectSpec("clothes", 0.26, 0.24, PORTABLE, (170, 220, 40)),
    ObjectSpec("cup/glass/bottle", 0.055, 0.09, PORTABLE, (40, 90, 225)),
    ObjectSpec("dish", 0.16, 0.045, PORTABLE, (235, 235, 235)),
    ObjectSpec("door", 0.42, 1.02, BACK, (140, 80, 40)),
    ObjectSpec("doorknob", 0.045, 0.045, PORTABLE, (235, 190, 40)),
    ObjectSpec("doorway", 0.44, 1.02, BACK, (30, 30, 36)),
    ObjectSpec("floor", 1.0, 1.0, FLOOR, (0, 0, 0)),
    ObjectSpec("food", 0.13, 0.07, PORTABLE, (240, 140, 30)),
    ObjectSpec("groceries", 0.22, 0.26, PORTABLE, (210, 180, 120)),
    ObjectSpec("laptop", 0.22, 0.15, PORTABLE, (170, 175, 188)),
    ObjectSpec("light", 0.18, 0.80, BACK, (250, 225, 130)),
    ObjectSpec("medicine", 0.045, 0.075, PORTABLE, (245, 120, 20)),
    ObjectSpec("mirror", 0.26, 0.36, WALL, (195, 235, 245), wall_height=0.72),
    ObjectSpec("paper/notebook", 0.14, 0.17, PORTABLE, (250, 250, 250)),
    ObjectSpec("phone/camera", 0.05, 0.085, PORTABLE, (25, 25, 30)),
    ObjectSpec("picture", 0.32, 0.23, WALL, (200, 160, 50), wall_height=0.80),
    ObjectSpec("pillow", 0.22, 0.11, PORTABLE, (240, 175, 200)),
    ObjectSpec("refrigerator", 0.42, 1.0, BACK, (226, 230, 236)),
    ObjectSpec("sandwich", 0.11, 0.075, PORTABLE, (222, 180, 110)),
    ObjectSpec("shelf", 0.48, 0.14, WALL, (120, 95, 75), wall_height=0.62),
    ObjectSpec("shoe", 0.11, 0.055, PORTABLE, (120, 30, 30)),
    ObjectSpec("sofa/couch", 0.88, 0.40, ROOM, (205, 140, 35), surface=0.21),
    ObjectSpec("table", 0.48, 0.38, ROOM, (100, 58, 28), surface=0.38),
    ObjectSpec("television", 0.40, 0.28, BACK, (18, 18, 20)),
    ObjectSpec("towel", 0.15, 0.22, PORTABLE, (60, 200, 200)),
    ObjectSpec("vacuum", 0.18, 0.55, PORTABLE, (210, 30, 30)),
    ObjectSpec("window", 0.36, 0.36, WALL, (150, 200, 240), wall_height=0.78),
)

#: Spec of every AG object class (``person`` excluded), by pickle spelling.
OBJECT_SPECS: Dict[str, ObjectSpec] = {spec.name: spec for spec in _SPECS}

#: Height (person heights) of a television's stand; the TV box starts above it.
TV_STAND_HEIGHT = 0.30

assert set(OBJECT_SPECS) == set(AG_OBJECTS[1:]), "catalog must cover the 35 AG object classes"


def spec(name: str) -> ObjectSpec:
    """The spec of object class ``name`` (pickle spelling); KeyError naming it otherwise."""
    try:
        return OBJECT_SPECS[name]
    except KeyError:
        raise KeyError(f"unknown Action Genome object class {name!r}") from None
