"""Which actions a video shows and when (the Charades labels of the video).

A video gets 2-5 action instances: a chain of sequential actions that respects the body's
state (Standing up only from a chair, seated only actions that allow it) and, often, one
one-handed action (a phone call, a drink, ...) that overlaps a body action whose resources it
does not need. Times are rounded to 0.01 s, the precision of the Charades CSV.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from sgfb.synthetic.scripts import ACTION_INDEX, ACTIONS, CHAIR, ActionScript, Phase

#: Default share of videos with no labelled action (Charades has a few: 174 of its 7,985
#: training and 49 of its 1,863 test videos).
EMPTY_VIDEO_PROBABILITY = 0.03
#: Share of videos where a one-handed action overlaps a body action.
OVERLAP_PROBABILITY = 0.6
MIN_ACTIONS, MAX_ACTIONS = 2, 5
#: Shortest action instance after squeezing a plan into a short video (seconds).
MIN_DURATION = 1.2
GAP_RANGE = (0.3, 1.4)
#: Time kept free at the end of the video (seconds).
TAIL = 0.2


@dataclass(frozen=True)
class ScheduledAction:
    """Action ``action`` (index into :data:`ACTIONS`) in progress from ``start`` to ``end`` s."""

    action: int
    start: float
    end: float

    @property
    def script(self) -> ActionScript:
        return ACTIONS[self.action]

    @property
    def duration(self) -> float:
        return self.end - self.start


def plan_actions(rng: np.random.Generator, seconds: float,
                 empty_video_share: float = EMPTY_VIDEO_PROBABILITY) -> List[ScheduledAction]:
    """The action instances of one video of length ``seconds``, sorted by start time; none
    with probability ``empty_video_share``. The draw that decides it is made whatever the
    probability, so a video with actions gets the same plan at every probability."""
    if rng.random() < empty_video_share:
        return []
    total = int(rng.integers(MIN_ACTIONS, MAX_ACTIONS + 1))
    overlap = total >= 2 and rng.random() < OVERLAP_PROBABILITY
    chain = _choose_chain(rng, total - int(overlap))
    plan = _time_chain(rng, chain, seconds)
    if overlap and plan:
        extra = _overlapping_handheld(rng, plan, seconds)
        if extra is not None:
            plan.append(extra)
    return sorted(plan, key=lambda a: (a.start, a.action))


def _choose_chain(rng: np.random.Generator, count: int) -> List[int]:
    """``count`` distinct actions in an order the body can perform."""
    chain: List[int] = []
    seated = False
    for _ in range(count):
        allowed = [i for i, a in enumerate(ACTIONS)
                   if i not in chain and _allowed(a, seated, first=not chain)]
        if not allowed:
            break
        pick = _weighted_pick(rng, allowed)
        chain.append(pick)
        script = ACTIONS[pick]
        if script.start_seated:
            seated = False
        elif script.station == CHAIR and script.ends_seated:
            seated = True
    return _drink_after_pick_up(chain)


def _weighted_pick(rng: np.random.Generator, actions: Sequence[int]) -> int:
    """One of ``actions`` (indices), drawn with the scripts' weights."""
    weights = np.array([ACTIONS[i].weight for i in actions], np.float64)
    return int(actions[int(rng.choice(len(actions), p=weights / weights.sum()))])


def _drink_after_pick_up(chain: List[int]) -> List[int]:
    """A cup that is picked up is drunk from right after (no other hand action between)."""
    pick, drink = ACTION_INDEX["Picking up a cup"], ACTION_INDEX["Drinking from a cup"]
    if pick in chain and drink in chain:
        chain = [i for i in chain if i != drink]
        chain.insert(chain.index(pick) + 1, drink)
    return chain


def _allowed(script: ActionScript, seated: bool, first: bool) -> bool:
    """Standing up needs the person seated: mid-video after Sitting down, or as the first
    action of a video that opens with the person seated. Seated, only actions that can be done
    seated (or Standing up) follow."""
    if seated:
        return script.start_seated or script.handheld or script.seated_ok
    return not script.start_seated or first


def _time_chain(rng: np.random.Generator, chain: Sequence[int],
                seconds: float) -> List[ScheduledAction]:
    """Durations and gaps for the chain, squeezed or spread to fill ``seconds``."""
    chain = list(chain)
    while chain:
        durations = np.array([rng.uniform(*ACTIONS[i].duration) for i in chain])
        gaps = rng.uniform(*GAP_RANGE, size=len(chain) + 1)   # lead-in, between, tail
        gaps[0] *= 0.5
        budget = seconds - TAIL
        used = durations.sum() + gaps.sum()
        if used > budget:
            scale = budget / used
            durations, gaps = durations * scale, gaps * scale
        if durations.min() >= MIN_DURATION or len(chain) == 1:
            break
        chain.pop()
    if not chain:
        return []
    durations = np.minimum(durations, budget)
    slack = max(0.0, budget - durations.sum() - gaps.sum())
    gaps = gaps + slack * rng.dirichlet(np.ones(len(gaps)))
    plan, t = [], float(gaps[0])
    for i, action in enumerate(chain):
        start = round(t, 2)
        end = round(min(t + durations[i], budget), 2)
        plan.append(ScheduledAction(action, start, end))
        t = t + durations[i] + gaps[i + 1]
    return plan


def _overlapping_handheld(rng: np.random.Generator, plan: Sequence[ScheduledAction],
                          seconds: float) -> Optional[ScheduledAction]:
    """A one-handed action that overlaps a body action of ``plan``, or None if none fits."""
    used_actions = {a.action for a in plan}
    used_objects = {o for a in plan for o in a.script.objects}
    candidates = [i for i, a in enumerate(ACTIONS) if a.handheld and i not in used_actions
                  and not set(a.objects) & used_objects]
    if not candidates:
        return None
    pick = _weighted_pick(rng, candidates)
    script = ACTIONS[pick]
    hosts = [a for a in plan if not (a.script.resources & script.resources)]
    if not hosts:
        return None
    host = hosts[int(rng.integers(len(hosts)))]
    # The free window: between the neighbours that need the same resources (0.5 s margins
    # leave time to put a held object down or pick one up).
    lo, hi = 0.0, seconds - TAIL
    for other in plan:
        if other.script.resources & script.resources:
            if other.end <= host.start:
                lo = max(lo, other.end + 0.5)
            elif other.start >= host.end:
                hi = min(hi, other.start - 0.5)
    start = max(lo, host.start + rng.uniform(-0.3, 0.5) * host.duration)
    end = min(hi, start + rng.uniform(*script.duration))
    if end - start < MIN_DURATION:
        start = max(lo, end - MIN_DURATION)
    if end - start < MIN_DURATION or start >= host.end or end <= host.start:
        return None
    return ScheduledAction(pick, round(start, 2), round(end, 2))


def phase_times(action: ScheduledAction, phases: Sequence[Phase],
                start: Optional[float] = None) -> List[Tuple[float, float]]:
    """[start, end) of each phase: ``action``'s interval (from ``start``) split by weight."""
    t0 = action.start if start is None else start
    weights = np.array([p.weight for p in phases], np.float64)
    edges = t0 + (action.end - t0) * np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
    return [(float(a), float(b)) for a, b in zip(edges[:-1], edges[1:])]
