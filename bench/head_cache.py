#!/usr/bin/env python
"""The SGFB head stage on a frozen backbone, two ways, on a demo output: every iteration
decodes its clips and runs the backbone (the reference approach, `head_cache_clips=0`),
against cached clip features (`head_cache_clips=K`: K clips per training video through the
backbone once, then the head alone). Prints the seconds per head iteration of each, their
ratio, the one-off cost of building the cache, and the iteration count from which the cache
has paid for itself. Same backbone, banks (DEMO/banks), head, batch and threads for both.

    python tools/demo.py --out demo_seed1 --seed 1
    python bench/head_cache.py --demo demo_seed1 --iters 40 --clips 20 --rounds 2

Rounds alternate the two approaches so that a loaded machine's drift hits both alike.
"""
from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", required=True, help="a tools/demo.py output folder")
    parser.add_argument("--iters", type=int, default=40, help="head iterations per run")
    parser.add_argument("--clips", type=int, default=20, help="cached clips per video")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workers", type=int, default=0,
                        help="loader workers of the decoding runs (the demo's oracle head: 0)")
    args = parser.parse_args()
    import torch
    from sgfb.demo import DemoConfig, _action_config, _info
    from sgfb.training.action import (StageRun, build_action_model, cached_train_set,
                                      clip_dataset, load_backbone_from, open_action_run,
                                      train_action_model, video_ids)

    torch.set_num_threads(args.threads)
    quiet = lambda _: None  # noqa: E731
    info = _info()
    cfg = _action_config(os.path.join(args.demo, "dataset"), os.path.join(args.demo, "banks"),
                         DemoConfig(head_iters=args.iters))
    cfg.model.fbo, cfg.model.init = "nl", os.path.join(args.demo, "backbone_only", "model.pt")
    cfg.head_solver.num_workers = args.workers
    cfg.head_cache_clips = 0        # the reference: the demo config caches, this run must not
    with tempfile.TemporaryDirectory() as out:
        _, banks, train_split, _ = open_action_run(cfg, out, info, False, quiet)
        ids = video_ids(train_split, cfg.data.videos, 0)
        train_set = clip_dataset(cfg, train_split, ids, "train", banks,
                                 index_dir=os.path.join(out, "video_index"))
        cached_cfg = copy.deepcopy(cfg)
        cached_cfg.head_cache_clips = args.clips
        cached_cfg.head_cache_dir = os.path.join(out, "cache")
        model = build_action_model(cfg, train_split.num_classes)
        load_backbone_from(model, cfg.model.init)
        model.freeze_backbone()
        started = time.perf_counter()
        cached_train_set(cached_cfg, model, train_set, out, info, quiet)
        build = time.perf_counter() - started
        stages = [StageRun("head", cfg.head_solver, "nl", True)]
        names = [train_split.class_name(c) for c in range(train_split.num_classes)]
        seconds = {"decoded": [], "cached": []}
        for r in range(args.rounds):
            for name, run_cfg in (("decoded", cfg), ("cached", cached_cfg)):
                started = time.perf_counter()
                run_dir = os.path.join(out, f"{name}{r}")
                train_action_model(run_cfg, run_dir, info, train_set, train_split.num_classes,
                                   names, progress=False, log=quiet, stages=stages)
                seconds[name].append((time.perf_counter() - started) / args.iters)
                if any(f.startswith("clip_features") for f in os.listdir(
                        os.path.join(run_dir, "head"))):
                    raise RuntimeError(f"{run_dir}: the {name} run wrote a clip cache of its own")
    decoded, cached = (statistics.median(seconds[k]) for k in ("decoded", "cached"))
    print(f"{len(ids)} training videos, {args.clips} cached clips per video, batch "
          f"{cfg.head_solver.batch_size}, {args.iters} head iterations, {args.threads} "
          f"thread(s)")
    print("decoded clips (reference): " + " ".join(f"{s:.3f}" for s in seconds["decoded"])
          + " s/iteration")
    print("cached features: " + " ".join(f"{s:.3f}" for s in seconds["cached"])
          + f" s/iteration; cache built once in {build:.1f} s")
    print(f"median ratio (decoded / cached): {decoded / cached:.1f}x per iteration; the cache "
          f"has paid for itself after {build / max(decoded - cached, 1e-9):.0f} iterations")


if __name__ == "__main__":
    main()
