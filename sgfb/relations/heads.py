"""Predicate heads as interchangeable parts: one dict from a config's ``relations.kind`` to
its builder (Action Genome paper §5.3, Table 5; DESIGN.md "Stage 1").

Every head is an ``nn.Module`` called as ``head(features, pairs) -> RelationLogits``
(:mod:`sgfb.relations.encoder` describes the inputs): the detector, the data path, the losses,
``tools/train_sg.py``, the checkpoint format and the :class:`SceneGraph` output are the same
for all, so ``tools/test_sg.py``, ``tools/eval_sg.py``, ``tools/extract_banks.py`` and
``tools/infer.py`` take any of them. A head with ``temporal = True`` reads the neighbouring
frames of its batch; the pipelines then batch frames by clip (training) or by video
(evaluation). No head re-estimates object classes: the nodes and their scores are the
detector's (SGCls, SGDet) or the ground truth's (PredCls).

========== ======================================================= =========================
kind       model                                                    module
========== ======================================================= =========================
reldn      RelDN-style (Zhang et al. 2019), the default             :mod:`~sgfb.relations.head`
frequency  Motifs' frequency prior (Zellers et al. 2018)            :mod:`~sgfb.relations.frequency`
vrd        VRD's visual module (Lu et al. 2016)                     :mod:`~sgfb.relations.vrd`
imp        iterative message passing (Xu et al. 2017)               :mod:`~sgfb.relations.imp`
msdn       MSDN without captions (Li et al. 2017)                   :mod:`~sgfb.relations.msdn`
graph_rcnn Graph R-CNN: RePN + aGCN (Yang et al. 2018)              :mod:`~sgfb.relations.graph_rcnn`
sttran     spatial-temporal transformer (Cong et al. 2021)          :mod:`~sgfb.relations.sttran`
========== ======================================================= =========================
"""
from __future__ import annotations

from typing import Callable, Dict, Optional

import numpy as np
import torch
from torch import nn

from sgfb.relations.frequency import FrequencyPrior, log_frequency_init, marginal_logits
from sgfb.relations.graph_rcnn import GraphRCNNHead
from sgfb.relations.head import RelationHead, RelationHeadConfig
from sgfb.relations.imp import IMPHead
from sgfb.relations.msdn import MSDNHead
from sgfb.relations.names import HEAD_KINDS
from sgfb.relations.sttran import STTranHead
from sgfb.relations.vrd import VRDHead

#: builder(cfg, in_channels, log-frequency init [36, 26] or None, marginal logits [26] or
#: None) -> head
Builder = Callable[[RelationHeadConfig, int, Optional[torch.Tensor], Optional[torch.Tensor]],
                   nn.Module]


def _pooling(cfg: RelationHeadConfig) -> dict:
    return dict(pool_size=cfg.pool_size, sampling_ratio=cfg.sampling_ratio,
                featmap_names=tuple(cfg.featmap_names))


def _reldn(cfg: RelationHeadConfig, in_channels: int, init: Optional[torch.Tensor],
           marginal: Optional[torch.Tensor]) -> nn.Module:
    return RelationHead(in_channels=in_channels, hidden_dim=cfg.hidden_dim,
                        geometry_hidden=cfg.geometry_hidden, use_visual=cfg.use_visual,
                        use_geometry=cfg.use_geometry, use_frequency=cfg.use_frequency,
                        frequency_init=init, min_box_size=cfg.min_box_size, **_pooling(cfg))


def _frequency(cfg: RelationHeadConfig, in_channels: int, init: Optional[torch.Tensor],
               marginal: Optional[torch.Tensor]) -> nn.Module:
    if init is None:
        raise ValueError("the frequency prior head needs training-set frequency counts")
    return FrequencyPrior(init)


#: one builder per name of :data:`~sgfb.relations.names.HEAD_KINDS` (same order)
HEAD_BUILDERS: Dict[str, Builder] = {
    "reldn": _reldn,
    "frequency": _frequency,
    "vrd": lambda cfg, c, init, marginal: VRDHead(c, cfg.hidden_dim, **_pooling(cfg)),
    "imp": lambda cfg, c, init, marginal: IMPHead(
        c, cfg.hidden_dim, cfg.iterations,
        score_bias=marginal if cfg.marginal_bias else None, **_pooling(cfg)),
    "msdn": lambda cfg, c, init, marginal: MSDNHead(c, cfg.hidden_dim, cfg.iterations,
                                                    **_pooling(cfg)),
    "graph_rcnn": lambda cfg, c, init, marginal: GraphRCNNHead(c, cfg.hidden_dim, cfg.iterations,
                                                               cfg.relation_proposals,
                                                               **_pooling(cfg)),
    "sttran": lambda cfg, c, init, marginal: STTranHead(
        c, cfg.hidden_dim, cfg.window, cfg.attention_heads, cfg.layers,
        min_box_size=cfg.min_box_size, dropout=cfg.dropout,
        frequency_init=init if cfg.use_frequency else None, norm_first=cfg.norm_first,
        **_pooling(cfg)),
}
#: heads with parameters to train (the frequency prior is fitted from counts)
TRAINED_KINDS = tuple(k for k in HEAD_KINDS if k != "frequency")


def build_relation_head(cfg: RelationHeadConfig, in_channels: int,
                        frequency_counts: Optional[np.ndarray] = None,
                        pair_counts: Optional[np.ndarray] = None) -> nn.Module:
    """The predicate head ``cfg.kind`` (:data:`HEAD_BUILDERS`).

    ``frequency_counts`` ``[36, 26]`` / ``pair_counts`` ``[36]``: training statistics from
    :func:`~sgfb.relations.frequency.count_relationships`; they initialise the frequency bias
    (``"reldn"``, and ``"sttran"`` with ``use_frequency``; zeros when absent) or define the
    prior (``"frequency"``, required); the Table 5 baselines have no frequency term (as in
    their papers). IMP's predicate scores start at their marginals over all classes
    (:func:`~sgfb.relations.frequency.marginal_logits`) when ``cfg.marginal_bias`` and counts
    are given (:mod:`sgfb.relations.imp`).
    """
    if cfg.kind not in HEAD_BUILDERS:
        raise ValueError(f"unknown relation head kind {cfg.kind!r}; choose from "
                         f"{', '.join(HEAD_KINDS)}")
    init = marginal = None
    if frequency_counts is not None:
        init = torch.from_numpy(log_frequency_init(frequency_counts, cfg.frequency_eps, pair_counts))
        marginal = torch.from_numpy(marginal_logits(frequency_counts, cfg.frequency_eps,
                                                    pair_counts))
    return HEAD_BUILDERS[cfg.kind](cfg, in_channels, init, marginal)


def is_temporal(head: nn.Module) -> bool:
    """Whether ``head`` reads neighbouring frames (batch frames by clip or video)."""
    return bool(getattr(head, "temporal", False))
