"""The stage-1 choices a user names on a command line or in a config, importable without torch
(so ``tools/test_sg.py --help`` lists them without loading torchvision)."""
from __future__ import annotations

from typing import Tuple

#: Predicate head kinds (``relations.kind``; Action Genome paper Table 5), in the order of the
#: builders of :data:`sgfb.relations.heads.HEAD_BUILDERS`, which has exactly these keys.
HEAD_KINDS: Tuple[str, ...] = ("reldn", "frequency", "vrd", "imp", "msdn", "graph_rcnn",
                               "sttran")
#: Scene-graph tasks (AG paper §5.3): the ground-truth boxes and classes are given (PredCls),
#: the boxes only (SGCls), or nothing (SGDet).
MODES: Tuple[str, ...] = ("predcls", "sgcls", "sgdet")
