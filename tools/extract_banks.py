#!/usr/bin/env python
"""Write a scene-graph feature bank per video (confidence matrices C = s_o * s_r, Action
Genome §4.2), from one of three sources:

    # oracle: the ground-truth graphs of the annotated frames
    python tools/extract_banks.py --annotations ActionGenome/annotations \\
        --fps-table video_fps.json --out banks/oracle
    # predicted, on the annotated frames: stage 1's saved graphs (test_sg.py --save-graphs)
    python tools/extract_banks.py --annotations ActionGenome/annotations \\
        --fps-table video_fps.json --graphs predicted_graphs/ --out banks/annotated
    # predicted, on frames sampled from the whole video (the paper's SGFB; as tools/infer.py)
    python tools/extract_banks.py --videos Charades_v1_480/ \\
        --scene-graph-model runs/sg/model.pt --sample-fps 1 --out banks/predicted

The annotated frames lie inside the labelled action intervals (AG samples 5 frames per
action), so banks on them carry the labels' timing; banks sampled from the video do not, and
every video gets one. Resumable: videos whose bank exists are skipped. Exits 1 when any video
failed. Many processes or machines: under torchrun (RANK/WORLD_SIZE) or with --shard I/N
each process writes the banks of its share of the videos (sorted, round robin) into OUT.
"""
from __future__ import annotations

import os

from sgfb.data.action_genome import ActionGenome
from sgfb.utils.output_paths import check_inputs_exist, check_output_location, find_videos
from sgfb.utils.cli import run_cli, tool_parser
from sgfb.utils.shards import add_shard_argument, resolve_shard
from sgfb.feature_bank.extract import extract_banks


def main(argv=None) -> int:
    p = tool_parser(__doc__)
    p.add_argument("--annotations", help="AG annotation dir or object pickle (oracle, --graphs)")
    p.add_argument("--fps-table", help="fps table JSON or the videos directory (oracle, --graphs)")
    p.add_argument("--out", required=True)
    p.add_argument("--graphs", default=None,
                   help="predicted graphs dir of the annotated frames (default: oracle)")
    p.add_argument("--videos", nargs="+", default=None,
                   help="video files or folders: predict graphs on frames sampled from them")
    p.add_argument("--scene-graph-model", default=None, help="train_sg.py checkpoint (--videos)")
    p.add_argument("--sample-fps", type=float, default=1.0,
                   help="scene graphs per second of video (--videos; tools/infer.py's default)")
    p.add_argument("--batch-size", type=int, default=8, help="frames per SGDet batch (--videos)")
    p.add_argument("--device", default="cpu",
                   help="cpu, cuda (under torchrun: this process's GPU) or cuda:N (--videos)")
    p.add_argument("--layout", choices=("paper", "full"), default="paper",
                   help="paper: 35 x 25 = 875 (default); full: 35 x 26 = 910")
    p.add_argument("--no-progress", action="store_true")
    add_shard_argument(p)
    args = p.parse_args(argv)
    try:
        shard = resolve_shard(args.shard)
    except ValueError as exc:
        p.error(str(exc))
    if args.videos is not None:
        if args.scene_graph_model is None:
            p.error("--videos needs --scene-graph-model")
        if args.annotations or args.graphs:
            p.error("--videos predicts the graphs itself: drop --annotations/--graphs")
        if args.sample_fps <= 0:
            p.error(f"--sample-fps must be positive, got {args.sample_fps}")
        return _from_videos(args, shard)
    if not (args.annotations and args.fps_table):
        p.error("give --annotations and --fps-table (oracle or --graphs banks), "
                "or --videos with --scene-graph-model")
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


def _from_videos(args, shard) -> int:
    from sgfb.feature_bank.video_banks import extract_video_banks, video_ids
    from sgfb.models.scene_graph import load_scene_graph_model
    from sgfb.utils.distributed import resolve_device

    inputs = check_inputs_exist({"--videos": args.videos,
                                 "--scene-graph-model": args.scene_graph_model})
    check_output_location(args.out, inputs)
    videos = video_ids(find_videos(args.videos))   # a name twice: ValueError, one error line
    if shard.sharded:
        videos = {v: videos[v] for v in shard.select(videos)}
        print(f"shard {shard}: {len(videos)} videos")
    device = resolve_device(args.device, int(os.environ.get("LOCAL_RANK", "0")))
    predictor = load_scene_graph_model(args.scene_graph_model, device=device)
    summary = extract_video_banks(predictor, videos, args.out, args.sample_fps,
                                  args.batch_size, device, args.layout,
                                  progress=not args.no_progress)
    print(summary.format())
    return 1 if summary.failed else 0


if __name__ == "__main__":
    run_cli(main, __file__)
