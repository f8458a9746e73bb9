"""Predicted feature banks from the videos themselves (Action Genome §4 and Figure 5: "SGFB
predicts scene graphs for every frame in a video"; the banks of §4.2).

Each video is sampled at ``sample_fps`` (:func:`sampled_indices`, the rule ``tools/infer.py``
uses, so a model is trained on banks built as the banks it is later run on), every sampled
frame gets the SGDet scene graph of a stage-1 model, and the video's bank is written
atomically. Unlike banks on the Action Genome annotated frames, which AG samples inside the
labelled action intervals (§3: five frames per action), these frames carry no trace of the
labels: how many frames a bank holds and where they lie tell nothing about the actions, and
a video with no labelled action still gets a bank.

Resumable (a video whose bank exists is skipped) and a failing video (missing, corrupt,
truncated) is reported at the end while the others go on.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Sequence

import numpy as np
import torch
from tqdm import tqdm

from sgfb.data.video import VideoDecodeError, open_video
from sgfb.feature_bank.bank import VideoBank, bank_from_graphs, bank_path, save_bank
from sgfb.feature_bank.extract import ExtractionSummary
from sgfb.structures.frame_keys import format_frame_key
from sgfb.structures.scene_graph import SceneGraph
from sgfb.utils.atomic_io import remove_stale_temporaries


def sampled_indices(num_frames: int, fps: float, sample_fps: float) -> np.ndarray:
    """Every ``round(fps / sample_fps)``-th frame from frame 0 (all frames when the video is
    slower than ``sample_fps``)."""
    step = max(1, int(round(fps / sample_fps))) if sample_fps > 0 and fps > 0 else 1
    return np.arange(0, num_frames, step, dtype=np.int64)


def frame_tensor(rgb: np.ndarray, device: torch.device) -> torch.Tensor:
    """``[H, W, 3]`` uint8 RGB -> the detector's ``[3, H, W]`` float input in [0, 1]."""
    return torch.from_numpy(rgb).permute(2, 0, 1).float().div_(255).to(device)


def video_bank(predictor: Any, path: str, video_id: str,
               sample_fps: float = 1.0, batch_size: int = 8,
               device: torch.device | str = "cpu", layout: str = "paper") -> VideoBank:
    """The bank of the video at ``path``: SGDet graphs of its frames sampled at
    ``sample_fps``, at their presentation times (exact for variable frame rates), as
    displayed (rotation applied). ``predictor``: a stage-1 model,
    :class:`~sgfb.relations.predictor.SceneGraphPredictor` (its ``predict(frames, keys,
    None, "sgdet")``; not imported here, a layer above the feature banks). Raises
    :class:`VideoDecodeError` naming the file when it cannot be read."""
    device = torch.device(device)
    graphs: List[SceneGraph] = []
    frames: List[torch.Tensor] = []
    keys: List[str] = []

    def flush() -> None:
        if frames:
            graphs.extend(predictor.predict(frames, keys, None, "sgdet"))
            frames.clear()
            keys.clear()

    with open_video(path) as reader:
        if reader.num_frames == 0:
            raise VideoDecodeError(f"{path}: the video has no decodable frame")
        indices = sampled_indices(reader.num_frames, reader.fps, sample_fps)
        seconds = reader.timestamps()[indices]
        for index, rgb in reader.iter_frames(indices):
            frames.append(frame_tensor(rgb, device))
            keys.append(format_frame_key(video_id, int(index) + 1))
            if len(frames) == batch_size:
                flush()
        flush()
    return bank_from_graphs(video_id, seconds, graphs, layout)


def video_ids(paths: Sequence[str]) -> Dict[str, str]:
    """``{video id: path}``, the id being the file name without its extension (the name the
    Charades CSVs and the banks use). Two files with one id are an error naming both."""
    out: Dict[str, str] = {}
    for path in paths:
        video_id = os.path.splitext(os.path.basename(path))[0]
        if video_id in out:
            raise ValueError(f"two videos are named {video_id!r}: {out[video_id]} and {path}; "
                             "banks are stored by video id, so rename one")
        out[video_id] = path
    return out


def extract_video_banks(predictor: Any, videos: Dict[str, str], out_dir: str,
                        sample_fps: float = 1.0, batch_size: int = 8,
                        device: torch.device | str = "cpu", layout: str = "paper",
                        progress: bool = True) -> ExtractionSummary:
    """One bank per ``{video id: path}`` into ``out_dir`` (:func:`video_bank`); existing banks
    are kept, failures are collected in the summary."""
    if sample_fps <= 0:
        raise ValueError(f"sample_fps must be positive, got {sample_fps}")
    os.makedirs(out_dir, exist_ok=True)
    remove_stale_temporaries(out_dir)
    summary = ExtractionSummary()
    todo = []
    for video_id in sorted(videos):
        if os.path.exists(bank_path(out_dir, video_id)):
            summary.skipped.append(video_id)
        else:
            todo.append(video_id)
    for video_id in tqdm(todo, desc="banks", unit="video", disable=not progress):
        try:
            bank = video_bank(predictor, videos[video_id], video_id, sample_fps, batch_size,
                              device, layout)
            save_bank(bank_path(out_dir, video_id), bank)
            summary.done.append(video_id)
        except Exception as exc:  # reported per video; the others go on
            message = str(exc) if isinstance(exc, VideoDecodeError) else \
                f"{videos[video_id]}: {type(exc).__name__}: {exc}"
            summary.failed[video_id] = message
    return summary
