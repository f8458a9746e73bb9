#!/usr/bin/env python
"""Speed of the scene-graph evaluator against a faithful per-frame reference
(``bench/sg_reference.py``, the loop structure of STTran's ``BasicSceneGraphEvaluator``), on
an AG test-set-sized SGDet input: 1,700 videos x 10 frames (17,000 frames), each a
ground-truth graph of 1-4 objects and a prediction of 8 boxes (7 person-object pairs: 21
triplets under ``with_per_group``, 182 under ``no``, capped at 100 per frame by ``sttran``).

For every protocol and constraint it prints two ratios, reference / ours:

- evaluation: the reference's per-frame loop against ``evaluate_tables``, on the same
  frames held in memory (recalls must agree; the bench checks it);
- whole process: ``tools/eval_sg.py --constraint C`` on a one-file graph set (interpreter
  start, imports, annotation and graph loading, evaluation, JSON) against a reference
  process that imports torch (as STTran's evaluator module does), unpickles the AG-format
  annotations, reads the 1,700 per-video graph files and runs the reference. The reference
  process evaluates every constraint once, timing each; its whole process for C is its
  total minus the other constraints' evaluations.

Times are CPU seconds (user + system; the machine may be shared, and CPU time does not count
the time spent waiting for another job's turn), wall seconds beside them.

    OMP_NUM_THREADS=1 python bench/sg_recall.py [--videos 1700 --frames 10]
        [--protocols sttran ag]
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

from sg_reference import KS, PROTOCOL_CONSTRAINTS  # noqa: E402
from sgfb.structures.vocab import AG_OBJECTS, AG_RELATIONSHIPS, GROUP_SLICES  # noqa: E402
from sgfb.evaluation.sg_recall import evaluate_tables  # noqa: E402
from sgfb.structures import SceneGraph  # noqa: E402
from sgfb.structures.graph_table import GraphTable  # noqa: E402
from sgfb.utils.cpu_time import children_cpu_seconds  # noqa: E402


def make_frames(videos: int, frames: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    gts, preds = [], []
    for v in range(videos):
        for f in range(frames):
            key = f"V{v:05d}.mp4/{f + 1:06d}.png"
            n = int(rng.integers(1, 5))
            xy = rng.uniform(0, 300, (n + 1, 2))
            boxes = np.concatenate([xy, xy + rng.uniform(20, 120, (n + 1, 2))], 1)
            labels = rng.integers(1, 36, n)
            rels = [sorted({int(rng.integers(0, 3)), int(rng.integers(3, 9)),
                            int(rng.integers(9, 26))}) for _ in range(n)]
            gts.append(SceneGraph.from_ground_truth(labels, rels, boxes[1:], boxes[0],
                                                    frame_key=key))
            m = 8
            pick = rng.integers(0, n + 1, m - 1)
            pboxes = np.concatenate([boxes[:1], boxes[pick] + rng.normal(0, 6, (m - 1, 4))])
            plabels = np.concatenate([[0], np.where(pick > 0, np.r_[0, labels][pick],
                                                    rng.integers(1, 36, m - 1))])
            plabels[1:][plabels[1:] == 0] = 1
            rel = rng.uniform(0, 1, (m - 1, 26)).astype(np.float32)
            rel[:, :3] /= rel[:, :3].sum(1, keepdims=True)
            preds.append(SceneGraph.from_predictions(
                pboxes, plabels, rng.uniform(0.3, 1, m), np.arange(1, m), rel, person=0,
                frame_key=key))
    return gts, preds



def write_inputs(gts, preds, folder: str):
    from sgfb.evaluation.sg_testing import save_graph_dir, save_graph_set
    ann = os.path.join(folder, "annotations")
    os.makedirs(ann)
    objects, persons = {}, {}
    for g in gts:
        objs = []
        for p in range(g.num_pairs):
            node = g.pair_objects[p]
            x1, y1, x2, y2 = (float(v) for v in g.boxes[node])
            names = [AG_RELATIONSHIPS[r] for r in np.flatnonzero(g.relations[p] >= 1)]
            group = {k: [n for n in names if AG_RELATIONSHIPS.index(n) in range(sl.start, sl.stop)]
                     for k, sl in (("attention_relationship", GROUP_SLICES["attention"]),
                                   ("spatial_relationship", GROUP_SLICES["spatial"]),
                                   ("contacting_relationship", GROUP_SLICES["contacting"]))}
            objs.append({"class": AG_OBJECTS[g.labels[node]], "bbox": (x1, y1, x2 - x1, y2 - y1),
                         "visible": True, "metadata": {"tag": g.frame_key, "set": "test"},
                         **group})
        objects[g.frame_key] = objs
        persons[g.frame_key] = {"bbox": g.boxes[:1].astype(np.float32), "bbox_size": (480, 270),
                                "bbox_mode": "xyxy"}
    for name, data in (("object_bbox_and_relationship.pkl", objects), ("person_bbox.pkl", persons)):
        with open(os.path.join(ann, name), "wb") as f:
            pickle.dump(data, f)
    save_graph_dir({p.frame_key: p for p in preds}, os.path.join(folder, "graphs"))
    save_graph_set({p.frame_key: p for p in preds}, os.path.join(folder, "graphs.npz"))
    return ann



# ----------------------------------------------------------------------- the reference process
REFERENCE_PROCESS = r"""
import time
cpu0, wall0 = time.process_time(), time.perf_counter()
import glob, json, os, pickle, sys
import numpy as np
import torch  # noqa: F401  (STTran's evaluator module imports torch)
sys.path.insert(0, {root!r}); sys.path.insert(0, os.path.join({root!r}, "bench"))
from sg_reference import reference
from sgfb.structures import SceneGraph, load_graphs
from sgfb.structures.vocab import OBJECTS, RELATIONSHIPS
ann = {ann!r}
objects = pickle.load(open(os.path.join(ann, "object_bbox_and_relationship.pkl"), "rb"))
persons = pickle.load(open(os.path.join(ann, "person_bbox.pkl"), "rb"))
gts = {{}}
for key, objs in objects.items():
    vis = [o for o in objs if o["visible"]]
    gts[key] = SceneGraph.from_ground_truth(
        [OBJECTS.index(o["class"]) for o in vis],
        [[RELATIONSHIPS.index(r) for g in ("attention_relationship", "spatial_relationship",
          "contacting_relationship") for r in o[g]] for o in vis],
        [[o["bbox"][0], o["bbox"][1], o["bbox"][0] + o["bbox"][2], o["bbox"][1] + o["bbox"][3]]
         for o in vis], persons[key]["bbox"][0], frame_key=key)
