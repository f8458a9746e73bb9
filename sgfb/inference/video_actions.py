"""Action models for inference, loaded from their checkpoints alone: a ``train_sgfb.py``
model (I3D clip features + scene-graph bank) or an ST-SGN model (graphs only).

Both answer the same two questions about one video: the video-level scores (the Charades
test protocol for SGFB: 10 temporal x 3 spatial views, max-aggregated; for ST-SGN: the
checkpoint's slices, max-pooled) and a timeline of scores at given times. The SGFB model
needs frames: it names its clips (:meth:`SGFBActionModel.view_clips`,
:meth:`SGFBActionModel.timeline_clips`) before the video is decoded, and scores them from
backbone features computed as the frames arrive; ST-SGN needs only the graphs.
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

import numpy as np
import torch

from sgfb.data.clip_transforms import short_side_resize, test_transform
from sgfb.data.clips import clip_indices, clip_span, test_clips
from sgfb.utils.checkpoint import checkpoint_format, load_checkpoint
from sgfb.feature_bank.bank import VideoBank, bank_from_graphs
from sgfb.feature_bank.window import query_window
from sgfb.structures.scene_graph import SceneGraph


class SGFBActionModel:
    """A ``train_sgfb.py`` checkpoint (format ``sgfb.action/1``)."""

    def __init__(self, path: str, device: torch.device, views: int = 10, crops: int = 3,
                 batch_size: int = 4, state: Dict[str, Any] | None = None) -> None:
        from sgfb.models.action import action_model_from_checkpoint

        state = state if state is not None else load_checkpoint(path)
        self.model, self.class_names = action_model_from_checkpoint(state, path)
        pre, bank = state["preprocessing"], state["bank"]
        self.model.to(device).eval()
        self.device, self.views, self.crops, self.batch_size = device, views, crops, batch_size
        self.num_frames, self.stride = int(pre["num_frames"]), int(pre["sampling_rate"])
        self.crop, self.mean, self.std = int(pre["crop_size"]), pre["mean"], pre["std"]
        # trained with data.normalize_on_device: uint8 crops to the device, normalised there
        self.normalize_on_device = bool(pre.get("normalize_on_device", False))
        self.layout, self.window, self.slots = bank["layout"], float(bank["window"]), int(bank["slots"])

    def bank(self, video_id: str, times: Sequence[float], graphs: Sequence[SceneGraph]) -> VideoBank:
        return bank_from_graphs(video_id, times, graphs, self.layout)

    # The decode-once pipeline (sgfb.inference.pipeline) asks for the clips first, hands
    # each clip's frames over as they are decoded, and scores the clips once the bank (which
    # needs every sampled frame's graph) is built: the backbone runs once per distinct clip.

    def view_clips(self, num_frames: int) -> np.ndarray:
        """int64 ``[views, T]``: the Charades test views (§5.1: evenly spaced clips)."""
        return test_clips(num_frames, self.num_frames, self.stride, self.views)

    def timeline_clips(self, timestamps: np.ndarray, times: np.ndarray) -> np.ndarray:
        """int64 ``[len(times), T]``: the clip centred (as far as the video allows: no padded
        clips, as the test views) on the frame shown at each time, from the presentation
        timestamps ``timestamps`` of the video's frames."""
        num = len(timestamps)
        span = clip_span(self.num_frames, self.stride)
        last_start = max(num - span, 0)
        centres = np.interp(times, timestamps, np.arange(num))  # fractional frame at each time
        starts = np.clip(np.round(centres - (span - 1) / 2).astype(np.int64), 0, last_start)
        if not len(starts):
            return np.zeros((0, self.num_frames), np.int64)
        return np.stack([clip_indices(int(s), num, self.num_frames, self.stride) for s in starts])

    def prepare_frame(self, rgb: np.ndarray) -> np.ndarray:
        """uint8 ``[h, w, 3]``: one decoded frame with its short side resized to the crop size,
        as :func:`~sgfb.data.clip_transforms.test_transform` resizes each frame of a clip (so
        a clip of prepared frames transforms to the same tensor, and fewer bytes are held)."""
        tchw = short_side_resize(torch.from_numpy(np.ascontiguousarray(rgb))[None]
                                 .permute(0, 3, 1, 2), self.crop)
        return tchw[0].permute(1, 2, 0).contiguous().numpy()

    @torch.no_grad()
    def clip_features(self, clips: Sequence[np.ndarray], crops: int) -> torch.Tensor:
        """Backbone features ``[B, crops, D]`` of clips of prepared frames ``[T, h, w, 3]``
        (crops 3: first / centre / last; 1: centre). Normalised here, or on the device (the
        model normalises uint8 crops) when the checkpoint was trained that way."""
        if self.normalize_on_device:  # uint8 [B, crops, 3, T, H, W], channels-last in memory
            x = torch.stack([test_transform(c, self.crop, crops, uint8=True)
                             .permute(0, 2, 3, 4, 1) for c in clips]).permute(0, 1, 5, 2, 3, 4)
        else:
            x = torch.stack([test_transform(c, self.crop, crops, self.mean, self.std)
                             for c in clips])
        feats = self.model.clip_features(x.flatten(0, 1).to(self.device))
        return feats.view(len(clips), crops, *feats.shape[1:])

    @torch.no_grad()
    def head_scores(self, features: Sequence[torch.Tensor], centres: Sequence[float],
                    bank: VideoBank) -> List[np.ndarray]:
        """Sigmoid scores ``[crops, C]`` of each clip from its backbone features ``[crops, D]``
        and the bank window centred at its centre (seconds; §4.2: the window around the clip)."""
        out: List[np.ndarray] = []
        for start in range(0, len(features), self.batch_size):
            chunk = list(features[start:start + self.batch_size])
            crops = [f.shape[0] for f in chunk]
            windows = [query_window(bank.times, bank.features, c, self.window, self.slots)
                       for c in centres[start:start + self.batch_size]]
            repeat = torch.tensor(crops)
            feats = torch.from_numpy(np.stack([w[0] for w in windows])).repeat_interleave(repeat, 0)
            mask = torch.from_numpy(np.stack([w[1] for w in windows])).repeat_interleave(repeat, 0)
            logits = self.model.head(torch.cat(chunk).to(self.device), feats.to(self.device),
                                     mask.to(self.device))
            scores = torch.sigmoid(logits.float()).cpu().numpy()
            out.extend(np.split(scores, np.cumsum(crops)[:-1]))
        return out


