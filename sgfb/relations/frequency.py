"""Training-set relationship frequencies and the frequency-prior baseline.

Neural Motifs' frequency baseline (Zellers et al., CVPR 2018) predicts a predicate from the
classes of the two boxes alone; it is "Freq Prior" in Table 5 of the Action Genome paper
(§5.3). In Action Genome the subject is always the person, so the prior depends on the object
class only. RelDN (and :class:`~sgfb.relations.head.RelationHead`) adds the same statistics as
a learnable bias initialised from :func:`log_frequency_init`.

Frequencies per object class ``c`` (``n[c, r]`` relationship counts, ``N[c]`` pair counts,
``ε`` additive smoothing):

- attention (one label per pair, softmax): ``p(r | c) = (n[c, r] + ε) / (Σ_attn n[c, ·] + 3ε)``,
  stored as ``log p`` so that a softmax over the three recovers ``p``;
- spatial and contacting (any number per pair, sigmoid): ``p(r | c) = (n[c, r] + ε) / (N[c] +
  2ε)``, the smoothed share of the class's pairs that carry ``r``, stored as its logit
  ``log p - log(1 - p)`` so that a sigmoid recovers ``p``.

Classes never seen in training get uniform attention and ``p = 1/2`` elsewhere.
"""
from __future__ import annotations

from typing import Iterable, Optional, Tuple

import numpy as np
import torch
from torch import nn

from sgfb.structures.vocab import GROUP_SLICES, NUM_OBJECTS, NUM_RELATIONSHIPS
from sgfb.relations.logits import RelationLogits
from sgfb.relations.pairs import RelationPairs
from sgfb.structures.scene_graph import SceneGraph


def count_relationships(graphs: Iterable[SceneGraph], threshold: float = 0.5
                        ) -> Tuple[np.ndarray, np.ndarray]:
    """One pass over ground-truth graphs: ``(counts [36, 26], pairs [36])`` as float64.

    ``counts[c, r]``: pairs with object class ``c`` annotated with relationship ``r``
    (score ``>= threshold``); ``pairs[c]``: pairs with object class ``c``. Boxes are not
    needed, so graph-only annotations count too.
    """
    counts = np.zeros((NUM_OBJECTS, NUM_RELATIONSHIPS), np.float64)
    pairs = np.zeros(NUM_OBJECTS, np.float64)
    for graph in graphs:
        if graph.num_pairs == 0:
            continue
        labels = graph.pair_labels
        np.add.at(counts, labels, (graph.relations >= threshold).astype(np.float64))
        np.add.at(pairs, labels, 1.0)
    return counts, pairs


def relationship_counts(graphs: Iterable[SceneGraph]) -> np.ndarray:
    """``[36, 26]`` count of each relationship per object class (see :func:`count_relationships`)."""
    return count_relationships(graphs)[0]


def pair_counts(graphs: Iterable[SceneGraph]) -> np.ndarray:
    """``[36]`` number of person-object pairs per object class."""
    return count_relationships(graphs)[1]


def _pairs_or_default(counts: np.ndarray, pairs: Optional[np.ndarray]) -> np.ndarray:
    """``[36, 1]`` pair counts; without them, each class's attention total (AG annotates one
    attention label per pair), never below any of its relationship counts."""
    if pairs is None:
        pairs = counts[:, GROUP_SLICES["attention"]].sum(1)
    pairs = np.asarray(pairs, np.float64).reshape(-1, 1)
    return np.maximum(pairs, counts.max(1, keepdims=True))


def _checked(counts: np.ndarray, eps: float) -> np.ndarray:
    counts = np.asarray(counts, np.float64)
    if counts.shape != (NUM_OBJECTS, NUM_RELATIONSHIPS):
        raise ValueError(f"expected [{NUM_OBJECTS}, {NUM_RELATIONSHIPS}] counts, got {counts.shape}")
    if eps <= 0:
        raise ValueError(f"frequency smoothing eps must be > 0, got {eps}")
    return counts


def frequency_probabilities(counts: np.ndarray, pair_counts: Optional[np.ndarray] = None,
                            eps: float = 1.0) -> np.ndarray:
    """``[36, 26]`` smoothed ``p(r | c)`` (module docstring); attention rows sum to 1."""
    counts = _checked(counts, eps)
    return _smoothed(counts, _pairs_or_default(counts, pair_counts), eps)


