#!/usr/bin/env python
"""Evaluate a stage-1 checkpoint: scene-graph recall@K in PredCls, SGCls or SGDet.

    python tools/test_sg.py --checkpoint runs/sg/model.pt --annotations AG/annotations \\
        --frames AG/frames --mode sgdet --constraint with no --out runs/sg/sgdet.json \\
        [--head frequency] [--save-graphs graphs.npz] [--split all] [--protocol sttran]

The checkpoint's own head (relations.kind at training: reldn, vrd, imp, msdn, graph_rcnn,
sttran) is used by default; --head frequency scores the frequency-prior baseline (object class
alone) with the same detector. --save-graphs writes every frame's predicted SceneGraph: a path
ending in .npz gets one file for the whole set, any other path a folder of per-video files
(both read by tools/eval_sg.py and tools/extract_banks.py; docs/data.md). --protocol ag
(default) prints recall per video (AG paper Table 5 "video") and pooled over frames
("image"); --protocol sttran scores as STTran's evaluator (constraints with_per_group, semi,
no; pooled). --out also keeps mR@K and the per-video recalls.
Many machines: under torchrun (RANK/WORLD_SIZE) or with --shard I/N each process predicts the
frames of its share of the videos (sorted, round robin); --save-graphs must then be a folder
(its per-video files are those of a one-process run) and --out is named by shard
(OUT.shardI-of-N.json, the shard's metrics; tools/eval_sg.py scores the whole folder).
"""
from __future__ import annotations

import os

from sgfb.utils.atomic_io import write_json
from sgfb.utils.cli import nonnegative_int, positive_int, run_cli, tool_parser
from sgfb.utils.output_paths import check_inputs_exist, check_output_location
from sgfb.utils.shards import add_shard_argument, resolve_shard
from sgfb.evaluation.sg_protocols import CONSTRAINTS, DEFAULT_PROTOCOL, PROTOCOLS
from sgfb.evaluation.sg_recall import DEFAULT_KS
from sgfb.relations.names import HEAD_KINDS, MODES


def main(argv=None) -> int:
    p = tool_parser(__doc__)
    p.add_argument("--checkpoint", required=True, help="OUT/model.pt of tools/train_sg.py")
    p.add_argument("--annotations", required=True)
    p.add_argument("--frames", required=True, help="dumped frames (tools/dump_frames.py)")
    p.add_argument("--mode", choices=MODES, required=True)
    p.add_argument("--constraint", choices=CONSTRAINTS, nargs="+", default=None,
                   help="default: ag: with no; sttran: with_per_group semi no")
    p.add_argument("--protocol", choices=sorted(PROTOCOLS), default=DEFAULT_PROTOCOL)
    p.add_argument("--head", choices=HEAD_KINDS, default=None,
                   help="default: the head the checkpoint was trained with; frequency: the "
                        "frequency prior from the checkpoint's training counts")
    p.add_argument("--split", choices=("train", "test", "all"), default="test")
    p.add_argument("--preset", choices=("filtered", "keep_all"), default="filtered")
    p.add_argument("--max-frames", type=nonnegative_int, default=0)
    p.add_argument("--batch-size", type=positive_int, default=4)
    p.add_argument("--ks", type=positive_int, nargs="+", default=list(DEFAULT_KS))
    p.add_argument("--device", default="auto")
    p.add_argument("--save-graphs",
                   help="X.npz: one file of all predicted graphs; else a folder, one per video")
    p.add_argument("--out", help="JSON of all metrics and per-video recalls")
    p.add_argument("--no-progress", action="store_true")
    add_shard_argument(p)
    args = p.parse_args(argv)
    try:
        shard = resolve_shard(args.shard)
    except ValueError as exc:
        p.error(str(exc))
    if shard.sharded and args.save_graphs and args.save_graphs.endswith(".npz"):
        p.error(f"--save-graphs {args.save_graphs}: one file for the whole set cannot be "
                "split across shards; give a folder (one file per video)")
    if args.out:
        args.out = shard.name(args.out)
    inputs = check_inputs_exist({"--checkpoint": args.checkpoint,
                                 "--annotations": args.annotations, "--frames": args.frames})
    if args.save_graphs:
        check_output_location(args.save_graphs, inputs, "--save-graphs",
                              kind="file" if args.save_graphs.endswith(".npz") else "dir")
    if args.out:
        check_output_location(args.out, inputs, kind="file")
    proto = PROTOCOLS[args.protocol]
    constraints = args.constraint or (["with", "no"] if proto.name == "ag"
                                      else list(proto.constraints))
    for c in constraints:
        try:
            proto.check_constraint(c)
        except ValueError as exc:
            p.error(str(exc))
    from sgfb.evaluation.sg_testing import test_scene_graphs   # torch: after the checks
    from sgfb.utils.distributed import resolve_device

    local_rank = int(os.environ.get("LOCAL_RANK", "0"))  # torchrun: this process's GPU
    result = test_scene_graphs(args.checkpoint, args.annotations, args.frames, args.mode,
                               constraints, args.head, args.split, args.preset, args.max_frames,
                               args.batch_size, str(resolve_device(args.device, local_rank)),
                               args.ks, args.save_graphs, not args.no_progress,
                               protocol=args.protocol, shard=shard)
    for constraint, r in result["constraints"].items():
        print(f"{args.mode} / {result['head']} / {args.protocol} protocol / {constraint} "
              f"constraint: {r['frames_evaluated']} frames")
        for name in ("video", "frame"):
            if f"recall_{name}_avg" not in r:
                continue
            values = r[f"recall_{name}_avg"]
            print(f"  per {name:<6} " + "  ".join(
                f"R@{k}={100 * values[f'R@{k}']:.2f}" for k in args.ks))
    if args.out:
        write_json(args.out, result)
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
