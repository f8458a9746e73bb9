"""The synthetic actions: each one a script of relationship changes over time.

An :class:`ActionScript` names the objects it needs, where the person does it (its
*station*), which parts of the person it occupies (*resources*: ``body``, ``right`` hand,
``left`` hand, ``gaze``; two actions overlap in time only when their resources are disjoint)
and a sequence of :class:`Phase` s that split its interval by weight. A phase sets the body
pose, what each hand does with which object (a :class:`HandUse` grip), the gaze target, what
is worn and how far a door is open; :mod:`~sgfb.synthetic.simulate` turns the phases
into time tracks and :mod:`~sgfb.synthetic.relations` reads the relationships off them.

Grips and the contacting relationships they produce:

==========  =====================================  =========================================
grip        hand                                   contacting
==========  =====================================  =========================================
reach       toward the object, short of it         not_contacting
touch       on the object's contact point          touching
hold        object in the hand in front of chest   holding
read        object held up in front of the face    holding
mouth       object at the mouth                    holding + drinking_from (cup) / eating
ear         object at the ear                      holding
carry       both hands, object before the belly    carrying
sweep       tool held, its head on the floor       holding
twist       on the door knob                       twisting (knob) ; door: touching
pull        on a door's free edge                  holding
type        on the laptop keyboard                 touching
lean        hand pressed on a seat                 leaning_on
place       putting the object down                touching
==========  =====================================  =========================================

A hand that touches an object the other hand holds steadies it (a book held open: holding +
touching). The body adds ``sitting_on`` / ``lying_on`` (its seat, plus ``leaning_on`` when
leaning back), ``standing_on`` (the floor) and ``wearing`` (what was put on).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, Optional, Tuple

REACH, TOUCH, HOLD, READ, MOUTH = "reach", "touch", "hold", "read", "mouth"
EAR, CARRY, SWEEP, TWIST, PULL, TYPE, LEAN, PLACE = (
    "ear", "carry", "sweep", "twist", "pull", "type", "lean", "place")
GRIPS = (REACH, TOUCH, HOLD, READ, MOUTH, EAR, CARRY, SWEEP, TWIST, PULL, TYPE, LEAN, PLACE)
#: Grips that move the object with the hand (the object leaves its resting place).
ATTACHED_GRIPS = frozenset({HOLD, READ, MOUTH, EAR, CARRY, SWEEP})

STAND, SIT, LIE, WALK = "stand", "sit", "lie", "walk"

#: Gaze values besides an object name: face the camera (attention ``unsure``) or look away
#: from every object (``not_looking_at``).
GAZE_FRONT, GAZE_AWAY = "@front", "@away"

#: Stations besides an object name: where the person already is, or anywhere in the room.
HERE, ANYWHERE = "@here", "@anywhere"

BODY, RIGHT, LEFT, GAZE = "body", "right", "left", "gaze"

CUP, CHAIR, FLOOR, BED, DOOR, KNOB = "cup/glass/bottle", "chair", "floor", "bed", "door", "doorknob"
BOOK, LAPTOP, TABLE, TV, SHOE, CLOTHES = "book", "laptop", "table", "television", "shoe", "clothes"
PHONE, SANDWICH, BROOM, VACUUM, MIRROR = "phone/camera", "sandwich", "broom", "vacuum", "mirror"
BOX, FRIDGE = "box", "refrigerator"


@dataclass(frozen=True)
class HandUse:
    """One hand doing ``grip`` with object class ``obj``."""

    obj: str
    grip: str

    def __post_init__(self) -> None:
        if self.grip not in GRIPS:
            raise ValueError(f"unknown grip {self.grip!r}; choose from {GRIPS}")


@dataclass(frozen=True)
class Phase:
    """A stretch of an action; ``weight`` is its share of the action's duration.

    ``body``: ``stand``/``sit``/``lie`` (sit and lie use the action's station object) or
    ``walk`` (walk ``walk_distance`` person heights on); None leaves the pose as it is.
    ``right``/``left``: the hands; None frees a hand the action owns. ``gaze``: an object
    class, :data:`GAZE_FRONT`, :data:`GAZE_AWAY` or None (unchanged). ``wear``: an object
    that is worn from this phase on. ``open_to``: (object, fraction 0..1) a door or
    refrigerator opens to by the end of the phase.
    """

    weight: float
    body: Optional[str] = None
    right: Optional[HandUse] = None
    left: Optional[HandUse] = None
    gaze: Optional[str] = None
    wear: Optional[str] = None
    open_to: Optional[Tuple[str, float]] = None
    lean_back: bool = False
    walk_distance: float = 0.0


@dataclass(frozen=True)
class ActionScript:
    """One action class: its phases and what it needs.

    ``station``: an object class (go to it), :data:`HERE` or :data:`ANYWHERE`.
    ``in_hand``: an object that must be in the right hand before the phases start; when it is
    not, the action opens with a short pick-up (reach, touch, hold). ``keeps``: objects still
    held when the action ends. ``start_seated``: the action starts seated on its station
    (Standing up). ``seated_ok``: the person may stay seated on a chair for it. ``weight``:
    how often videos pick it, relative to the others (objects that stay in view for the rest
    of the video, worn clothes or the floor, come from less frequent actions).
    """

    name: str
    objects: Tuple[str, ...]
    station: str
    resources: FrozenSet[str]
    duration: Tuple[float, float]
    phases: Tuple[Phase, ...]
    in_hand: Optional[str] = None
    keeps: Tuple[str, ...] = ()
    start_seated: bool = False
    seated_ok: bool = False
    weight: float = 1.0

    @property
    def handheld(self) -> bool:
        """Done with one hand wherever the person is: may overlap a body action."""
        return self.station == HERE and BODY not in self.resources

    @property
    def ends_seated(self) -> bool:
        poses = [p.body for p in self.phases if p.body is not None]
        return bool(poses) and poses[-1] == SIT


def _h(obj: str, grip: str) -> HandUse:
    return HandUse(obj, grip)


_R, _L, _G, _B = RIGHT, LEFT, GAZE, BODY

ACTIONS: Tuple[ActionScript, ...] = (
    ActionScript(
        "Picking up a cup", (CUP,), ANYWHERE, frozenset({_R, _G}), (1.6, 3.0),
        (Phase(0.3, right=_h(CUP, REACH), gaze=CUP),
         Phase(0.3, right=_h(CUP, TOUCH), gaze=CUP),
         Phase(0.4, right=_h(CUP, HOLD), gaze=CUP)),
        keeps=(CUP,)),
    ActionScript(
        "Drinking from a cup", (CUP,), HERE, frozenset({_R}), (2.0, 4.0),
        (Phase(0.25, right=_h(CUP, HOLD)),
         Phase(0.5, right=_h(CUP, MOUTH), gaze=GAZE_FRONT),
         Phase(0.25, right=_h(CUP, HOLD))),
        in_hand=CUP, keeps=(CUP,)),
    ActionScript(
        "Sitting down on a chair", (CHAIR,), CHAIR, frozenset({_B, _L, _G}), (1.6, 3.0),
        (Phase(0.35, body=STAND, left=_h(CHAIR, TOUCH), gaze=CHAIR),
         Phase(0.65, body=SIT, gaze=GAZE_AWAY, lean_back=True))),
    ActionScript(
        "Standing up from a chair", (CHAIR,), CHAIR, frozenset({_B, _L}), (1.6, 3.0),
        (Phase(0.45, body=SIT, left=_h(CHAIR, LEAN), lean_back=True),
         Phase(0.55, body=STAND)),
        start_seated=True, seated_ok=True),
    ActionScript(
        "Lying on a bed", (BED,), BED, frozenset({_B}), (3.0, 5.0),
        (Phase(0.2, body=SIT),
         Phase(0.65, body=LIE),
         Phase(0.15, body=SIT))),
    ActionScript(
        "Opening a door", (DOOR, KNOB), DOOR, frozenset({_B, _R, _G}), (2.0, 3.5),
        (Phase(0.25, body=STAND, right=_h(KNOB, REACH), gaze=DOOR),
         Phase(0.25, right=_h(KNOB, TWIST), gaze=KNOB),
         Phase(0.3, right=_h(DOOR, PULL), gaze=DOOR, open_to=(DOOR, 0.85)),
         Phase(0.2, gaze=DOOR))),
    ActionScript(
        "Reading a book", (BOOK,), HERE, frozenset({_R, _L, _G}), (2.5, 5.0),
        (Phase(1.0, right=_h(BOOK, READ), left=_h(BOOK, TOUCH), gaze=BOOK),),
        in_hand=BOOK),
    ActionScript(
        "Working on a laptop", (LAPTOP, TABLE), TABLE, frozenset({_B, _R, _L, _G}), (2.5, 5.0),
        (Phase(0.2, right=_h(LAPTOP, REACH), gaze=LAPTOP),
         Phase(0.8, right=_h(LAPTOP, TYPE), left=_h(LAPTOP, TYPE), gaze=LAPTOP)),
        seated_ok=True),
    ActionScript(
        "Watching television", (TV,), TV, frozenset({_B, _G}), (2.5, 5.0),
        (Phase(1.0, gaze=TV),)),
    ActionScript(
        "Putting on shoes", (SHOE,), ANYWHERE, frozenset({_B, _R, _G}), (2.5, 4.0),
        (Phase(0.2, body=STAND, right=_h(SHOE, TOUCH), gaze=SHOE),
         Phase(0.3, right=_h(SHOE, HOLD), gaze=SHOE),
         Phase(0.3, right=_h(SHOE, TOUCH), wear=SHOE, gaze=SHOE),
         Phase(0.2, gaze=GAZE_FRONT)),
        weight=0.5),
    ActionScript(
        "Putting on clothes", (CLOTHES,), ANYWHERE, frozenset({_B, _R, _L, _G}), (2.5, 4.0),
        (Phase(0.2, body=STAND, right=_h(CLOTHES, TOUCH), gaze=CLOTHES),
         Phase(0.35, right=_h(CLOTHES, HOLD), left=_h(CLOTHES, HOLD), gaze=CLOTHES),
         Phase(0.25, wear=CLOTHES, right=_h(CLOTHES, TOUCH), gaze=CLOTHES),
         Phase(0.2, gaze=GAZE_FRONT)),
        weight=0.5),
    ActionScript(
        "Talking on a phone", (PHONE,), HERE, frozenset({_R}), (2.5, 5.0),
        (Phase(1.0, right=_h(PHONE, EAR), gaze=GAZE_AWAY),),
        in_hand=PHONE),
    ActionScript(
        "Eating a sandwich", (SANDWICH,), HERE, frozenset({_R}), (2.5, 4.5),
        (Phase(0.3, right=_h(SANDWICH, HOLD)),
         Phase(0.45, right=_h(SANDWICH, MOUTH), gaze=GAZE_FRONT),
         Phase(0.25, right=_h(SANDWICH, HOLD))),
        in_hand=SANDWICH),
    ActionScript(
        "Sweeping the floor", (BROOM, FLOOR), ANYWHERE, frozenset({_B, _R, _L, _G}), (2.5, 4.5),
        (Phase(0.2, body=STAND, right=_h(BROOM, TOUCH), gaze=BROOM),
         Phase(0.8, right=_h(BROOM, SWEEP), left=_h(BROOM, SWEEP), gaze=FLOOR,
               body=WALK, walk_distance=0.5)),
        weight=0.6),
    ActionScript(
        "Vacuuming the floor", (VACUUM,), ANYWHERE, frozenset({_B, _R, _L, _G}), (2.5, 4.5),
        (Phase(0.2, body=STAND, right=_h(VACUUM, TOUCH), gaze=VACUUM),
         Phase(0.8, right=_h(VACUUM, SWEEP), gaze=VACUUM, body=WALK, walk_distance=0.7))),
    ActionScript(
        "Looking at a mirror", (MIRROR,), MIRROR, frozenset({_B, _G}), (2.0, 3.5),
        (Phase(1.0, body=STAND, gaze=MIRROR),)),
    ActionScript(
        "Carrying a box", (BOX,), ANYWHERE, frozenset({_B, _R, _L, _G}), (2.5, 4.0),
        (Phase(0.25, body=STAND, right=_h(BOX, TOUCH), left=_h(BOX, TOUCH), gaze=BOX),
         Phase(0.75, right=_h(BOX, CARRY), left=_h(BOX, CARRY), gaze=GAZE_AWAY,
               body=WALK, walk_distance=0.9))),
    ActionScript(
        "Opening a refrigerator", (FRIDGE,), FRIDGE, frozenset({_B, _R, _G}), (2.0, 3.5),
        (Phase(0.3, body=STAND, right=_h(FRIDGE, REACH), gaze=FRIDGE),
         Phase(0.4, right=_h(FRIDGE, PULL), gaze=FRIDGE, open_to=(FRIDGE, 0.9)),
         Phase(0.3, gaze=FRIDGE))),
)

#: Action index by name.
ACTION_INDEX: Dict[str, int] = {a.name: i for i, a in enumerate(ACTIONS)}


def action_class_id(index: int) -> str:
    """Charades-style class id of action ``index``: 3 -> ``"c003"``."""
    return f"c{index:03d}"
