#!/usr/bin/env python
"""Speed of the scene-graph evaluator against a faithful per-frame reference, on an AG
test-set-sized SGDet input: 1,700 videos x 10 frames (17,000 frames), each a ground-truth
graph of 1-4 objects and a prediction of 8 boxes (7 person-object pairs: 21 triplets under
`with_per_group`, 182 under `no`, capped at 100 per frame).

The reference (`reference_frame`) is written here with the loop structure of the field's
evaluators (STTran's `BasicSceneGraphEvaluator`): per frame, build the 3 x pairs score rows,
select, sort, match each ground-truth triplet against the predictions, union the matches
up to K. Both run the `sttran` protocol and must give identical recalls; the bench checks it.

    python bench/sg_recall.py [--videos 1700 --frames 10] [--process]

--process also times whole processes on files: `tools/eval_sg.py` on a one-file graph set
against a reference process (import torch as STTran's evaluator does, unpickle the AG
annotations, read the per-video graph files, run the reference), every constraint.
"""
from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import time
from functools import reduce

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sgfb.data.vocab import AG_OBJECTS, AG_RELATIONSHIPS, GROUP_SLICES  # noqa: E402
from sgfb.evaluation.sg_recall import evaluate_tables  # noqa: E402
from sgfb.structures import SceneGraph  # noqa: E402
from sgfb.structures.graph_table import GraphTable  # noqa: E402

CONSTRAINTS = ("with_per_group", "semi", "no")
KS = (10, 20, 50, 100)


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


# ----------------------------------------------------------------------- the reference
def _overlaps(gt_box, boxes):
    """+1-pixel IoU of one box with each of ``boxes``."""
    iw = np.minimum(gt_box[2], boxes[:, 2]) - np.maximum(gt_box[0], boxes[:, 0]) + 1
    ih = np.minimum(gt_box[3], boxes[:, 3]) - np.maximum(gt_box[1], boxes[:, 1]) + 1
    ua = ((gt_box[2] - gt_box[0] + 1) * (gt_box[3] - gt_box[1] + 1)
          + (boxes[:, 2] - boxes[:, 0] + 1) * (boxes[:, 3] - boxes[:, 1] + 1) - iw * ih)
    return np.where((iw > 0) & (ih > 0), iw * ih / ua, 0.0)


def reference_frame(gt: SceneGraph, pred: SceneGraph, constraint: str, ks=KS,
                    threshold: float = 0.9):
    """One frame's recall at each K, computed as the field's evaluators do, frame by frame."""
    gt_rel = []
    for p in range(gt.num_pairs):
        for r in np.flatnonzero(gt.relations[p] >= 1):
            sp = GROUP_SLICES["spatial"].start <= r < GROUP_SLICES["spatial"].stop
            gt_rel.append([gt.pair_objects[p], 0, r] if sp else [0, gt.pair_objects[p], r])
    gt_rel = np.array(gt_rel)
    pairs = np.stack([np.full(pred.num_pairs, pred.person), pred.pair_objects], 1)
    rel_inds = np.concatenate([pairs, pairs[:, ::-1], pairs])
    blocks = []
    for sl in GROUP_SLICES.values():
        b = np.zeros((pred.num_pairs, 26))
        b[:, sl] = pred.relations[:, sl]
        blocks.append(b)
    rel_scores = np.concatenate(blocks)
    obj_scores = pred.scores
    if constraint == "semi":
        rels, pscores = [], []
        for i, pair in enumerate(rel_inds):
            row = rel_scores[i]
            if row[0] + row[1] > 0:
                rels.append([*pair, row.argmax()])
                pscores.append(row.max())
            elif row[3] + row[4] > 0 or row[9] + row[10] > 0:
                for k in np.where(row > threshold)[0]:
                    rels.append([*pair, k])
                    pscores.append(row[k])
        rels, pscores = np.array(rels), np.array(pscores)
    elif constraint == "no":
        overall = obj_scores[rel_inds].prod(1)[:, None] * rel_scores
        top = np.column_stack(np.unravel_index(np.argsort(-overall.ravel()), overall.shape))[:100]
        rels = np.column_stack([rel_inds[top[:, 0]], top[:, 1]])
        pscores = rel_scores[top[:, 0], top[:, 1]]
    else:
        rels = np.column_stack([rel_inds, rel_scores.argmax(1)])
        pscores = rel_scores.max(1)
    if rels.size == 0:
        return [0.0] * len(ks)
    gt_trip = np.column_stack([gt.labels[gt_rel[:, 0]], gt_rel[:, 2], gt.labels[gt_rel[:, 1]]])
    gt_boxes = np.column_stack([gt.boxes[gt_rel[:, 0]], gt.boxes[gt_rel[:, 1]]]).astype(float)
    trip = np.column_stack([pred.labels[rels[:, 0]], rels[:, 2], pred.labels[rels[:, 1]]])
    tboxes = np.column_stack([pred.boxes[rels[:, 0]], pred.boxes[rels[:, 1]]]).astype(float)
    tscores = np.column_stack([obj_scores[rels[:, 0]], obj_scores[rels[:, 1]], pscores])
    order = tscores.prod(1).argsort()[::-1]
    trip, tboxes = trip[order], tboxes[order]
    same = (gt_trip[..., None] == trip.T[None]).all(1)
    pred_to_gt = [[] for _ in range(len(trip))]
    for g in np.where(same.any(1))[0]:
        cand = np.where(same[g])[0]
        ok = ((_overlaps(gt_boxes[g, :4], tboxes[cand, :4]) >= 0.5)
              & (_overlaps(gt_boxes[g, 4:], tboxes[cand, 4:]) >= 0.5))
        for i in cand[ok]:
            pred_to_gt[i].append(int(g))
    return [len(reduce(np.union1d, pred_to_gt[:k])) / len(gt_rel) for k in ks]