class STSGNActionModel:
    """An ST-SGN checkpoint (``tools/train_stsgn.py``): actions from the predicted graphs,
    with the sequences its task was trained on: ``video`` (T-second slices, max-pooled) or
    ``frame`` (a T-second window around each sampled frame; the video score is the max over
    frames). ``trimmed`` models classify pre-cut action segments and are refused here."""

    def __init__(self, path: str, device: torch.device) -> None:
        from sgfb.models.stsgn import load_model

        self.model, meta = load_model(path)
        self.model.to(device)
        self.device = device
        self.task = meta.get("task", "video")
        if self.task not in ("video", "frame"):
            raise ValueError(f"{path}: an ST-SGN model of the {self.task!r} task classifies "
                             "trimmed segments; use a frame or video model for whole videos")
        num = self.model.config.num_classes
        names = meta.get("class_names")
        self.class_names: List[str] = list(names) if names else [f"c{i:03d}" for i in range(num)]
        self.window = float(meta.get("window") or 0.0)
        self._graphs: Any = None
        self._times = np.zeros(0)

    def bank(self, video_id: str, times: Sequence[float], graphs: Sequence[SceneGraph]):
        from sgfb.stsgn.graphs import FrameGraphs

        order = np.argsort(np.asarray(times, np.float64), kind="stable")
        self._times = np.asarray(times, np.float64)[order]
        self._graphs = FrameGraphs.from_scene_graphs([graphs[i] for i in order],
                                                     self.model.config.relationships)
        return None

    @torch.no_grad()
    def _sequences(self, groups: List[np.ndarray]) -> np.ndarray:
        groups = [g for g in groups if len(g)]
        if not groups or self._graphs is None:
            return np.zeros((0, len(self.class_names)), np.float32)
        frames = torch.from_numpy(np.concatenate(groups)).long()
        lengths = torch.tensor([len(g) for g in groups])
        return torch.sigmoid(self.model(frames, lengths, self._graphs)).cpu().numpy()

    def _window(self, centre: float) -> np.ndarray:
        """The frames of a ``frame``-task sample centred at ``centre`` (T = 0: the nearest)."""
        if self.window > 0:
            return np.flatnonzero(np.abs(self._times - centre) <= self.window / 2 + 1e-9)
        return np.array([int(np.argmin(np.abs(self._times - centre)))])

    def video_scores(self, reader: Any, bank: Any, fps: float) -> np.ndarray:
        t = self._times
        if not t.size:
            groups: List[np.ndarray] = []
        elif self.task == "video":
            slot = np.floor(t / self.window).astype(int)
            groups = [np.flatnonzero(slot == s) for s in np.unique(slot)]
        else:
            groups = [self._window(c) for c in t]
        scores = self._sequences(groups)
        return scores.max(0) if len(scores) else np.zeros(len(self.class_names), np.float32)

    def timeline(self, reader: Any, bank: Any, fps: float, times: np.ndarray) -> np.ndarray:
        out = np.zeros((len(times), len(self.class_names)), np.float32)
        if not self._times.size:
            return out
        width = self.window if self.task == "video" else max(self.window, 0.0)
        for i, centre in enumerate(times):
            near = (np.flatnonzero(np.abs(self._times - centre) <= width / 2 + 1e-9)
                    if self.task == "video" else self._window(centre))
            if near.size:
                out[i] = self._sequences([near])[0]
        return out


def load_action_model(path: str, device: torch.device, views: int = 10, crops: int = 3):
    """The action model of a checkpoint of either kind; ``views`` x ``crops`` are the test
    views of SGFB models (ST-SGN models use their own sequences)."""
    from sgfb.models.action import CHECKPOINT_FORMAT as SGFB_FORMAT
    from sgfb.models.stsgn import CHECKPOINT_FORMAT as STSGN_FORMAT

    state = load_checkpoint(path, format=(SGFB_FORMAT, STSGN_FORMAT))
    if checkpoint_format(state) == SGFB_FORMAT:
        return SGFBActionModel(path, device, views, crops, state=state)
    return STSGNActionModel(path, device)
