"""The frozen backbone's features of the test views, computed once for several bank heads.

A run with ``head_seeds: N`` (:mod:`sgfb.training.action`) trains N heads on one frozen
backbone and scores each on the same test views (Action Genome §5.1: 10 temporal x 3
spatial views a video). Without this, every head decodes every view and runs the backbone
over it again, N times the test pass of a run; with it, the decoding and the backbone run
once and each head costs its own forward only. The features stay in memory (a Charades
test split is 18,630 views x 3 crops x 2,048 floats, about 460 MB, split across processes)
and hold no bank: each head reads its view's bank window, as the uncached pass does.

The features are computed in the batches the uncached pass uses, so a head scores them
exactly as it scores the decoded views (:func:`sgfb.evaluation.actions.view_scores`).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

import torch
from torch.utils.data import DataLoader, Dataset, Subset
from tqdm import tqdm

from sgfb.data.clip_dataset import BankProvider, add_bank, collate_clips, stack_banks


@dataclass
class ViewFeatures:
    """``features`` ``[N, crops, D]`` of N test views, with each view's ``video_id`` and
    ``center_time`` (the key of its bank window); ``backbone`` names the weights they came
    from (:func:`~sgfb.training.clip_cache.module_digest`)."""
    features: torch.Tensor
    video_ids: List[str]
    center_time: torch.Tensor
    backbone: str


@torch.no_grad()
def compute_view_features(model: torch.nn.Module, dataset: Dataset, device: torch.device,
                          backbone: str, batch_size: int = 2, workers: int = 0,
                          progress: bool = True) -> ViewFeatures:
    """``model.clip_features`` (an :class:`~sgfb.models.action.ActionModel`) of every test
    item of ``dataset`` (a :class:`~sgfb.data.clip_dataset.CharadesClips` or a subset), each
    spatial crop apart; no bank is read."""
    was_training = model.training
    model.eval()
    loader = DataLoader(_without_banks(dataset), batch_size=batch_size, collate_fn=collate_clips,
                        num_workers=workers)
    features: List[torch.Tensor] = []
    ids: List[str] = []
    centers: List[torch.Tensor] = []
    try:
        for batch in tqdm(loader, desc="test view features", disable=not progress):
            frames = batch["frames"].to(device)             # [B, crops, 3, T, H, W]
            b, crops = frames.shape[:2]
            clip = model.clip_features(frames.flatten(0, 1)).float().cpu()
            features.append(clip.view(b, crops, -1))
            ids += batch["video_id"]
            centers.append(batch["center_time"])
    finally:
        model.train(was_training)
    if not features:
        return ViewFeatures(torch.zeros(0, 1, 0), [], torch.zeros(0, dtype=torch.float64),
                            backbone)
    return ViewFeatures(torch.cat(features), ids, torch.cat(centers), backbone)


def _without_banks(dataset: Dataset) -> Dataset:
    """``dataset`` (or the subset's dataset) reading no bank windows: the features need none."""
    if isinstance(dataset, Subset):
        return Subset(_without_banks(dataset.dataset), dataset.indices)
    dataset = copy.copy(dataset)
    dataset.bank_provider = None
    return dataset


class CachedViews(Dataset):
    """Test items over :class:`ViewFeatures`: ``features`` ``[crops, D]``, ``video_id``,
    ``center_time``, and with a ``bank_provider`` the view's ``bank`` and ``bank_mask``."""

    def __init__(self, views: ViewFeatures, bank_provider: Optional[BankProvider] = None):
        self.views, self.bank_provider = views, bank_provider

    def __len__(self) -> int:
        return len(self.views.video_ids)

    def __getitem__(self, index: int) -> Dict[str, Any]:
        v = self.views
        return add_bank({"features": v.features[index], "video_id": v.video_ids[index],
                         "center_time": float(v.center_time[index])}, self.bank_provider)


def collate_views(items: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    return stack_banks({"features": torch.stack([it["features"] for it in items]),
                        "video_id": [it["video_id"] for it in items]}, items)
