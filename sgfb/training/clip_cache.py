"""The frozen backbone's clip features, computed once for the bank head.

In the two-stage schedule (long-term feature banks §4, Action Genome §5.1) the second stage
trains only the head (:class:`~sgfb.feature_bank.fbo.SGFBHead`) on a frozen backbone, so a
training clip's feature S does not change from one iteration to the next; only the bank
window beside it does. With ``head_cache_clips = K`` the head stage draws K training clips
per video once (the clips, scale jitter, crops and flips of the clip dataset's epochs
``0 .. K-1``, exactly what the uncached stage would read in its first K epochs), runs the
frozen backbone over them once, and then trains the head for ``head_solver.max_iters``
iterations on those features: every iteration costs the head alone, not the decoding and
the backbone (15x less on the demo; bench/head_cache.py). The batches are those of the
uncached stage: epoch ``e`` of the cached dataset is its videos in the same order, each
with the clip of epoch ``e mod K``, so for the first K epochs the head trains on exactly
the features it would have computed (the same losses), and after that the clips repeat.
The price is variety: the head sees K augmented clips of each video, however long it
trains.

The cache holds features, labels (all classes) and clip centres, not banks: the bank window
of each clip is read at training time, so heads on the same backbone with different banks
(predicted, oracle) share one cache. It is stored as ``DIR/clip_features_<key>.pt``; the key
is a digest of the backbone's weights and of everything that chooses the clips, so a changed
backbone, video list or clip setting never reads a stale file.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from sgfb.data.clip_dataset import BankProvider, CharadesClips, add_bank, stack_banks
from sgfb.data.epoch_items import EpochItems
from sgfb.utils.checkpoint import checkpoint_format, load_checkpoint, save_checkpoint
from sgfb.utils.distributed import DistInfo, barrier

CACHE_FORMAT = "sgfb.clip_features/2"   # /1 lacked clips_per_video


@dataclass
class ClipFeatures:
    """``features`` float32 ``[N, D]``, ``labels`` float32 ``[N, C]`` (every class of the
    clip dataset), ``center_time`` float64 ``[N]`` and ``video_ids`` (N) of the cached clips,
    ``N = clips_per_video * videos``: clip ``epoch * videos + index`` is item ``index`` of
    the dataset's epoch ``epoch``."""
    features: torch.Tensor
    labels: torch.Tensor
    center_time: torch.Tensor
    video_ids: List[str]
    clips_per_video: int
    key: str

    @property
    def videos(self) -> int:
        return len(self.video_ids) // self.clips_per_video


def module_digest(module: nn.Module) -> str:
    """sha256 of a module's state (names, dtypes, shapes and values), hex."""
    h = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        t = tensor.detach().cpu().contiguous().reshape(-1)
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)};".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def cache_key(backbone: nn.Module, dataset: CharadesClips, clips_per_video: int) -> str:
    """What decides the cached features: the backbone's weights and the dataset's clips."""
    spec = {"backbone": module_digest(backbone), "clips_per_video": int(clips_per_video),
            "videos_dir": os.path.abspath(dataset.videos_dir), "videos": dataset.video_ids,
            "prepared_dir": dataset.prepared.out_dir if dataset.prepared else None,
            "num_frames": dataset.num_frames, "stride": dataset.stride, "seed": dataset.seed,
            "transform": asdict(dataset.transform), "fps": dataset.fps_description(),
            "num_classes": dataset.num_classes, "charades": str(dataset.charades.source)}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def cache_path(directory: str, key: str) -> str:
    return os.path.join(directory, f"clip_features_{key[:16]}.pt")


@torch.no_grad()
def compute_clip_features(model: nn.Module, dataset: CharadesClips, clips_per_video: int,
                          batch_size: int, workers: int, device: torch.device,
                          key: str = "") -> ClipFeatures:
    """``model.clip_features`` (an :class:`~sgfb.models.action.ActionModel` whose backbone
    is frozen: eval mode, no gradient) of items ``(epoch, index)`` for epochs
    ``0 .. clips_per_video - 1``, in that order."""
    if clips_per_video < 1:
        raise ValueError(f"clips_per_video must be at least 1, got {clips_per_video}")
    clips = copy.copy(dataset)
    clips.bank_provider = None     # the cache keeps no bank; do not read them for nothing
    items = [(e, i) for e in range(clips_per_video) for i in range(len(dataset))]
    loader = DataLoader(EpochItems(clips), batch_size=batch_size, num_workers=workers,
                        sampler=items, collate_fn=_collate_clip_items)
    was_training = model.training
    model.eval()
    features, labels, centers, ids = [], [], [], []
    try:
        for frames, batch_labels, batch_centers, batch_ids in loader:
            features.append(model.clip_features(frames.to(device)).float().cpu())
            labels.append(batch_labels)
            centers.append(batch_centers)
            ids.extend(batch_ids)
    finally:
        model.train(was_training)
    return ClipFeatures(torch.cat(features), torch.cat(labels).float(), torch.cat(centers),
                        ids, clips_per_video, key)


