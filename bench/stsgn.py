#!/usr/bin/env python
"""ST-SGN training speed on CPU: graphs per second and one epoch over an AG-sized set.

The set has Action Genome's size (7,464 training videos, 166,785 annotated frames). Its
graphs are drawn (seeded, with replacement) from the real AG frame graphs in
../shared/data/ag_real_subset when present, so objects per frame and relationships per
object follow the real statistics; without that folder a synthetic world's graphs are used.
Each video is one video-task sample cut into T-second slices, so every frame is encoded
once per epoch.

Besides the times it prints the achieved FLOP rate of the model's dense layers (counted
analytically) as a fraction of a plain dense matmul's rate measured in the same run.

    python bench/stsgn.py [--videos 7464 --frames 166785 --threads 2 --models gine-person-bigru relmat-bigru]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sgfb.data.action_genome import ActionGenome  # noqa: E402
from sgfb.stsgn.graphs import FrameGraphs  # noqa: E402
from sgfb.stsgn.model import STSGN, ModelConfig, build_stsgn  # noqa: E402
from sgfb.stsgn.tasks import SampleBuilder  # noqa: E402
from sgfb.training.stsgn_loop import loss_of, sample_logits  # noqa: E402

REAL_SUBSET = os.path.join(ROOT, "..", "shared", "data", "ag_real_subset",
                           "object_bbox_and_relationship.pkl")


def source_graphs():
    if os.path.exists(REAL_SUBSET):
        return [f.scene_graph() for f in ActionGenome.load(REAL_SUBSET)], "real AG subset"
    from sgfb.synthetic import make_synthetic  # noqa: WPS433
    import tempfile
    out = tempfile.mkdtemp()
    make_synthetic(out, videos=20, seed=0, seconds=6.0)
    return [f.scene_graph() for f in ActionGenome.load(os.path.join(out, "annotations"))], "synthetic"


def ag_sized_set(num_videos: int, num_frames: int, window: float, seed: int):
    graphs, origin = source_graphs()
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(graphs), num_frames)
    frames = FrameGraphs.from_scene_graphs([graphs[i] for i in picks])
    # frames per video: a random partition of num_frames, each video at least 1
    cuts = np.sort(rng.choice(np.arange(1, num_frames), num_videos - 1, replace=False))
    counts = np.diff(np.concatenate([[0], cuts, [num_frames]]))
    builder = SampleBuilder(multi_label=True, num_classes=157)
    start = 0
    for v, n in enumerate(counts):
        times = np.sort(rng.uniform(0, 30, n))
        rows = list(range(start, start + n))
        slot = np.floor(times / window).astype(int)
        slices = [[r for r, s in zip(rows, slot) if s == k] for k in sorted(set(slot))]
        builder.add(f"V{v:05d}", f"V{v:05d}", slices, rng.choice(157, 3, replace=False))
        start += n
    return frames, builder.build(), origin


def dense_flops_per_epoch(model: STSGN, frames: FrameGraphs, samples) -> float:
    """Multiply-adds x2 of the Linear/GRU layers for one forward pass over ``samples``."""
    cfg = model.config
    d = model.encoder.out_channels
    n_frames = samples.frames.numel()
    n_nodes = int((frames.node_offsets[1:] - frames.node_offsets[:-1])[samples.frames].sum())
    n_edges = n_nodes - n_frames
    n_rel = frames.num_relationships
    n_seq = samples.frame_offsets.numel() - 1
    flops = 0.0
    if cfg.name.startswith("relmat"):
        flops += n_frames * (frames.relationship_matrices().shape[1] * d + d * d) * 2
    else:
        if not cfg.name.startswith("gine"):
            raise ValueError("FLOPs are counted for GINE and RelMat models only")
        flops += n_edges * n_rel * d * 2                       # edge encoder
        flops += (cfg.num_layers - 1) * n_nodes * d * d * 2    # GINE h_theta, inner layers
        last = n_frames if cfg.name.split("-")[1] == "person" else n_nodes
        flops += last * d * d * 2                              # last layer (person only)
    reducer = cfg.name.split("-")[-1]
    if reducer in ("gru", "bigru"):
        h = cfg.hidden // 2 if reducer == "bigru" else cfg.hidden
        dirs = 2 if reducer == "bigru" else 1
        flops += dirs * n_frames * 3 * (d * h + h * h) * 2
    else:
        flops += n_seq * d * cfg.hidden * 2
    flops += n_seq * cfg.hidden * cfg.num_classes * 2
    return flops


def matmul_rate(d: int, seconds: float = 2.0) -> float:
    a, b = torch.randn(4096, d), torch.randn(d, d)
    torch.mm(a, b)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        torch.mm(a, b)
        n += 1
    return n * 2 * 4096 * d * d / (time.perf_counter() - start)


def time_epoch(model: STSGN, frames: FrameGraphs, samples, batch_size: int) -> float:
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-3)
    order = torch.randperm(len(samples), generator=torch.Generator().manual_seed(0))
    model.train()
    start = time.perf_counter()
    for idx in order.split(batch_size):
        logits, targets = sample_logits(model, frames, samples, idx)
        loss = loss_of(logits, targets, True)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--videos", type=int, default=7464)
    p.add_argument("--frames", type=int, default=166785)
    p.add_argument("--window", type=float, default=10.0)
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--models", nargs="+", default=["gine-person-bigru", "relmat-bigru"])
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    t = time.perf_counter()
    frames, samples, origin = ag_sized_set(args.videos, args.frames, args.window, 0)
    print(f"set: {len(samples)} videos, {samples.frames.numel()} frames, "
          f"{samples.frame_offsets.numel() - 1} slices of {args.window:g} s, graphs from the "
          f"{origin}; built in {time.perf_counter() - t:.1f} s; {args.threads} threads")
    for name in args.models:
        torch.manual_seed(0)
        model = build_stsgn(ModelConfig(name=name, num_classes=157))
        rate = matmul_rate(model.encoder.out_channels)
        seconds = time_epoch(model, frames, samples, args.batch_size)
        flops = 3 * dense_flops_per_epoch(model, frames, samples)  # forward + backward
        print(f"{name:>18}: epoch {seconds:6.1f} s, {samples.frames.numel() / seconds:8.0f} "
              f"graphs/s, dense layers {flops / seconds / 1e9:6.1f} GFLOP/s = "
              f"{flops / seconds / rate:.2f} x plain matmul ({rate / 1e9:.1f} GFLOP/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
