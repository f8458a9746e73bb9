#!/usr/bin/env python
"""Scoring N bank heads on one frozen backbone's test views, two ways, on a demo output:
each head decodes every test view and runs the backbone over it (the reference approach,
what `head_seeds: N` did before), against the views decoded and the backbone run once
(`sgfb.evaluation.view_features`), each head then scoring the cached features. Prints the
seconds of one decoding evaluation, of computing the features once and of one head on them,
the N-head totals and their ratio, and checks that both give the same mAP. The demo's SGFB
model (DEMO/sgfb/model.pt), banks (DEMO/banks) and test videos; one torch thread, as the demo.

    python tools/demo.py --out demo_output
    python bench/view_features.py --demo demo_output --heads 5 --rounds 2

Rounds alternate the two approaches so that a loaded machine's drift hits both alike.
"""
from __future__ import annotations

import argparse
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
    parser.add_argument("--heads", type=int, default=5, help="bank heads scored per run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    import torch
    from sgfb.demo import DemoConfig, _action_config, _info
    from sgfb.evaluation.actions import backbone_view_features, evaluate_actions
    from sgfb.models.action import action_model_from_checkpoint
    from sgfb.training.action import clip_dataset, open_action_run, video_ids
    from sgfb.utils.checkpoint import load_checkpoint

    torch.set_num_threads(args.threads)
    info = _info()
    cfg = _action_config(os.path.join(args.demo, "dataset"), os.path.join(args.demo, "banks"),
                         DemoConfig())
    path = os.path.join(args.demo, "sgfb", "model.pt")
    model, _ = action_model_from_checkpoint(load_checkpoint(path), path)
    model.freeze_backbone()
    with tempfile.TemporaryDirectory() as out:
        _, banks, _, test_split = open_action_run(cfg, out, info, False, lambda _: None)
        ids = video_ids(test_split, cfg.data.videos, 0)
        test_set = clip_dataset(cfg, test_split, ids, "test", banks)

        def evaluate(views=None):
            return evaluate_actions(model, test_set, info.device, cfg.eval_batch_size,
                                    cfg.workers, progress=False, views=views).mAP

        seconds = {"decoded": [], "features": [], "cached": []}
        for _ in range(args.rounds):
            started = time.perf_counter()
            want = evaluate()
            seconds["decoded"].append(time.perf_counter() - started)
            started = time.perf_counter()
            views = backbone_view_features(model, test_set, info.device, "", cfg.eval_batch_size,
                                           cfg.workers, progress=False)
            seconds["features"].append(time.perf_counter() - started)
            started = time.perf_counter()
            got = evaluate(views)
            seconds["cached"].append(time.perf_counter() - started)
            if got != want:
                raise RuntimeError(f"cached views scored mAP {got}, decoded ones {want}")
    decoded, features, cached = (statistics.median(seconds[k])
                                 for k in ("decoded", "features", "cached"))
    n = args.heads
    print(f"{len(ids)} test videos, {len(test_set)} views x {views.features.shape[1]} crops, "
          f"batch {cfg.eval_batch_size}, {args.threads} thread(s); mAP {want:.4f} both ways")
    print("one head, decoding (reference): " + " ".join(f"{s:.2f}" for s in seconds["decoded"])
          + " s")
    print("features once: " + " ".join(f"{s:.2f}" for s in seconds["features"])
          + " s; one head on them: " + " ".join(f"{s:.3f}" for s in seconds["cached"]) + " s")
    print(f"{n} heads: decoding {n * decoded:.1f} s, features once {features + n * cached:.1f} s "
          f"(median ratio {n * decoded / (features + n * cached):.1f}x); per extra head "
          f"{decoded / cached:.0f}x less")


if __name__ == "__main__":
    main()
