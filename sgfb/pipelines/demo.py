"""``make demo``: the main job on the built-in synthetic data.

Today it exercises the foundation end to end: generate a synthetic Action Genome-format
dataset, extract its annotated frames, read everything back through the readers, print the
dataset statistics and write a contact sheet of frames with their ground-truth graphs drawn.
Later stages (scene-graph prediction, feature banks, inference) extend this job.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Dict, List

import numpy as np

from sgfb.data.action_genome import ActionGenome, read_frame_keys
from sgfb.data.charades import Charades
from sgfb.data.frame_dump import dump_frames
from sgfb.data.stats import action_genome_stats, charades_stats
from sgfb.data.synthetic import make_synthetic
from sgfb.visualization.draw import contact_sheet, draw_scene_graph, load_rgb, save_rgb


@dataclass
class DemoResult:
    dataset_dir: str
    frames_dir: str
    contact_sheet: str
    stats: Dict[str, Dict]
    seconds: Dict[str, float]


def pick_frames(ag: ActionGenome, count: int, seed: int) -> List[str]:
    """``count`` frame keys spread over as many videos as possible (deterministic)."""
    rng = np.random.default_rng(seed)
    videos = list(ag.videos)
    rng.shuffle(videos)
    picked: List[str] = []
    round_ = 0
    while len(picked) < count and round_ < 64:
        for v in videos:
            keys = ag.videos[v]
            if round_ < len(keys):
                picked.append(keys[(round_ * 7 + len(keys) // 2) % len(keys)])
                if len(picked) == count:
                    break
        round_ += 1
    return picked


def run_demo(out_dir: str, videos: int = 8, seed: int = 0, seconds: float = 8.0,
             workers: int = 2, sheet_frames: int = 12, log=print) -> DemoResult:
    timings: Dict[str, float] = {}
    dataset = os.path.join(out_dir, "dataset")
    frames_dir = os.path.join(out_dir, "frames")

    t = time.perf_counter()
    log(f"[1/4] generating {videos} synthetic videos into {dataset}")
    make_synthetic(dataset, videos=videos, seed=seed, seconds=seconds, workers=workers)
    timings["generate"] = time.perf_counter() - t

    annotations = os.path.join(dataset, "annotations")
    t = time.perf_counter()
    keys = read_frame_keys(annotations)
    log(f"[2/4] extracting {len(keys)} annotated frames into {frames_dir}")
    summary = dump_frames(os.path.join(dataset, "videos"), keys, frames_dir, workers=workers)
    if summary.failed:
        raise RuntimeError(f"frame extraction failed for {sorted(summary.failed)}")
    timings["extract"] = time.perf_counter() - t

    t = time.perf_counter()
    log("[3/4] reading the dataset back through the Action Genome and Charades readers")
    charades_dir = os.path.join(dataset, "charades")
    ag = ActionGenome.load(annotations, fps=os.path.join(charades_dir, "video_fps.json"))
    charades = Charades.load([os.path.join(charades_dir, f"Charades_v1_{s}.csv")
                              for s in ("train", "test")],
                             classes=os.path.join(charades_dir, "Charades_v1_classes.txt"))
    stats = {"ag": action_genome_stats(ag), "charades": charades_stats(charades)}
    log(json.dumps(stats, indent=2))
    timings["read"] = time.perf_counter() - t

    t = time.perf_counter()
    picked = pick_frames(ag, sheet_frames, seed)
    tiles, captions = [], []
    for key in picked:
        frame = ag[key]
        image = load_rgb(os.path.join(frames_dir, key))
        tiles.append(draw_scene_graph(image, frame.scene_graph(), zoom=2.0))
        actions = charades.labels_at(frame.video_id, ag.frame_time(key))
        captions.append(f"{key}: " + ", ".join(charades.class_name(a) for a in sorted(actions)))
    sheet_path = os.path.join(out_dir, "contact_sheet.png")
    save_rgb(sheet_path, contact_sheet(tiles, columns=4, tile_width=480, captions=captions))
    timings["contact_sheet"] = time.perf_counter() - t
    log(f"[4/4] contact sheet of {len(tiles)} frames with their ground-truth graphs: {sheet_path}")
    return DemoResult(dataset, frames_dir, sheet_path, stats, timings)
