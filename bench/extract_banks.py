#!/usr/bin/env python
"""Oracle feature-bank extraction: the bank arrays filled from the annotation columns vs
today's path (a SceneGraph per frame, then a confidence matrix per graph).

    python bench/extract_banks.py --workdir /tmp/banks_bench [--frames 30000] [--repeat 3]

The annotation set is made as in ``bench/ag_load.py`` (synthetic AG tiled to ``--frames``
frames, once, in WORKDIR). In one run, interleaved ``--repeat`` times (best of each kept):

- reference: today's path, serial: per video ``[frame.scene_graph() for each frame]``,
  ``bank_from_graphs`` and ``save_bank``. Its ``AGFrame`` objects are built before the clock
  starts, as the reader used to hold them in memory, so this favours the reference;
- filled: ``extract_banks(ag, out)``.

(A third variant, 2 worker processes, measured 0.73-1.22x of one process and was removed with
the ``--workers`` flag: docs/benchmarks.md.) Every bank is checked equal (features, times,
keys). Prints wall seconds and CPU seconds and the ratio.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from typing import Callable, Dict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ag_load import build  # noqa: E402  (bench/ is not a package)

from sgfb.data.action_genome import ActionGenome  # noqa: E402
from sgfb.feature_bank.bank import bank_from_graphs, bank_path, load_bank, save_bank  # noqa: E402
from sgfb.feature_bank.extract import extract_banks  # noqa: E402
from sgfb.utils.cpu_time import cpu_seconds  # noqa: E402

FPS = 30.0


def reference(frames_of: Dict[str, list], out: str) -> None:
    """Today's path (before the columns): one SceneGraph per frame, serial."""
    os.makedirs(out, exist_ok=True)
    for video_id, frames in frames_of.items():
        times = [(f.frame_number - 1) / FPS for f in frames]
        graphs = [f.scene_graph() for f in frames]
        save_bank(bank_path(out, video_id), bank_from_graphs(video_id, times, graphs, "paper"))


def timed(run: Callable[[str], None], scratch: str) -> Dict[str, float]:
    out = tempfile.mkdtemp(dir=scratch)
    cpu, start = cpu_seconds(), time.perf_counter()
    run(out)
    result = {"wall": time.perf_counter() - start, "cpu": cpu_seconds() - cpu, "out": out}
    return result


def same_banks(a: str, b: str, videos) -> None:
    for video_id in videos:
        x, y = load_bank(bank_path(a, video_id)), load_bank(bank_path(b, video_id))
        if not (np.array_equal(x.features, y.features) and np.array_equal(x.times, y.times)
                and x.frame_keys == y.frame_keys):
            raise SystemExit(f"banks differ for {video_id}: {a} vs {b}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--frames", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = build(args.workdir, args.frames)
    ag = ActionGenome.load(folder, fps=lambda name: FPS)
    frames_of = {v: [ag[k] for k in keys] for v, keys in ag.videos.items()}
    print(f"set: {len(ag)} frames, {len(ag.videos)} videos, "
          f"{sum(len(f.objects) for fs in frames_of.values() for f in fs)} objects; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    runs = {
        "reference": lambda out: reference(frames_of, out),
        "filled": lambda out: extract_banks(ag, out, progress=False),
    }
    best: Dict[str, Dict[str, float]] = {}
    scratch = tempfile.mkdtemp(dir=args.workdir, prefix="banks-")
    try:
        for _ in range(args.repeat):
            outs = {}
            for name, run in runs.items():
                r = timed(run, scratch)
                outs[name] = r["out"]
                if name not in best or r["wall"] < best[name]["wall"]:
                    best[name] = r
            same_banks(outs["reference"], outs["filled"], ag.videos)
            for out in outs.values():
                shutil.rmtree(out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for name, r in best.items():
        print(f"{name:>18}: {r['wall']:6.2f} s wall, {r['cpu']:6.2f} CPU-s")
    ref, one = best["reference"], best["filled"]
    print(f"filled vs reference: {ref['wall'] / one['wall']:.2f}x faster (wall), "
          f"{ref['cpu'] / one['cpu']:.2f}x less CPU; load average {os.getloadavg()[0]:.1f} "
          "at end")


if __name__ == "__main__":
    main()
