"""One video's world before rendering: its actions, objects, room and time tracks.

Everything is drawn from ``numpy.random.default_rng([seed, video_index])``, so a video is the
same whatever other videos are generated and in whichever process.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import numpy as np

from sgfb.synthetic.room import make_room
from sgfb.synthetic.schedule import EMPTY_VIDEO_PROBABILITY, ScheduledAction, plan_actions
from sgfb.synthetic.simulate import simulate
from sgfb.synthetic.tracks import World
from sgfb.synthetic.statistics import REAL_CLASS_COUNTS

#: How many objects no action uses a video gets (0, 1, 2), with these probabilities.
DISTRACTOR_PROBABILITIES = (0.65, 0.3, 0.05)
#: Classes that only exist as part of another (a door knob comes with its door).
NOT_DISTRACTORS = frozenset({"doorknob"})


def choose_objects(rng: np.random.Generator,
                   plan: Sequence[ScheduledAction]) -> Tuple[List[str], List[str]]:
    """(all objects of the video, the distractors among them): the actions' objects in plan
    order, then distractors drawn with the real AG class frequencies."""
    objects: List[str] = []
    for action in plan:
        for name in action.script.objects:
            if name not in objects:
                objects.append(name)
    count = int(rng.choice(len(DISTRACTOR_PROBABILITIES), p=DISTRACTOR_PROBABILITIES))
    pool = [n for n in REAL_CLASS_COUNTS if n not in objects and n not in NOT_DISTRACTORS]
    weights = np.array([REAL_CLASS_COUNTS[n] for n in pool], np.float64)
    picks = rng.choice(len(pool), size=min(count, len(pool)), replace=False,
                       p=weights / weights.sum())
    distractors = [pool[i] for i in sorted(picks)]
    return objects + distractors, distractors


def build_world(seed: int, video_index: int, size: Tuple[int, int], seconds: float,
                empty_video_share: float = EMPTY_VIDEO_PROBABILITY) -> World:
    """The world of video ``video_index`` of a dataset generated with ``seed``; it has no
    action with probability ``empty_video_share``."""
    rng = np.random.default_rng([seed, video_index])
    plan = plan_actions(rng, seconds, empty_video_share)
    objects, distractors = choose_objects(rng, plan)
    room = make_room(rng, objects, size)
    return simulate(rng, room, plan, objects, distractors, seconds)