def reference(gts, preds, constraint):
    per_frame = [reference_frame(g, p, constraint) for g, p in zip(gts, preds)]
    return dict(zip(KS, np.mean(per_frame, axis=0)))


# ----------------------------------------------------------------------- whole processes
REFERENCE_PROCESS = r"""
import glob, os, pickle, sys, time
import numpy as np
import torch  # noqa: F401  (STTran's evaluator module imports torch)
sys.path.insert(0, {root!r}); sys.path.insert(0, os.path.join({root!r}, "bench"))
from sg_recall import reference_frame, CONSTRAINTS
from sgfb.structures import SceneGraph, load_graphs
ann = {ann!r}
objects = pickle.load(open(os.path.join(ann, "object_bbox_and_relationship.pkl"), "rb"))
persons = pickle.load(open(os.path.join(ann, "person_bbox.pkl"), "rb"))
from sgfb.data.vocab import OBJECTS, RELATIONSHIPS
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
for c in CONSTRAINTS:
    r = np.mean([reference_frame(gts[k], preds[k], c) for k in gts], axis=0)
    print(c, r)
"""


def write_inputs(gts, preds, folder: str):
    from sgfb.pipelines.sg_testing import save_graph_dir, save_graph_set
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


def time_process(cmd) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ROOT})
    if proc.returncode:
        raise SystemExit(f"{cmd[:3]} failed:\n{proc.stderr}")
    return time.perf_counter() - start


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--videos", type=int, default=1700)
    p.add_argument("--frames", type=int, default=10)
    p.add_argument("--process", action="store_true", help="also time whole processes")
    args = p.parse_args(argv)
    gts, preds = make_frames(args.videos, args.frames)
    truth, pred = GraphTable.from_graphs(gts), GraphTable.from_graphs(preds)
    total_ref = total_ours = 0.0
    for constraint in CONSTRAINTS:
        start = time.perf_counter()
        ref = reference(gts, preds, constraint)
        t_ref = time.perf_counter() - start
        start = time.perf_counter()
        ours = evaluate_tables(truth, pred, constraint, KS, "sttran").frame
        t_ours = time.perf_counter() - start
        same = all(abs(ref[k] - ours[k]) < 1e-12 for k in KS)
        total_ref, total_ours = total_ref + t_ref, total_ours + t_ours
        print(f"{constraint:>15}: {len(gts)} frames, reference {t_ref:6.2f} s, ours "
              f"{t_ours:5.2f} s, {t_ref / t_ours:5.1f}x; R@20 {ours[20]:.4f}, identical: {same}")
    print(f"evaluation, all constraints: {total_ref:.2f} s vs {total_ours:.2f} s = "
          f"{total_ref / total_ours:.1f}x")
    if args.process:
        with tempfile.TemporaryDirectory() as tmp:
            ann = write_inputs(gts, preds, tmp)
            ref_cmd = [sys.executable, "-c", REFERENCE_PROCESS.format(
                root=ROOT, ann=ann, graphs=os.path.join(tmp, "graphs"))]
            ours_cmd = [sys.executable, os.path.join(ROOT, "tools", "eval_sg.py"),
                        "--annotations", ann, "--predictions", os.path.join(tmp, "graphs.npz"),
                        "--mode", "sgdet", "--protocol", "sttran", "--split", "all",
                        "--preset", "keep_all", "--constraint", *CONSTRAINTS]
            t_ref, t_ours = time_process(ref_cmd), time_process(ours_cmd)
            print(f"whole process, all constraints: reference {t_ref:.2f} s, tools/eval_sg.py "
                  f"{t_ours:.2f} s = {t_ref / t_ours:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
