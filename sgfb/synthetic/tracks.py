"""Piecewise functions of time (seconds) that a video's world is made of.

A :class:`StepTrack` holds a value that changes at given times (what a hand holds, where the
gaze goes); a :class:`RampTrack` interpolates a number linearly between keyframes (how far a
door is open). Both answer ``at(t)`` by binary search.
"""
from __future__ import annotations

import bisect
from typing import Generic, List, Sequence, Tuple, TypeVar

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
