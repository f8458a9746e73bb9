#!/usr/bin/env python
"""Stage 1 of `make demo` alone, on a demo output's synthetic world, with config overrides:
how docs/results.md ("The demo across seeds") compares detector settings without re-running
the whole demo.

Trains configs/sg/demo_synthetic.yaml (one torch thread, as in the demo) on DEMO/dataset and
DEMO/frames with the world's seed, applies `key=value` overrides, then scores the test frames
exactly as the demo does (`sgfb.demo.evaluate_stage1`: detector mAP@0.5, PredCls / SGCls /
SGDet R@20 per-group) and writes OUT/metrics.json.

    python tools/demo.py --out demo_seed1 --seed 1
    python bench/demo_stage1.py --demo demo_seed1 --seed 1 --out runs/jitter_seed1 \\
        data.brightness=0.3 data.contrast=0.3 data.saturation=0.3 data.hue=0.05
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sgfb.demo import DemoConfig, _info, _sg_config, evaluate_stage1  # noqa: E402
from sgfb.utils.atomic_io import write_json  # noqa: E402
from sgfb.utils.config import apply_overrides  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--demo", required=True, help="a tools/demo.py output folder")
    parser.add_argument("--seed", type=int, required=True, help="the seed that made it")
    parser.add_argument("--out", required=True, help="run folder")
    parser.add_argument("overrides", nargs="*", help="key=value on the demo's stage-1 config")
    args = parser.parse_args()
    import torch
    from sgfb.training.sg import run_sg_training

    torch.set_num_threads(1)
    annotations = os.path.join(args.demo, "dataset", "annotations")
    frames = os.path.join(args.demo, "frames")
    cfg = apply_overrides(_sg_config(annotations, frames, DemoConfig(seed=args.seed)),
                          args.overrides)
    started = time.perf_counter()
    checkpoint = run_sg_training(cfg, args.out, _info(), progress=False, log=lambda _: None)
    metrics = evaluate_stage1(checkpoint, annotations, frames, cfg.test_batch_size)
    result = {**metrics, "train_seconds": round(time.perf_counter() - started, 1),
              "overrides": args.overrides, "demo": args.demo, "seed": args.seed}
    write_json(os.path.join(args.out, "metrics.json"), result)
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}))


if __name__ == "__main__":
    main()
