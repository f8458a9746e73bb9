"""The bank-only SGFB model on scene graphs alone (no video; Action Genome paper §4.2 with
the clip feature removed): each sample's bank window of confidence matrices C = s_o · s_r
(875-d), pooled over its frames, through :class:`~sgfb.feature_bank.fbo.BankOnlyClassifier`.

It runs on exactly the samples, splits, optimiser and early stopping of the ST-SGN
experiments (:mod:`sgfb.training.stsgn`), so its mAP sits beside RelMat's and the graph
networks' on the same test videos: ``frame`` task (one annotated frame's window, labels in
progress then) and ``video`` task (10 s slices, slice logits max-pooled, video labels).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

import numpy as np
import torch
from torch import nn

from sgfb.structures.confidence import feature_dim, frame_features
from sgfb.feature_bank.fbo import BankOnlyClassifier
from sgfb.training.stsgn import DataConfig, load_charades
from sgfb.stsgn.graphs import segment_ids
from sgfb.stsgn.tasks import build_samples, make_split, select_videos
from sgfb.training.stsgn_loop import TrainConfig, metrics, predict, train
from sgfb.data.action_genome import ActionGenome
from sgfb.evaluation.graph_predictions import load_prediction_dir


class BankOnlyModel(nn.Module):
    """ST-SGN's model interface (``forward(frames, lengths, graphs)`` -> per-sequence logits)
    over precomputed frame features ``[F, D]``: each sequence becomes a bank ``[S, T, D]``
    with a mask, pooled and classified."""

    def __init__(self, features: torch.Tensor, num_classes: int, pool: str = "max",
                 hidden: int = 512, dropout: float = 0.3) -> None:
        super().__init__()
        self.register_buffer("features", features.float(), persistent=False)
        self.classifier = BankOnlyClassifier(features.shape[1], num_classes, pool, hidden, dropout)
        self.num_classes = num_classes

    def forward(self, frames: torch.Tensor, lengths: torch.Tensor, graphs=None) -> torch.Tensor:
        lengths = lengths.to(torch.long)
        sequences, longest = lengths.numel(), int(lengths.max()) if lengths.numel() else 0
        seq = segment_ids(lengths)
        slot = torch.arange(frames.numel(), device=frames.device) - (torch.cumsum(lengths, 0) - lengths)[seq]
        bank = self.features.new_zeros(sequences, max(longest, 1), self.features.shape[1])
        mask = torch.zeros(sequences, max(longest, 1), dtype=torch.bool, device=frames.device)
        bank[seq, slot] = self.features[frames]
        mask[seq, slot] = True
        return self.classifier(bank, mask)


@dataclass
class BankOnlyConfig:
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    pool: str = "max"
    hidden: int = 512
    dropout: float = 0.3
    layout: str = "paper"


def run_bank_only(config: BankOnlyConfig, log: Callable[[str], None] = print,
                  ag: Optional[ActionGenome] = None, out_dir: Optional[str] = None) -> Dict:
    """Train on the seeded split and return train/val/test metrics (mAP), as ST-SGN runs do."""
    start = time.perf_counter()
    d = config.data
    torch.manual_seed(config.train.seed)   # init; data.seed draws the video split
    charades = load_charades(d.charades, d.classes)
    ag = ag or ActionGenome.load(d.annotations, fps=d.fps or None)
    frames = list(ag)
    graphs = [f.scene_graph() for f in frames]
    if d.graphs:   # predicted graphs of the same frames instead of the oracle ones
        predicted = load_prediction_dir(d.graphs)
        missing = [f.key for f in frames if f.key not in predicted]
        if missing:
            raise KeyError(f"{d.graphs}: no predicted graph for {len(missing)} annotated frames, "
                           f"e.g. {missing[:3]}")
        graphs = [predicted[f.key] for f in frames]
    features = torch.from_numpy(frame_features(graphs, config.layout))
    frame_index = {f.key: i for i, f in enumerate(frames)}
    samples = build_samples(d.task, ag, charades, frame_index, d.window)
    split = make_split(ag, d.seed, d.val_fraction, d.test_fraction)
    parts = {name: select_videos(samples, videos) for name, videos in split.items()}
    log(f"bank-only ({'predicted' if d.graphs else 'oracle'} banks, {config.pool}, {feature_dim(config.layout)}-d), {d.task} task, T={d.window}: "
        + ", ".join(f"{n} {len(p)} samples" for n, p in parts.items()))
    model = BankOnlyModel(features, charades.num_classes, config.pool, config.hidden,
                          config.dropout)
    result = train(model, None, parts["train"], parts["val"], config.train, log=log,
                   out_dir=out_dir)
    measured, scored = {}, {}
    for name, part in parts.items():
        if len(part):
            scores, loss = predict(model, None, part, config.train.eval_batch_size)
            measured[name] = {"loss": loss, **metrics(scores, part), "samples": len(part)}
            scored[name] = (scores, part.targets.numpy())
    return {"metrics": measured, "scores": scored, "best_epoch": result.best_epoch,
            "seconds": time.perf_counter() - start}


def summarise_seeds(runs: Dict[int, Dict]) -> Dict:
    values = [r["metrics"]["test"]["mAP"] for r in runs.values()]
    return {"mean": float(np.mean(values)), "std": float(np.std(values)),
            "per_seed": {str(s): v for s, v in zip(runs, values)}}
