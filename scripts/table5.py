#!/usr/bin/env python
"""The Action Genome paper's Table 5 (§5.3) on any AG-format dataset: every predicate head
on ONE frozen detector, PredCls / SGCls / SGDet, R@20 / R@50, "image" (mean over frames) and
"video" (mean over each video's frames, then over videos: the paper's protocol) columns.

    python scripts/table5.py [train_sg overrides, e.g. relation_solver.max_iters=150] \
        --data synth --out runs/table5 [--config configs/sg/demo_synthetic.yaml] \
        --seeds 0 [--heads reldn vrd imp msdn graph_rcnn sttran frequency] \
        [--frames-per-batch 8 --clip-frames 4] [--max-test-frames 0] [--collect-only]

(overrides first, or after ``--``: ``--seeds`` and ``--heads`` take every word that follows;
they go to both stages, so detector settings given here hold for every head).

Every trained head sees the same number of frames per iteration (the temporal head as
clips of consecutive annotated frames) for the same number of iterations.

Steps (each skipped when its output exists, so a stopped run continues):

1. ``OUT/detector/model.pt``: the detector stage of ``tools/train_sg.py`` (once);
2. ``OUT/<head>_s<seed>/model.pt``: the relations stage of each trained head on a copy of
   that detector (``relations.kind=<head> relation_solver.seed=<seed>``), wall time recorded;
3. ``OUT/<head>_s<seed>/<mode>.json``: ``tools/test_sg.py`` on the test split (the frequency
   prior reads the detector checkpoint's training counts);
4. ``OUT/table5.md`` and ``OUT/table5.json``: the tables (mean ± spread over seeds).

``--collect-only`` runs nothing: it makes the tables from the (head, seed) runs of ``--heads``
x ``--seeds`` already finished under OUT (all three mode JSONs written), lists the others as
missing, and leaves out heads with no finished seed (while parallel invocations still run,
or when a schedule was cut).

``--data DIR`` holds ``annotations/`` and ``frames/`` (``tools/make_synthetic.py`` +
``tools/dump_frames.py``).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from typing import Dict, List, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sgfb.utils.cpu_time import children_cpu_seconds  # noqa: E402

TRAIN = os.path.join(ROOT, "tools", "train_sg.py")
TEST = os.path.join(ROOT, "tools", "test_sg.py")
MODES = ("predcls", "sgcls", "sgdet")
TRAINED = ("reldn", "vrd", "imp", "msdn", "graph_rcnn", "sttran")
TEMPORAL = ("sttran",)
NAMES = {"vrd": "VRD (visual module)", "frequency": "Freq Prior", "graph_rcnn": "Graph R-CNN",
         "msdn": "MSDN", "imp": "IMP", "reldn": "RelDN-style", "sttran": "STTran-style (temporal)"}


def run(cmd: List[str], log: str) -> Tuple[float, float]:
    """Run ``cmd`` with its output in ``log``; returns its wall and CPU (user + system, all
    threads) seconds: on a shared machine the CPU time is the comparable one."""
    start, cpu = time.time(), children_cpu_seconds()
    with open(log, "w") as f:
        code = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT).returncode
    if code:
        raise SystemExit(f"table5: error: {' '.join(cmd[:3])} ... failed ({code}); see {log}")
    return time.time() - start, children_cpu_seconds() - cpu


def summary(values: List[float]) -> str:
    mean = sum(values) / len(values)
    if len(values) == 1:
        return f"{100 * mean:.1f}"
    spread = (max(values) - min(values)) / 2
    return f"{100 * mean:.1f} ± {100 * spread:.1f}"


def table(results: Dict, heads: List[str], constraint: str) -> str:
    head = "| model | " + " | ".join(f"{m} {c} R@{k}" for m in ("PredCls", "SGCls", "SGDet")
                                     for c in ("image", "video") for k in (20, 50)) + " |"
    rows = [head, "|---" * 13 + "|"]
    for name in heads:
        cells = []
        for mode in MODES:
            for avg in ("frame", "video"):
                for k in (20, 50):
                    values = [r[mode][constraint][f"recall_{avg}_avg"][f"R@{k}"]
                              for r in results[name]["seeds"].values()]
                    cells.append(summary(values))
        rows.append(f"| {NAMES.get(name, name)} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def timing_table(results: Dict, heads: List[str]) -> str:
    """Relations-stage training time per head and seed: wall seconds (CPU seconds)."""
    rows = ["| model | relations-stage training, wall s (CPU s) |", "|---|---|"]
    for name in heads:
        secs = results[name]["train_seconds"]
        cells = [f"{t['seconds']:.0f} ({t['cpu_seconds']:.0f}) seed {s}" if "cpu_seconds" in t
                 else f"{t['seconds']:.0f} seed {s}" for s, t in secs.items()]
        rows.append(f"| {NAMES.get(name, name)} | {', '.join(cells) or 'none (counts)'} |")
    return "\n".join(rows)


def run_dir_of(out: str, name: str, seed: int) -> str:
    return os.path.join(out, f"{name}_s{seed}" if name != "frequency" else name)


def finished(run_dir: str) -> bool:
    """Whether the run in ``run_dir`` has all its mode evaluations."""
    return all(os.path.exists(os.path.join(run_dir, f"{mode}.json")) for mode in MODES)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="folder with annotations/ and frames/")
    p.add_argument("--out", required=True)
    p.add_argument("--config", default=os.path.join(ROOT, "configs", "sg", "demo_synthetic.yaml"),
                   help="train_sg.py config (default: the detector sized for synthetic frames)")
    p.add_argument("--heads", nargs="+", default=list(TRAINED) + ["frequency"])
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--max-test-frames", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--constraints", nargs="+", default=["with", "no"])
    p.add_argument("--protocol", default="ag",
                   help="tools/test_sg.py --protocol (ag: the AG paper's image/video recall)")
    p.add_argument("--frames-per-batch", type=int, default=8,
                   help="frames per relations-stage batch for every head (the temporal head "
                        "takes them as FRAMES/--clip-frames clips)")
    p.add_argument("--clip-frames", type=int, default=4)
    p.add_argument("--collect-only", action="store_true",
                   help="only make the tables from the finished runs under OUT (runs nothing)")
    p.add_argument("overrides", nargs="*", help="train_sg.py key=value overrides")
    args = p.parse_args()
    data = [f"data.annotations={args.data}/annotations", f"data.frames={args.data}/frames"]
    base = [sys.executable, TRAIN, "--config", args.config, "--no-progress", *data, "device=cpu"]
    os.makedirs(args.out, exist_ok=True)
    det_dir = os.path.join(args.out, "detector")
    timings: Dict[str, Tuple[float, float]] = {}
    missing: List[str] = []
    if not args.collect_only and not os.path.exists(os.path.join(det_dir, "model.pt")):
        timings["detector"] = run(base + ["--out", det_dir, "stages=[detector]", *args.overrides],
                                  os.path.join(args.out, "detector.log"))
    results: Dict = {}
    for name in args.heads:
        results[name] = {"seeds": {}, "train_seconds": {}}
        for seed in (args.seeds if name != "frequency" else args.seeds[:1]):
            run_dir = run_dir_of(args.out, name, seed)
            if args.collect_only and not finished(run_dir):
                missing.append(f"{name} seed {seed}")
                continue
            os.makedirs(run_dir, exist_ok=True)
            model = os.path.join(run_dir, "model.pt")
            timing = os.path.join(run_dir, "train_seconds.json")
            if name == "frequency":
                model = os.path.join(det_dir, "model.pt")
            elif not os.path.exists(timing):
                shutil.copyfile(os.path.join(det_dir, "model.pt"), model)
                if name in TEMPORAL:
                    batch = [f"relation_solver.batch_size={args.frames_per_batch // args.clip_frames}",
                             f"data.clip_frames={args.clip_frames}"]
                else:
                    batch = [f"relation_solver.batch_size={args.frames_per_batch}"]
                seconds, cpu = run(base + ["--out", run_dir, "stages=[relations]", f"relations.kind={name}",
                                      f"relation_solver.seed={seed}", *batch, *args.overrides],
                              os.path.join(run_dir, "train.log"))
                with open(timing, "w") as f:
                    json.dump({"seconds": seconds, "cpu_seconds": cpu}, f)
            if name != "frequency":
                with open(timing) as f:
                    results[name]["train_seconds"][seed] = json.load(f)
            per_mode = {}
            for mode in MODES:
                out = os.path.join(run_dir, f"{mode}.json")
                if not os.path.exists(out):
                    run([sys.executable, TEST, "--checkpoint", model, "--annotations",
                         f"{args.data}/annotations", "--frames", f"{args.data}/frames",
                         "--mode", mode, "--protocol", args.protocol, "--constraint", *args.constraints,
                         "--device", "cpu",
                         "--max-frames", str(args.max_test_frames), "--batch-size",
                         str(args.batch_size), "--out", out, "--no-progress",
                         *(["--head", "frequency"] if name == "frequency" else [])],
                        os.path.join(run_dir, f"{mode}.log"))
                with open(out) as f:
                    per_mode[mode] = json.load(f)["constraints"]
            results[name]["seeds"][seed] = per_mode
    heads = [name for name in args.heads if results[name]["seeds"]]
    if not heads:
        raise SystemExit(f"table5: error: no finished run under {args.out}")
    text = []
    for constraint in args.constraints:
        text.append(f"### {constraint} constraint\n\n{table(results, heads, constraint)}\n")
    text.append(timing_table(results, heads))
    if missing:
        text.append(f"\nnot finished (left out): {', '.join(missing)}")
    with open(os.path.join(args.out, "table5.md"), "w") as f:
        f.write("\n".join(text) + "\n")
    with open(os.path.join(args.out, "table5.json"), "w") as f:
        json.dump({"results": {name: results[name] for name in heads}, "missing": missing,
                   "detector_wall_cpu_seconds": timings.get("detector")}, f, indent=1)
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
