"""Person-object pair features and predicate heads (RelDN-style, frequency prior; Action
Genome paper §4.1, §5.3). Implemented under issue #3.

- :mod:`~sgfb.relations.geometry`: 28-d box geometry of a pair, union boxes;
- :mod:`~sgfb.relations.frequency`: training-set counts, log-frequency init, FrequencyPrior;
- :mod:`~sgfb.relations.head`: the RelDN-style RelationHead and the head config;
- :mod:`~sgfb.relations.heads`: every head by name (``HEAD_BUILDERS``) and the builder;
- :mod:`~sgfb.relations.encoder`: pooled pair features and the person-centred star graph;
- :mod:`~sgfb.relations.vrd`, :mod:`~sgfb.relations.imp`, :mod:`~sgfb.relations.msdn`,
  :mod:`~sgfb.relations.graph_rcnn`: the AG paper's Table 5 baselines;
- :mod:`~sgfb.relations.sttran`: a spatio-temporal head in the manner of STTran;
- :mod:`~sgfb.relations.losses`: per-frame-normalised losses, RelDN's contrastive margin;
- :mod:`~sgfb.relations.pairs`: RelationPairs, pairs_from_ground_truth;
- :mod:`~sgfb.relations.predictor`: SceneGraphPredictor (predcls / sgcls / sgdet);
- :mod:`~sgfb.relations.names`: the head kinds and modes (``HEAD_KINDS``, ``MODES``), without torch.

Names are imported lazily, so ``sgfb.relations.names`` stays cheap (no torch).
"""
from __future__ import annotations

from sgfb.utils.lazy import lazy_exports

_EXPORTS = {
    "FrequencyPrior": "frequency", "count_relationships": "frequency",
    "log_frequency_init": "frequency", "pair_counts": "frequency",
    "relationship_counts": "frequency",
    "GEOMETRY_DIM": "geometry", "pair_geometry": "geometry", "union_boxes": "geometry",
    "RelationHead": "head", "RelationHeadConfig": "head",
    "HEAD_BUILDERS": "heads", "build_relation_head": "heads",
    "HEAD_KINDS": "names", "MODES": "names",
    "RelationLogits": "logits",
    "RelationLossConfig": "losses", "contrastive_margin_loss": "losses", "relation_loss": "losses",
    "RelationPairs": "pairs", "pairs_from_ground_truth": "pairs",
    "SceneGraphPredictor": "predictor",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
