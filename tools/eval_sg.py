#!/usr/bin/env python
"""Scene-graph Recall@K and mean Recall@K of saved scene graphs against Action Genome
annotations, under a named protocol.

    python tools/eval_sg.py --annotations ActionGenome/annotations --predictions graphs.npz \\
        --mode sgdet --protocol sttran --constraint with_per_group semi no [--out metrics.json]

--predictions: one graph file for the whole test set (tools/test_sg.py --save-graphs X.npz)
or a folder of per-video graph files (docs/data.md, "SceneGraph").
--protocol ag (default): the Action Genome paper's Table 5; prints the "video" (per frame,
then per video, then the mean) and "image" (pooled over frames) averages.
--protocol sttran: STTran's evaluator exactly (its constraints are with_per_group, semi, no;
pooled over frames). docs/scene_graphs.md tables what every constraint keeps per protocol.
Frames: the protocol's own (test split, frames with a person box and a visible object,
videos of 3+ frames; sttran also drops boxes under 16 px in SGCls/SGDet); --split and
--preset keep_all leave it. The JSON keeps recall_frame_avg["R@K"] (pooled), adds
mean_recall_*["mR@K"] and timing {load_s, evaluate_s}; one constraint writes the metrics
at the top level, several under "constraints".
"""
from __future__ import annotations

from sgfb.atomic_io import write_json
from sgfb.engine.cli import positive_int, probability, run_cli, tool_parser
from sgfb.engine.output_paths import check_inputs_exist, check_output_location
from sgfb.evaluation.sg_protocols import CONSTRAINTS, DEFAULT_PROTOCOL, PROTOCOLS
from sgfb.evaluation.sg_recall import DEFAULT_KS
from sgfb.pipelines.evaluate_graphs import MODES, evaluate_graph_set


def print_result(mode: str, constraint: str, result) -> None:
    print(f"{mode} / {result.protocol} protocol / {constraint} constraint: "
          f"{result.frames_evaluated} frames ({result.frames_without_ground_truth} without "
          f"ground-truth relationships skipped)")
    print("averaging        " + "  ".join(f"{'R@' + str(k):>6}" for k in result.ks)
          + "  " + "  ".join(f"{'mR@' + str(k):>6}" for k in result.ks))
    rows = [("per video", result.video, result.mean_video),
            ("pooled frames", result.frame, result.mean_frame)]
    for name, values, means in rows:
        if name == "per video" and "video" not in result.averaging:
            continue
        print(f"{name:<16} " + "  ".join(f"{100 * values[k]:6.2f}" for k in result.ks)
              + "  " + "  ".join(f"{100 * means[k]:6.2f}" for k in result.ks))
    if result.timing:
        print(f"load {result.timing['load_s']:.2f} s, evaluate {result.timing['evaluate_s']:.2f} s")


def main(argv=None) -> int:
    p = tool_parser(__doc__)
    p.add_argument("--annotations", required=True, help="AG annotation dir or object pickle")
    p.add_argument("--predictions", required=True,
                   help="graph file of a whole test set, or a folder of per-video graph files")
    p.add_argument("--mode", choices=MODES, required=True)
    p.add_argument("--protocol", choices=sorted(PROTOCOLS), default=DEFAULT_PROTOCOL)
    p.add_argument("--constraint", choices=CONSTRAINTS, nargs="+", required=True)
    p.add_argument("--ks", type=positive_int, nargs="+", default=list(DEFAULT_KS))
    p.add_argument("--threshold", type=probability, default=None,
                   help="score threshold for 'semi' (default: the protocol's, 0.9)")
    p.add_argument("--preset", choices=("filtered", "keep_all"), default=None,
                   help="keep_all: score every frame of the split (not the protocol's frames)")
    p.add_argument("--split", choices=("protocol", "train", "test", "all"), default="protocol")
    p.add_argument("--out", help="JSON file for all metrics and per-video recalls")
    args = p.parse_args(argv)
    inputs = check_inputs_exist({"--annotations": args.annotations,
                                 "--predictions": args.predictions})
    if args.out:
        check_output_location(args.out, inputs, kind="file")
    for c in args.constraint:
        try:
            PROTOCOLS[args.protocol].check_constraint(c)
        except ValueError as exc:
            p.error(str(exc))
    results = evaluate_graph_set(args.annotations, args.predictions, args.mode, args.constraint,
                                 args.ks, args.threshold, args.preset, args.split, args.protocol)
    for c, r in results.items():
        print_result(args.mode, c, r)
    if args.out:
        if len(results) == 1:
            (c, r), = results.items()
            payload = {"mode": args.mode, "constraint": c, **r.as_dict()}
        else:
            payload = {"mode": args.mode, "protocol": args.protocol,
                       "constraints": {c: r.as_dict() for c, r in results.items()}}
        write_json(args.out, payload)
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
