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
- :mod:`~sgfb.relations.predictor`: SceneGraphPredictor (predcls / sgcls / sgdet).
"""
from sgfb.relations.frequency import (FrequencyPrior, count_relationships, log_frequency_init,
                                      pair_counts, relationship_counts)
from sgfb.relations.geometry import GEOMETRY_DIM, pair_geometry, union_boxes
from sgfb.relations.head import RelationHead, RelationHeadConfig
from sgfb.relations.heads import HEAD_BUILDERS, HEAD_KINDS, build_relation_head
from sgfb.relations.logits import RelationLogits
from sgfb.relations.losses import RelationLossConfig, contrastive_margin_loss, relation_loss
from sgfb.relations.pairs import RelationPairs, pairs_from_ground_truth
from sgfb.relations.predictor import MODES, SceneGraphPredictor

__all__ = [
    "FrequencyPrior", "count_relationships", "log_frequency_init", "pair_counts",
    "relationship_counts", "GEOMETRY_DIM", "pair_geometry", "union_boxes", "RelationHead",
    "RelationHeadConfig", "build_relation_head", "RelationLogits", "RelationLossConfig",
    "contrastive_margin_loss", "relation_loss", "RelationPairs", "pairs_from_ground_truth",
    "MODES", "SceneGraphPredictor", "HEAD_BUILDERS", "HEAD_KINDS",
]