def _collate_clip_items(items: Sequence[Dict[str, Any]]):
    """Only what the cache keeps (the bank windows are not needed here)."""
    return (torch.stack([it["frames"] for it in items]),
            torch.stack([it["labels"] for it in items]),
            torch.tensor([it["center_time"] for it in items], dtype=torch.float64),
            [it["video_id"] for it in items])


def save_clip_features(path: str, cache: ClipFeatures) -> None:
    save_checkpoint(path, {"format": CACHE_FORMAT, "key": cache.key,
                           "features": cache.features, "labels": cache.labels,
                           "center_time": cache.center_time, "video_ids": cache.video_ids,
                           "clips_per_video": cache.clips_per_video})


def load_clip_features(path: str, key: str) -> Optional[ClipFeatures]:
    """The cache at ``path`` if it exists and was made for ``key`` in this format; else
    None (then it is computed again and replaced)."""
    if not os.path.isfile(path):
        return None
    state = load_checkpoint(path)
    if checkpoint_format(state) != CACHE_FORMAT or state.get("key") != key:
        return None
    return ClipFeatures(state["features"], state["labels"], state["center_time"],
                        list(state["video_ids"]), int(state["clips_per_video"]), key)


def cached_clip_features(model: nn.Module, dataset: CharadesClips, clips_per_video: int,
                         directory: str, batch_size: int, workers: int, info: DistInfo,
                         log: Callable[[str], None] = print) -> ClipFeatures:
    """The cache in ``directory`` for this backbone and dataset; when absent the main process
    computes it and writes it (atomically) while the others wait, then read it."""
    key = cache_key(model.backbone, dataset, clips_per_video)
    path = cache_path(directory, key)
    cache = load_clip_features(path, key) if info.is_main else None
    if cache is not None:
        log(f"clip features of the frozen backbone: {len(cache.video_ids)} clips from {path}")
    elif info.is_main:
        cache = compute_clip_features(model, dataset, clips_per_video, batch_size, workers,
                                      info.device, key)
        save_clip_features(path, cache)
        log(f"clip features of the frozen backbone: {len(cache.video_ids)} clips "
            f"({clips_per_video} per video) -> {path}")
    barrier(info)
    if cache is None:
        cache = load_clip_features(path, key)
        if cache is None:
            raise RuntimeError(f"{path}: the main process did not write the clip features")
    return cache


class CachedClips(Dataset):
    """The head's training items over cached clip features, indexed like the clip dataset
    they came from: one item per video, and :meth:`set_epoch` chooses the clip (epoch ``e``
    reads the clips of epoch ``e mod clips_per_video``). An item: ``features`` ``[D]``,
    ``labels`` (of ``classes`` only, in that order, when given: few-shot), ``video_id``,
    ``center_time``, and with a ``bank_provider`` the clip's ``bank`` and ``bank_mask``."""

    def __init__(self, cache: ClipFeatures, bank_provider: Optional[BankProvider] = None,
                 classes: Optional[Sequence[int]] = None) -> None:
        self.cache, self.bank_provider = cache, bank_provider
        self.classes = None if classes is None else torch.as_tensor(list(classes))
        self.epoch = 0

    def __len__(self) -> int:
        return self.cache.videos

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def row(self, index: int) -> int:
        """The cache row of item ``index`` in the current epoch."""
        if not 0 <= index < len(self):
            raise IndexError(f"item {index} out of range (the dataset has {len(self)})")
        return (self.epoch % self.cache.clips_per_video) * len(self) + index

    def __getitem__(self, index: int) -> Dict[str, Any]:
        c, row = self.cache, self.row(index)
        labels = c.labels[row]
        item: Dict[str, Any] = {
            "features": c.features[row],
            "labels": labels if self.classes is None else labels[self.classes],
            "video_id": c.video_ids[row], "center_time": float(c.center_time[row])}
        return add_bank(item, self.bank_provider)


def collate_cached(items: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    batch: Dict[str, Any] = {
        "features": torch.stack([it["features"] for it in items]),
        "labels": torch.stack([it["labels"] for it in items]),
        "video_id": [it["video_id"] for it in items],
        "center_time": torch.tensor([it["center_time"] for it in items], dtype=torch.float64)}
    return stack_banks(batch, items)

