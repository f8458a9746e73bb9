"""Piecewise functions of time (seconds) that a video's world is made of.

A :class:`StepTrack` holds a value that changes at given times (what a hand holds, where the
gaze goes); a :class:`RampTrack` interpolates a number linearly between keyframes (how far a
door is open). Both answer ``at(t)`` by binary search.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Dict, Generic, List, Optional, Sequence, Tuple, TypeVar

from sgfb.synthetic.room import Room
from sgfb.synthetic.schedule import ScheduledAction
from sgfb.synthetic.scripts import WALK

T = TypeVar("T")


class StepTrack(Generic[T]):
    """A value that holds from each change time until the next one.

    ``at(t)`` is the value of the last change at or before ``t`` (``initial`` before the first).
    """

    def __init__(self, initial: T) -> None:
        self._times: List[float] = [float("-inf")]
        self._values: List[T] = [initial]

    def at(self, t: float) -> T:
        return self._values[bisect.bisect_right(self._times, t) - 1]

    def set_from(self, t: float, value: T) -> None:
        """``value`` from ``t`` on (later changes are dropped)."""
        i = bisect.bisect_left(self._times, t)
        del self._times[i:], self._values[i:]
        self._times.append(t)
        self._values.append(value)

    def set_between(self, t0: float, t1: float, value: T) -> None:
        """``value`` on ``[t0, t1)``; from ``t1`` on the track is what it was before at ``t1``."""
        if t1 <= t0:
            return
        after = self.at(t1)
        i0 = bisect.bisect_left(self._times, t0)
        i1 = bisect.bisect_right(self._times, t1)
        self._times[i0:i1] = [t0, t1]
        self._values[i0:i1] = [value, after]

    def changes(self) -> List[Tuple[float, T]]:
        """(time, value) of every change, in time order (the initial value excluded)."""
        return list(zip(self._times[1:], self._values[1:]))

    def change_times(self) -> List[float]:
        return self._times[1:]


class RampTrack:
    """A number interpolated linearly between (time, value) keyframes, constant outside."""

    def __init__(self, initial: float) -> None:
        self._times: List[float] = []
        self._values: List[float] = []
        self._initial = float(initial)

    def add(self, t: float, value: float) -> None:
        """A keyframe; keyframes must come in time order."""
        if self._times and t < self._times[-1]:
            raise ValueError(f"keyframe at {t:.3f}s is before the previous one "
                             f"at {self._times[-1]:.3f}s")
        self._times.append(float(t))
        self._values.append(float(value))

    def at(self, t: float) -> float:
        if not self._times or t < self._times[0]:
            return self._initial
        i = bisect.bisect_right(self._times, t)
        if i >= len(self._times):
            return self._values[-1]
        t0, t1 = self._times[i - 1], self._times[i]
        v0, v1 = self._values[i - 1], self._values[i]
        return v0 if t1 <= t0 else v0 + (v1 - v0) * (t - t0) / (t1 - t0)

    @property
    def keyframes(self) -> Sequence[Tuple[float, float]]:
        return list(zip(self._times, self._values))


# ---------------------------------------------------------------------------- the world
POCKET = "pocket"
#: Draw-order depth of the person (see :mod:`~sgfb.synthetic.scenes`).
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
