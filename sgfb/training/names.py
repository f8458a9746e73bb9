"""The stage-2 choices a user names on a command line or in a config, importable without torch
(so ``tools/train_sgfb.py --help`` lists them; :mod:`sgfb.training.action_config` checks
configs against them)."""
from __future__ import annotations

from typing import Tuple

#: Feature-bank operators (``model.fbo``; Action Genome paper §4.2): mean / max pooling,
#: non-local attention, or ``none`` (the backbone-only baseline).
FBOS: Tuple[str, ...] = ("mean", "max", "nl", "none")
#: ``schedule``: backbone and bank head trained together, or the backbone first, then the head.
SCHEDULES: Tuple[str, ...] = ("joint", "two_stage")
