"""A scene-graph model's predictions over a dataset of annotated frames (PredCls / SGCls /
SGDet), batched by frames, or by video for temporal heads."""
from __future__ import annotations

from typing import Dict, List, Sequence

import torch

from sgfb.relations.frames import SceneGraphFrames, collate_graph_frames, video_clips
from sgfb.relations.heads import is_temporal
from sgfb.relations.predictor import SceneGraphPredictor
from sgfb.structures.scene_graph import SceneGraph


def prediction_batches(keys: Sequence[str], batch_size: int, by_video: bool) -> List[List[int]]:
    """Dataset indices in batches of ``batch_size`` frames, or one batch per video (its frames
    in time order) when ``by_video`` (temporal heads see a whole video at once)."""
    if by_video:
        return video_clips(keys, max(len(keys), 1))
    return [list(range(s, min(s + batch_size, len(keys)))) for s in range(0, len(keys), batch_size)]


def predict_frames(predictor: SceneGraphPredictor, dataset: SceneGraphFrames, mode: str,
                   batch_size: int, device: torch.device, progress: bool = False) -> Dict[str, SceneGraph]:
    return predict_frames_modes(predictor, dataset, (mode,), batch_size, device, progress)[mode]


@torch.no_grad()
def predict_frames_modes(predictor: SceneGraphPredictor, dataset: SceneGraphFrames,
                         modes: Sequence[str], batch_size: int, device: torch.device,
                         progress: bool = False) -> Dict[str, Dict[str, SceneGraph]]:
    """``{mode: {frame key: graph}}``; each batch is read and passed through the detector's
    backbone once for all ``modes``."""
    from tqdm import tqdm
    out: Dict[str, Dict[str, SceneGraph]] = {mode: {} for mode in modes}
    batches = prediction_batches(dataset.keys, batch_size, is_temporal(predictor.head))
    needs_truth = any(mode != "sgdet" for mode in modes)
    for indices in tqdm(batches, desc=f"{'/'.join(modes)} frames", disable=not progress):
        images, graphs, keys = collate_graph_frames([dataset[i] for i in indices])
        predicted = predictor.predict_modes([im.to(device) for im in images], keys,
                                            graphs if needs_truth else None, modes)
        for mode in modes:
            out[mode].update(zip(keys, predicted[mode]))
    return out
