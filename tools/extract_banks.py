#!/usr/bin/env python
"""Write a scene-graph feature bank per video (confidence matrices C = s_o * s_r of the
annotated frames): oracle banks from ground truth, or banks from stage 1's predicted graphs.

    python tools/extract_banks.py --annotations ActionGenome/annotations \\
        --fps-table video_fps.json --out banks/oracle [--graphs predicted_graphs/]

Resumable: videos whose bank exists are skipped. Exits 1 when any video failed. One process
(worker processes measured no faster: a bank costs about a millisecond). Many processes or
machines: under torchrun (RANK/WORLD_SIZE) or with --shard I/N each process writes the banks
of its share of the videos (sorted, round robin) into the same OUT.
"""
from __future__ import annotations

from sgfb.data.action_genome import ActionGenome
from sgfb.utils.output_paths import check_inputs_exist, check_output_location
from sgfb.utils.cli import run_cli, tool_parser
from sgfb.utils.shards import add_shard_argument, resolve_shard
from sgfb.feature_bank.extract import extract_banks


def main(argv=None) -> int:
    p = tool_parser(__doc__)
    p.add_argument("--annotations", required=True, help="AG annotation dir or object pickle")
    p.add_argument("--fps-table", required=True, help="fps table JSON or the videos directory")
    p.add_argument("--out", required=True)
    p.add_argument("--graphs", default=None, help="predicted graphs dir (default: oracle)")
    p.add_argument("--layout", choices=("paper", "full"), default="paper",
                   help="paper: 35 x 25 = 875 (default); full: 35 x 26 = 910")
    p.add_argument("--no-progress", action="store_true")
    add_shard_argument(p)
    args = p.parse_args(argv)
    try:
        shard = resolve_shard(args.shard)
    except ValueError as exc:
        p.error(str(exc))
    inputs = check_inputs_exist({"--annotations": args.annotations,
                                 "--fps-table": args.fps_table, "--graphs": args.graphs})
    check_output_location(args.out, inputs)
    ag = ActionGenome.load(args.annotations, fps=args.fps_table)
    if shard.sharded:  # this shard's videos only (the banks are one file per video)
        ag.videos = {v: ag.videos[v] for v in shard.select(ag.videos)}
        print(f"shard {shard}: {len(ag.videos)} videos")
    summary = extract_banks(ag, args.out, args.graphs, args.layout,
                            progress=not args.no_progress)
    print(summary.format())
    return 1 if summary.failed else 0


if __name__ == "__main__":
    run_cli(main, __file__)
