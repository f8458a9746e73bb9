"""The frames of one of Action Genome's splits (``metadata.set``: train / test)."""
from __future__ import annotations

from typing import List

import numpy as np

from sgfb.data.action_genome import ActionGenome


def split_keys(ag: ActionGenome, split: str, limit: int = 0) -> List[str]:
    """Frame keys of AG's ``train`` or ``test`` videos (evenly thinned to ``limit``)."""
    keys = [f.key for f in ag if f.split == split] if any(f.split for f in ag) else []
    if not keys:
        raise ValueError(f"{ag.source}: no frames of the {split!r} split")
    if limit and len(keys) > limit:
        keys = [keys[i] for i in np.linspace(0, len(keys) - 1, limit).round().astype(int)]
    return keys