def _smoothed(counts: np.ndarray, pairs: np.ndarray, eps: float) -> np.ndarray:
    """``[K, 26]`` smoothed frequencies of ``counts`` ``[K, 26]`` over ``pairs`` ``[K, 1]``."""
    attn = GROUP_SLICES["attention"]
    probs = (counts + eps) / (pairs + 2 * eps)
    n_attn = counts[:, attn]
    probs[:, attn] = (n_attn + eps) / (n_attn.sum(1, keepdims=True) + n_attn.shape[1] * eps)
    return probs


def _logits(probs: np.ndarray) -> np.ndarray:
    """float32 ``log p`` in the attention columns, ``logit p`` elsewhere."""
    logits = np.log(probs) - np.log1p(-probs)
    attn = GROUP_SLICES["attention"]
    logits[..., attn] = np.log(probs[..., attn])
    return logits.astype(np.float32)


def log_frequency_init(counts: np.ndarray, eps: float = 1.0,
                       pair_counts: Optional[np.ndarray] = None) -> np.ndarray:
    """``[36, 26]`` float32 logits whose probabilities are the smoothed frequencies.

    Attention columns hold ``log p`` (softmax-compatible), spatial and contacting columns
    ``logit p`` (sigmoid-compatible); see the module docstring.
    """
    return _logits(frequency_probabilities(counts, pair_counts, eps))


def marginal_logits(counts: np.ndarray, eps: float = 1.0,
                    pair_counts: Optional[np.ndarray] = None) -> np.ndarray:
    """``[26]`` float32 logits of the smoothed training marginals, whatever the object class:
    the counts summed over classes, smoothed and stored as :func:`log_frequency_init` does
    (``log p`` for attention, ``logit p`` for spatial and contacting)."""
    counts = _checked(counts, eps)
    pairs = _pairs_or_default(counts, pair_counts).sum(keepdims=True)
    return _logits(_smoothed(counts.sum(0, keepdims=True), pairs, eps))[0]


class FrequencyPrior(nn.Module):
    """Predicate scores from the object class alone (Motifs' frequency baseline, AG §5.3).

    Holds a ``[36, 26]`` buffer of :func:`log_frequency_init` logits; nothing is trained.
    Call it like :class:`~sgfb.relations.head.RelationHead` (``forward(features, pairs)``,
    the features are ignored) or directly on labels with :meth:`logits`.
    """

    def __init__(self, log_frequencies: Optional[torch.Tensor] = None) -> None:
        super().__init__()
        if log_frequencies is None:
            log_frequencies = torch.zeros(NUM_OBJECTS, NUM_RELATIONSHIPS)
        log_frequencies = torch.as_tensor(log_frequencies, dtype=torch.float32)
        if log_frequencies.shape != (NUM_OBJECTS, NUM_RELATIONSHIPS):
            raise ValueError(f"expected [{NUM_OBJECTS}, {NUM_RELATIONSHIPS}] log frequencies, "
                             f"got {tuple(log_frequencies.shape)}")
        self.register_buffer("log_frequencies", log_frequencies.clone())

    @classmethod
    def from_counts(cls, counts: np.ndarray, pair_counts: Optional[np.ndarray] = None,
                    eps: float = 1.0) -> "FrequencyPrior":
        return cls(torch.from_numpy(log_frequency_init(counts, eps, pair_counts)))

    def fit(self, counts: np.ndarray, pair_counts: Optional[np.ndarray] = None,
            eps: float = 1.0) -> "FrequencyPrior":
        """Set the prior from training counts (in place); returns ``self``."""
        table = torch.from_numpy(log_frequency_init(counts, eps, pair_counts))
        self.log_frequencies.copy_(table.to(self.log_frequencies))
        return self

    def logits(self, object_labels: torch.Tensor) -> RelationLogits:
        """Scores of pairs with object classes ``object_labels`` ``[P]``."""
        return RelationLogits.from_flat(self.log_frequencies[object_labels.long()])

    def probabilities(self, object_labels: torch.Tensor) -> torch.Tensor:
        """``[P, 26]`` smoothed frequencies ``p(r | c)``."""
        return self.logits(object_labels).probabilities()

    def forward(self, features: object, pairs: RelationPairs) -> RelationLogits:
        """Same call as the RelDN head; ``features`` (``ImageFeatures`` or None) is unused."""
        return self.logits(pairs.object_labels.to(self.log_frequencies.device))