preds = {{}}
for path in sorted(glob.glob(os.path.join({graphs!r}, "*.npz"))):
    preds.update(load_graphs(path))
out = {{"load_cpu": time.process_time() - cpu0, "load_wall": time.perf_counter() - wall0,
        "evals": []}}
for protocol, constraint in {runs!r}:
    cpu, wall = time.process_time(), time.perf_counter()
    recall = reference(gts, preds, protocol, constraint)
    out["evals"].append(dict(protocol=protocol, constraint=constraint, recall=recall,
                             cpu=time.process_time() - cpu, wall=time.perf_counter() - wall))
print(json.dumps(out))
"""


def run_process(cmd):
    """(stdout, CPU seconds, wall seconds) of a child process."""
    cpu, wall = children_cpu_seconds(), time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": ROOT})
    if proc.returncode:
        raise SystemExit(f"{cmd[:3]} failed:\n{proc.stderr}")
    return proc.stdout, children_cpu_seconds() - cpu, time.perf_counter() - wall


def max_difference(ref: dict, ours) -> float:
    diffs = [abs(ref["frame"][str(k)] - ours.frame[k]) for k in KS]
    if "video" in ref:
        diffs += [abs(ref["video"][str(k)] - ours.video[k]) for k in KS]
    return max(diffs)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--videos", type=int, default=1700)
    p.add_argument("--frames", type=int, default=10)
    p.add_argument("--protocols", nargs="+", choices=sorted(PROTOCOL_CONSTRAINTS),
                   default=["sttran", "ag"])
    args = p.parse_args(argv)
    runs = [(proto, c) for proto in args.protocols for c in PROTOCOL_CONSTRAINTS[proto]]
    gts, preds = make_frames(args.videos, args.frames)
    truth, pred = GraphTable.from_graphs(gts), GraphTable.from_graphs(preds)
    with tempfile.TemporaryDirectory() as tmp:
        ann = write_inputs(gts, preds, tmp)
        del gts, preds
        # ours, in memory
        ours = {}
        for proto, c in runs:
            cpu, wall = time.process_time(), time.perf_counter()
            result = evaluate_tables(truth, pred, c, KS, proto)
            ours[proto, c] = (result, time.process_time() - cpu, time.perf_counter() - wall)
        # ours, whole processes
        ours_process = {}
        for proto, c in runs:
            out = os.path.join(tmp, "metrics.json")
            _, cpu, wall = run_process([
                sys.executable, os.path.join(ROOT, "tools", "eval_sg.py"), "--annotations", ann,
                "--predictions", os.path.join(tmp, "graphs.npz"), "--mode", "sgdet",
                "--protocol", proto, "--split", "all", "--preset", "keep_all",
                "--constraint", c, "--out", out])
            with open(out) as f:
                metrics = json.load(f)
            ours_process[proto, c] = (metrics, cpu, wall)
        # the reference: one process, every constraint
        stdout, ref_cpu, ref_wall = run_process([sys.executable, "-c", REFERENCE_PROCESS.format(
            root=ROOT, ann=ann, graphs=os.path.join(tmp, "graphs"), runs=runs)])
    ref = json.loads(stdout.strip().splitlines()[-1])
    evals = {(e["protocol"], e["constraint"]): e for e in ref["evals"]}

    print(f"{len(truth)} SGDet frames; CPU seconds (wall in brackets); ratio = reference / ours")
    print(f"{'protocol':<8} {'constraint':<15} {'reference eval':>17} {'ours eval':>15} "
          f"{'ratio':>6}  {'reference process':>18} {'eval_sg.py':>15} {'ratio':>6}  "
          f"max |recall difference|")
    worst_eval = worst_process = float("inf")
    for proto, c in runs:
        e = evals[proto, c]
        result, cpu, wall = ours[proto, c]
        metrics, p_cpu, p_wall = ours_process[proto, c]
        others_cpu = sum(x["cpu"] for k, x in evals.items() if k != (proto, c))
        others_wall = sum(x["wall"] for k, x in evals.items() if k != (proto, c))
        r_cpu, r_wall = ref_cpu - others_cpu, ref_wall - others_wall
        diff = max_difference(e["recall"], result)
        same_file = all(metrics["recall_frame_avg"][f"R@{k}"] == result.frame[k] for k in KS)
        worst_eval = min(worst_eval, e["cpu"] / cpu)
        worst_process = min(worst_process, r_cpu / p_cpu)
        print(f"{proto:<8} {c:<15} {e['cpu']:7.2f} ({e['wall']:6.2f}) {cpu:5.2f} ({wall:5.2f}) "
              f"{e['cpu'] / cpu:5.1f}x  {r_cpu:8.2f} ({r_wall:6.2f}) {p_cpu:5.2f} ({p_wall:5.2f}) "
              f"{r_cpu / p_cpu:5.1f}x  {diff:.1e}{'' if same_file else ' (eval_sg differs!)'}")
        print(f"{'':<24} eval_sg.py timing: load {metrics['timing']['load_s']:.2f} s, "
              f"evaluate {metrics['timing']['evaluate_s']:.2f} s (wall)")
    print(f"reference process: load {ref['load_cpu']:.2f} s CPU ({ref['load_wall']:.2f} s wall) "
          f"of {ref_cpu:.2f} s; slowest ratios: evaluation {worst_eval:.1f}x, "
          f"whole process {worst_process:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
