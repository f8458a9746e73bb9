"""Evaluate a stage-1 checkpoint (``tools/test_sg.py``): predict the graphs of AG frames in a
mode (PredCls, SGCls, SGDet), score recall@K under each constraint (Action Genome paper §5.3)
and optionally save every frame's predicted SceneGraph, one file per video or one file for
the whole set (a ``.npz`` path), for the feature bank stage (``tools/extract_banks.py
--graphs``) and ``tools/eval_sg.py``."""
from __future__ import annotations

import os
from collections import defaultdict
from typing import Callable, Dict, List, Optional, Sequence

import torch
from tqdm import tqdm

from sgfb.data.action_genome import ActionGenome
from sgfb.utils.shards import Shard
from sgfb.evaluation.sg_protocols import DEFAULT_PROTOCOL, get_protocol
from sgfb.evaluation.sg_recall import DEFAULT_KS, evaluate_tables
from sgfb.evaluation.graph_predictions import protocol_frames, truth_table
from sgfb.models.scene_graph import load_scene_graph_model
from sgfb.training.sg import predict_frames, split_keys
from sgfb.relations.frames import SceneGraphFrames
from sgfb.structures.graph_file import save_graph_table, save_graphs
from sgfb.structures.graph_table import GraphTable
from sgfb.structures.scene_graph import SceneGraph


def save_graph_dir(graphs: Dict[str, SceneGraph], directory: str) -> List[str]:
    """One ``VIDEO.npz`` per video (atomic per file); returns the written paths."""
    by_video: Dict[str, Dict[str, SceneGraph]] = defaultdict(dict)
    for key, graph in graphs.items():
        by_video[key.split("/")[0].rsplit(".", 1)[0]][key] = graph
    os.makedirs(directory, exist_ok=True)
    paths = []
    for video, frames in sorted(by_video.items()):
        path = os.path.join(directory, f"{video}.npz")
        save_graphs(path, dict(sorted(frames.items())))
        paths.append(path)
    return paths


def save_graph_set(graphs: Dict[str, SceneGraph], path: str) -> List[str]:
    """``path`` ending in ``.npz``: one file for every frame; otherwise a folder of
    per-video files (:func:`save_graph_dir`)."""
    if path.endswith(".npz"):
        save_graph_table(path, GraphTable.from_graphs(dict(sorted(graphs.items()))))
        return [path]
    return save_graph_dir(graphs, path)


def test_scene_graphs(checkpoint: str, annotations: str, frames: str, mode: str,
                      constraints: Sequence[str], head: Optional[str] = None, split: str = "test",
                      preset: str = "filtered", max_frames: int = 0, batch_size: int = 4,
                      device: str = "cpu", ks: Sequence[int] = DEFAULT_KS,
                      save_dir: Optional[str] = None, progress: bool = True,
                      log: Callable[[str], None] = print,
                      protocol: str = DEFAULT_PROTOCOL, shard: Shard = Shard()) -> Dict:
    """Metrics of ``checkpoint`` on the ``split`` frames (``all``: train and test), scored
    on those of them that ``protocol`` scores (sttran drops small boxes in SGCls/SGDet).

    shard: only the frames of this shard's videos (:mod:`sgfb.utils.shards`), so a cluster
    shares the set; the metrics are then those of the shard's frames. Frames are batched
    within one video, so a frame's graph does not depend on which shard predicts it."""
    proto = get_protocol(protocol)
    for constraint in constraints:
        proto.check_constraint(constraint)
    dev = torch.device(device)
    predictor = load_scene_graph_model(checkpoint, head=head, device=dev)
    head = predictor.head_kind
    ag = ActionGenome.load(annotations, preset=preset)
    keys = ([f.key for f in ag] if split == "all" else split_keys(ag, split, max_frames))
    by_video: Dict[str, List[str]] = defaultdict(list)
    for key in keys:
        by_video[key.split("/")[0]].append(key)
    videos = shard.select(by_video)
    keys = [key for video in videos for key in by_video[video]]
    of = f" (shard {shard}: {len(videos)} videos)" if shard.sharded else ""
    log(f"{mode} with the {head} head on {len(keys)} frames of {split!r}{of}")
    predictions: Dict[str, SceneGraph] = {}
    # batches never mix videos: the same batches in any shard
    for video in tqdm(videos, desc=f"{mode} videos", unit="video", disable=not progress):
        dataset = SceneGraphFrames(ag, frames, by_video[video])
        predictions.update(predict_frames(predictor, dataset, mode, batch_size, dev, False))
    if save_dir:
        paths = save_graph_set(predictions, save_dir)
        log(f"saved the graphs of {len(predictions)} frames in {len(paths)} file(s): {save_dir}")
    wanted = set(keys)
    truth = truth_table(f for f in protocol_frames(annotations, mode, proto, "all", preset)
                        if f.key in wanted)
    pred = GraphTable.from_graphs(predictions)
    has_boxes = bool(truth.has_boxes.any())
    out: Dict = {"checkpoint": checkpoint, "mode": mode, "head": head, "split": split,
                 "protocol": proto.name, "frames": len(keys), "constraints": {}}
    for constraint in constraints:
        result = evaluate_tables(truth, pred, constraint, ks, proto, use_boxes=has_boxes)
        out["constraints"][constraint] = result.as_dict()
    return out
