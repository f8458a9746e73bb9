"""Charades evaluation of an action model (Action Genome paper §5.1, the LFB protocol):
10 temporal x 3 spatial views per video, sigmoid scores max-aggregated over all views, then
mAP over the classes with at least one positive video."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset
from tqdm import tqdm

from sgfb.data.clip_dataset import CharadesClips, collate_clips
from sgfb.evaluation.mean_ap import (average_precision_per_class, mean_average_precision,
                                     random_ranking_map)
from sgfb.evaluation.view_features import (CachedViews, ViewFeatures, collate_views,
                                            compute_view_features)
from sgfb.evaluation.views import aggregate_views, video_targets
from sgfb.utils.distributed import DistInfo, gather_objects


@dataclass
class ActionMetrics:
    mAP: float
    per_class_ap: List[float]
    video_ids: List[str]
    scores: np.ndarray = field(repr=False)      # [V, C] sigmoid, max over views
    targets: np.ndarray = field(repr=False)     # [V, C] video labels

    def as_dict(self, class_names: List[str] | None = None) -> Dict:
        names = class_names or [f"c{i:03d}" for i in range(len(self.per_class_ap))]
        return {
            "mAP": self.mAP,
            # what a random ranking of these videos scores: small test sets score high by chance
            "chance_mAP": random_ranking_map(self.targets),
            "videos": len(self.video_ids),
            "classes_with_positives": int((self.targets.sum(0) > 0).sum()),
            "per_class_ap": {n: (None if np.isnan(ap) else float(ap))
                             for n, ap in zip(names, self.per_class_ap)},
        }


@torch.no_grad()
def view_scores(model: torch.nn.Module, dataset: Dataset, device: torch.device,
                batch_size: int = 2, workers: int = 0, progress: bool = True,
                num_classes: Optional[int] = None):
    """Sigmoid scores of every test item of ``dataset`` (a :class:`CharadesClips` or a subset
    of one, or :class:`CachedViews` of their backbone features; ``num_classes`` then sizes an
    empty result), max over its spatial crops: ``(video ids, [N, C])``."""
    model.eval()
    cached = isinstance(dataset, CachedViews)
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=0 if cached else workers,
                        collate_fn=collate_views if cached else collate_clips)
    ids: List[str] = []
    out: List[np.ndarray] = []
    for batch in tqdm(loader, desc="test views", disable=not progress):
        inputs = batch["features" if cached else "frames"].to(device)  # [B, crops, ...]
        b, crops = inputs.shape[:2]
        bank = mask = None
        if "bank" in batch:
            bank = batch["bank"].to(device).repeat_interleave(crops, 0)
            mask = batch["bank_mask"].to(device).repeat_interleave(crops, 0)
        if cached:
            logits = model(None, bank, mask, features=inputs.flatten(0, 1))
        else:
            logits = model(inputs.flatten(0, 1), bank, mask)
        scores = torch.sigmoid(logits.float()).view(b, crops, -1).amax(1)
        out.append(scores.cpu().numpy())
        ids += batch["video_id"]
    if out:
        return ids, np.concatenate(out)
    return ids, np.zeros((0, num_classes if num_classes is not None else dataset.num_classes),
                         np.float32)


def process_share(dataset: CharadesClips, info: Optional[DistInfo]) -> Dataset:
    """The test items this process scores: every ``world_size``-th, from its rank."""
    if info is not None and info.distributed:
        return Subset(dataset, range(info.rank, len(dataset), info.world_size))
    return dataset


def evaluate_actions(model: torch.nn.Module, dataset: CharadesClips, device: torch.device,
                     batch_size: int = 2, workers: int = 0, classes: List[int] | None = None,
                     progress: bool = True, info: Optional[DistInfo] = None,
                     views: Optional[ViewFeatures] = None) -> ActionMetrics:
    """mAP of ``model`` on the test views of ``dataset``; ``classes`` maps the model's outputs
    to Charades class indices when it predicts a subset (few-shot novel classes).

    ``info`` of a distributed run: every process scores every ``world_size``-th view (from
    its rank) and the scores are gathered, so all processes return the same metrics, equal
    to a one-process evaluation's (the views are max-aggregated per video, in any order).
    ``views``: this process's share's backbone features (:func:`backbone_view_features`), read
    instead of decoding the views again; the model's backbone must be the one they came
    from."""
    items: Dataset = process_share(dataset, info)
    if views is not None:
        items = CachedViews(views, dataset.bank_provider)
    outputs = len(classes) if classes is not None else dataset.num_classes
    ids, scores = view_scores(model, items, device, batch_size, workers,
                              progress and (info is None or info.is_main), num_classes=outputs)
    if info is not None and info.distributed:
        parts = gather_objects((ids, scores), info)
        ids = [v for part_ids, _ in parts for v in part_ids]
        scores = np.concatenate([part_scores for _, part_scores in parts])
    videos, per_video = aggregate_views(scores, ids, reduce="max")
    targets = video_targets(dataset.charades, videos)
    if classes is not None:
        targets = targets[:, classes]
    return ActionMetrics(mean_average_precision(per_video, targets),
                         average_precision_per_class(per_video, targets).tolist(),
                         list(videos), per_video, targets)


def backbone_view_features(model: torch.nn.Module, dataset: CharadesClips,
                           device: torch.device, backbone: str, batch_size: int = 2,
                           workers: int = 0, progress: bool = True,
                           info: Optional[DistInfo] = None) -> ViewFeatures:
    """The backbone features of this process's share of the test views, for
    :func:`evaluate_actions` of several heads on that backbone."""
    return compute_view_features(model, process_share(dataset, info), device, backbone,
                                 batch_size, workers,
                                 progress and (info is None or info.is_main))
