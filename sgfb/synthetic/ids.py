"""Dataset-level draws: Charades-like video ids, native frame rates and the train/test split."""
from __future__ import annotations

import string
from dataclasses import dataclass
from fractions import Fraction
from typing import List, Optional

import numpy as np

ID_ALPHABET = string.ascii_uppercase + string.digits
ID_LENGTH = 5
#: Native frame rates: (value written to video_fps.json, exact encoder rate, probability).
FRAME_RATES = (
    (24.0, Fraction(24), 0.15),
    (25.0, Fraction(25), 0.15),
    (29.97, Fraction(30000, 1001), 0.4),
    (30.0, Fraction(30), 0.3),
)
TEST_SHARE = 0.2


@dataclass(frozen=True)
class VideoSpec:
    """One video of the dataset: ``index`` (0-based), ``video_id`` (``X3K9A``), ``fps`` (the
    fps table's value), ``rate`` (exact encoder rate) and ``split`` (``train``/``test``)."""

    index: int
    video_id: str
    fps: float
    rate: Fraction
    split: str

    @property
    def file_name(self) -> str:
        return f"{self.video_id}.mp4"


def default_test_videos(count: int) -> int:
    """Test videos of a ``count``-video world when the caller does not say: about 20 %."""
    return int(round(TEST_SHARE * count))


def plan_videos(seed: int, count: int, test_videos: Optional[int] = None) -> List[VideoSpec]:
    """``count`` videos with distinct ids, frame rates and a train/test split with
    ``test_videos`` test videos (default :func:`default_test_videos`, ~80/20). The ids and
    rates do not depend on ``test_videos``; the test videos are a seeded draw."""
    rng = np.random.default_rng([seed, 0x5EED])
    ids: List[str] = []
    seen = set()
    while len(ids) < count:
        vid = "".join(ID_ALPHABET[i] for i in rng.integers(len(ID_ALPHABET), size=ID_LENGTH))
        if vid not in seen:
            seen.add(vid)
            ids.append(vid)
    probabilities = np.array([p for _, _, p in FRAME_RATES])
    rates = rng.choice(len(FRAME_RATES), size=count, p=probabilities / probabilities.sum())
    if test_videos is None:
        test_videos = default_test_videos(count)
    test = set(rng.permutation(count)[: int(test_videos)].tolist())
    return [VideoSpec(i, ids[i], FRAME_RATES[r][0], FRAME_RATES[r][1],
                      "test" if i in test else "train")
            for i, r in enumerate(rates)]
