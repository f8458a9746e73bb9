"""Charades clips as a torch Dataset (Action Genome paper §5.1, LFB / PySlowFast protocol).

``split="train"``: one item per video; each epoch draws one clip (:func:`random_clip`) and
its spatial augmentation from a generator seeded by ``(seed, epoch, index)``, so a run that
resumes at an epoch sees exactly the clips it would have seen (call :meth:`set_epoch` before
each epoch, in the process that creates the DataLoader workers: with
``persistent_workers=True`` the workers keep the epoch they started with).

``split="test"``: one item per (video, temporal view), ``len = videos * num_temporal_views``,
item ``i`` is view ``i % views`` of video ``i // views``; each yields the 3 spatial crops.

An item is a dict:

- ``frames``: float32 ``[3, T, crop, crop]`` (train) or ``[crops, 3, T, crop, crop]`` (test);
  with ``normalize=False`` (``data.normalize_on_device``) the same crops as uint8, not yet
  normalised (channels-last in memory; the model normalises them on its device:
  :func:`~sgfb.data.clip_transforms.normalize_clips`, 4x fewer bytes to move);
- ``labels``: float32 ``[C]`` multi-hot of the actions overlapping the clip's span
  (:func:`clip_labels`);
- ``video_id`` (str, no extension), ``view`` (int; -1 in training), ``center_time`` (float,
  seconds: centre of the clip's span, where its feature-bank window is centred),
  ``frame_indices`` int64 ``[T]``;
- with a ``bank_provider``: ``bank`` float32 ``[S, D]`` and ``bank_mask`` bool ``[S]``, the
  provider's answer for ``(video_id, center_time)``.

Videos are read from ``videos_dir/VIDEO_ID.mp4`` through a per-process
:class:`~sgfb.data.reader_cache.ReaderCache`: each video is indexed once for the life of
the process (of each DataLoader worker) and the most recently used readers stay open, so an
item costs only the seek to the keyframe before its clip and the decoding up to the clip's
last frame (single-threaded: the workers use the cores); only the clip's frames are
converted to RGB, and a training clip's frames are resized to the drawn short side one by one
as they are decoded (:meth:`ClipTransform.sample` draws before decoding; bilinear as
PySlowFast, within 1 grey level of resizing the stacked clip), so the full-size clip is never
stacked. A video that cannot be decoded raises
:class:`~sgfb.data.video.VideoDecodeError` naming the file; :meth:`CharadesClips.check_videos`
lists the unreadable videos up front.
"""
from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, \
    Union

import numpy as np
import torch
from torch.utils.data import Dataset, get_worker_info

from sgfb.data.action_genome import FpsSource
from sgfb.data.charades import Charades
from sgfb.data.clip_transforms import DEFAULT_MEAN, DEFAULT_STD, ClipTransform, resized_size
from sgfb.data.clips import clip_center_seconds, clip_labels, clip_span_seconds, random_clip, \
    test_clips
from sgfb.data.prepared_videos import PreparedVideos
from sgfb.data.reader_cache import ReaderCache
from sgfb.data.video import VideoDecodeError, index_video, open_video

#: ``(video_id, center_time) -> (bank [S, D] float, mask [S] bool)``, e.g. a closure over
#: :func:`sgfb.feature_bank.window.query_window` and the video's stored bank.
BankProvider = Callable[[str, float], Tuple[Any, Any]]

SPLITS = ("train", "test")


def _fps_source(fps: FpsSource) -> Union[None, Dict[str, float], Callable[[str], float]]:
    """None (use the decoder's rate; also for a videos directory), a table (from a JSON
    path or a mapping; a plain dict, so the dataset pickles for DataLoader workers), or the
    given callable."""
    if fps is None or callable(fps):
        return fps
    if isinstance(fps, Mapping):
        return {str(k): float(v) for k, v in fps.items()}
    if isinstance(fps, (str, os.PathLike)):
        path = os.fspath(fps)
        if os.path.isdir(path):
            return None
        try:
            with open(path, encoding="utf-8") as f:
                table = json.load(f)
            return {str(k): float(v) for k, v in table.items()}
        except (OSError, ValueError, AttributeError, TypeError) as err:
            raise ValueError(f"{path}: not an fps table JSON ({err})") from err
    raise TypeError(f"fps must be None, a path, a mapping or a callable, "
                    f"got {type(fps).__name__}")


class UnreadableVideo(NamedTuple):
    video_id: str
    path: str
    error: str


class CharadesClips(Dataset):
    """Clips of Charades videos with their labels (see the module docstring).

    Args:
        videos_dir: folder of ``VIDEO_ID.mp4`` files.
        charades: the annotations (:class:`sgfb.data.charades.Charades`).
        video_ids: the videos of this dataset, in order (ids, an extension is dropped).
        fps: native frame rates for converting frame indices to seconds: an fps table JSON
            path (``video_fps.json``, keys ``VIDEO.mp4`` or ``VIDEO``), a mapping, a callable
            ``(VIDEO.mp4) -> fps``, or ``None`` (or the videos directory) to use the rate the
            decoder reports.
        num_frames, stride: clip length and native-frame stride (32, 4).
        crop: output side; scale_range: training short-side jitter (default
            :func:`default_scale_range` of ``crop``).
        split: ``"train"`` or ``"test"``.
        num_temporal_views, num_spatial_crops: test views per video (10) and crops (3 or 1).
        seed: base seed of the training randomness.
        bank_provider: optional ``(video_id, center_time) -> (bank [S, D], mask [S])``.
        num_classes: label vector size (default ``charades.num_classes``).
        backend: video decoder (``"auto"``, ``"torchcodec"``, ``"pyav"``, ``"decord"``).
        video_ext: file extension of the videos.
        max_open_videos: readers each process keeps open (least recently used closed first).
        index_dir: a folder where the videos' packet indices are stored and reused by
            every worker of every epoch (:mod:`sgfb.data.index_store`); ``None``: each
            worker process indexes the videos it reads.
        prepared_dir: a folder of prepared copies (``tools/prepare_videos.py``): a video with
            a current copy there is read from the copy (same frames and times, short GOP,
            smaller), the others from ``videos_dir``.
        normalize: False: ``frames`` are the uint8 crops (resized, cropped, flipped), and
            whoever consumes them normalises (``mean`` / ``std`` then unused here).
    """

    def __init__(self, videos_dir: str, charades: Charades, video_ids: Sequence[str],
                 fps: FpsSource = None, num_frames: int = 32, stride: int = 4, crop: int = 224,
                 scale_range: Optional[Tuple[int, int]] = None, split: str = "train",
                 num_temporal_views: int = 10, num_spatial_crops: int = 3, seed: int = 0,
                 bank_provider: Optional[BankProvider] = None,
                 num_classes: Optional[int] = None, backend: str = "auto",
                 video_ext: str = ".mp4", flip_prob: float = 0.5,
                 mean: Sequence[float] = DEFAULT_MEAN,
                 std: Sequence[float] = DEFAULT_STD, max_open_videos: int = 8,
                 prepared_dir: Optional[str] = None, index_dir: Optional[str] = None,
                 normalize: bool = True) -> None:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; choose one of {SPLITS}")
        if num_frames < 1 or stride < 1:
            raise ValueError(f"num_frames and stride must be at least 1, got {num_frames} "
                             f"and {stride}")
        if num_temporal_views < 1:
            raise ValueError(f"num_temporal_views must be at least 1, got {num_temporal_views}")
        self.videos_dir = os.fspath(videos_dir)
        self.charades = charades
        self.video_ids = [os.path.splitext(v)[0] for v in video_ids]
        missing = [v for v in self.video_ids if v not in charades]
        if missing:
            raise KeyError(f"{len(missing)} video(s) are not in {charades.source}, e.g. "
                           f"{missing[:5]}")
        self._fps = _fps_source(fps)
        self._fps_name = os.fspath(fps) if isinstance(fps, (str, os.PathLike)) else "<fps table>"
        self.num_frames, self.stride = int(num_frames), int(stride)
        self.split = split
        self.num_temporal_views = int(num_temporal_views) if split == "test" else 1
        self.seed = int(seed)
        self.epoch = 0
        self.bank_provider = bank_provider
        self.num_classes = charades.num_classes if num_classes is None else int(num_classes)
        self.backend = backend
        self.video_ext = video_ext
        self.readers = ReaderCache(backend, max_open=max_open_videos, index_dir=index_dir)
        self.prepared = PreparedVideos(os.fspath(prepared_dir)) if prepared_dir else None
        self.transform = ClipTransform(
            train=split == "train", crop=int(crop),
            scale_range=tuple(scale_range) if scale_range is not None else None,
            flip_prob=flip_prob, num_crops=num_spatial_crops, mean=tuple(mean), std=tuple(std),
            uint8=not normalize)
        if split == "test" and num_spatial_crops not in (1, 3):
            raise ValueError(f"num_spatial_crops must be 1 or 3, got {num_spatial_crops}")

    # ------------------------------------------------------------------ indexing
    def __len__(self) -> int:
        return len(self.video_ids) * self.num_temporal_views

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose training clips ``__getitem__`` returns."""
        self.epoch = int(epoch)

    def item_video_view(self, index: int) -> Tuple[str, int]:
        """``(video_id, view)`` of item ``index`` (view -1 in training)."""
        if not 0 <= index < len(self):
            raise IndexError(f"item {index} out of range (the dataset has {len(self)})")
        if self.split == "train":
            return self.video_ids[index], -1
        return (self.video_ids[index // self.num_temporal_views],
                index % self.num_temporal_views)

    def source_path(self, video_id: str) -> str:
        """The original video file."""
        return os.path.join(self.videos_dir, os.path.splitext(video_id)[0] + self.video_ext)

    def video_path(self, video_id: str) -> str:
        """The file read: the prepared copy when a current one exists, else the original."""
        source = self.source_path(video_id)
        if self.prepared is None:
            return source
        return self.prepared.path(source, os.path.splitext(video_id)[0] + self.video_ext)

    def rng(self, index: int) -> np.random.Generator:
        """The generator of training item ``index`` in the current epoch."""
        return np.random.default_rng([self.seed, self.epoch, int(index)])

    def fps_description(self) -> Union[None, str, Dict[str, float]]:
        """Where the clips' frame rates come from, comparable across runs (a cache key's
        part): None (the decoder's rate), the fps table, or a callable's repr."""
        if self._fps is None or isinstance(self._fps, dict):
            return self._fps
        return repr(self._fps)

    # ------------------------------------------------------------------ items
    def _video_fps(self, video_id: str, reader_fps: float) -> float:
        if self._fps is None:
            return reader_fps
        name = video_id + self.video_ext
        if callable(self._fps):
            return float(self._fps(name))
        for key in (name, video_id):
            if key in self._fps:
                return float(self._fps[key])
        raise KeyError(f"{self._fps_name}: no frame rate for video {name}")

    def __getitem__(self, index: int) -> Dict[str, Any]:
        video_id, view = self.item_video_view(index)
        path = self.video_path(video_id)
        rng = self.rng(index) if self.split == "train" else None
        try:
            reader = self.readers.reader(path)
            if self.split == "train":
                indices = random_clip(reader.num_frames, self.num_frames, self.stride, rng)
                params = self.transform.sample(reader.height, reader.width, rng)
                height, width = resized_size(reader.height, reader.width, params.short_side)
                frames = reader.get_frames(indices, size=(width, height),
                                           interpolation="bilinear")
            else:
                indices = test_clips(reader.num_frames, self.num_frames, self.stride,
                                     self.num_temporal_views)[view]
                params = None
                frames = reader.get_frames(indices)
            fps = self._video_fps(video_id, reader.fps)
        except VideoDecodeError as err:
            self.readers.discard(path)
            raise VideoDecodeError(f"video {video_id!r}: {err}") from err
        except BaseException:
            self.readers.discard(path)
            raise
        t0, t1 = clip_span_seconds(indices, fps)
        item: Dict[str, Any] = {
            "frames": (self.transform(frames) if params is None
                       else self.transform.apply(frames, params)),
            "labels": torch.from_numpy(
                clip_labels(self.charades, video_id, t0, t1, self.num_classes)),
            "video_id": video_id,
            "view": view,
            "center_time": clip_center_seconds(indices, fps),
            "frame_indices": torch.from_numpy(np.asarray(indices, dtype=np.int64)),
        }
        return add_bank(item, self.bank_provider)

    # ------------------------------------------------------------------ checks
    def check_videos(self, decode: bool = False, progress: bool = False) -> List[UnreadableVideo]:
        """The videos that cannot be read: missing, empty, not a video, no decodable frame
        (container index only, fast); with ``decode=True`` the first and last frames are also
        decoded. Returns ``[]`` when all are readable."""
        bad: List[UnreadableVideo] = []
        ids = self.video_ids
        if progress:
            from tqdm import tqdm
            ids = tqdm(ids, desc="checking videos", unit="video")
        for video_id in ids:
            path = self.video_path(video_id)
            try:
                if decode:
                    with open_video(path, self.backend) as reader:
                        reader.get_frames([0, reader.num_frames - 1])
                else:
                    index_video(path)
            except VideoDecodeError as err:
                bad.append(UnreadableVideo(video_id, path, str(err)))
        return bad

    def __repr__(self) -> str:
        return (f"CharadesClips(split={self.split!r}, videos={len(self.video_ids)}, "
                f"items={len(self)}, num_frames={self.num_frames}, stride={self.stride}, "
                f"crop={self.transform.crop}, videos_dir={self.videos_dir!r})")


def _memory_order(tensor: torch.Tensor) -> List[int]:
    """The dimensions of ``tensor`` from the outermost in memory to the innermost
    (``[0, 1, ...]`` for a contiguous tensor)."""
    return sorted(range(tensor.ndim), key=lambda d: -tensor.stride(d))


def _stack(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    """``torch.stack`` keeping the items' memory layout (uint8 clips stay channels-last: no
    transposing copy); in a DataLoader worker straight into shared memory (as PyTorch's
    ``default_collate``), so the batch is not copied once more to cross to the main process
    (a float32 32x224x224 clip is 19 MB)."""
    first = tensors[0]
    order = _memory_order(first)
    views = [t.permute(order) for t in tensors]
    back = [0] + [1 + order.index(d) for d in range(first.ndim)]
    if get_worker_info() is None:
        return torch.stack(views).permute(back)
    storage = first._typed_storage()._new_shared(len(tensors) * first.numel(),
                                                 device=first.device)
    out = first.new(storage).resize_(len(tensors), *views[0].shape)
    return torch.stack(views, out=out).permute(back)


def collate_clips(items: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """Batch items: ``frames`` ``[B, 3, T, H, W]`` (train) or ``[B, crops, 3, T, H, W]``
    (test), ``labels`` ``[B, C]``, ``center_time`` float64 ``[B]``, ``view`` int64 ``[B]``,
    ``frame_indices`` ``[B, T]``, ``video_id`` list of B str, and when present ``bank``
    ``[B, S, D]`` and ``bank_mask`` ``[B, S]``."""
    if not items:
        raise ValueError("cannot collate an empty batch")
    batch: Dict[str, Any] = {
        "frames": _stack([it["frames"] for it in items]),
        "labels": torch.stack([it["labels"] for it in items]),
        "video_id": [it["video_id"] for it in items],
        "view": torch.tensor([it["view"] for it in items], dtype=torch.int64),
        "center_time": torch.tensor([it["center_time"] for it in items], dtype=torch.float64),
        "frame_indices": torch.stack([it["frame_indices"] for it in items]),
    }
    return stack_banks(batch, items)


def add_bank(item: Dict[str, Any], provider: Optional[BankProvider]) -> Dict[str, Any]:
    """``item`` (with ``video_id`` and ``center_time``) with the provider's window as
    ``bank`` float32 ``[S, D]`` and ``bank_mask`` bool ``[S]``; unchanged without one."""
    if provider is None:
        return item
    video_id = item["video_id"]
    bank, mask = provider(video_id, item["center_time"])
    item["bank"] = torch.as_tensor(np.asarray(bank, dtype=np.float32))
    item["bank_mask"] = torch.as_tensor(np.asarray(mask, dtype=bool))
    if item["bank"].ndim != 2 or item["bank_mask"].shape != item["bank"].shape[:1]:
        raise ValueError(f"video {video_id!r}: the bank provider returned bank "
                         f"{tuple(item['bank'].shape)} and mask "
                         f"{tuple(item['bank_mask'].shape)}, expected [S, D] and [S]")
    return item


def stack_banks(batch: Dict[str, Any], items: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """``batch`` with the items' ``bank`` ``[B, S, D]`` and ``bank_mask`` ``[B, S]`` when
    they have them (all or none)."""
    has_bank = ["bank" in it for it in items]
    if any(has_bank):
        if not all(has_bank):
            raise ValueError("some items of the batch have a bank and others do not")
        batch["bank"] = _stack([it["bank"] for it in items])
        batch["bank_mask"] = torch.stack([it["bank_mask"] for it in items])
    return batch
