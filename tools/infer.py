#!/usr/bin/env python
"""Video in, predictions out: scene graphs and actions for your own videos.

    python tools/infer.py VIDEO_OR_FOLDER ... --sg-checkpoint runs/sg/model.pt \\
        --action-checkpoint runs/sgfb/model.pt --out predictions/ [--device cuda]

Inputs are video files or folders (searched recursively for .mp4 .avi .mkv .webm .mov
.m4v). Each video's outputs are named by its path relative to the inputs' common folder, so
a/clip.mp4 and b/clip.mp4 (or x.mp4 and x.avi) never share one: OUT/NAME.json (ranked actions
with class names, a per-second timeline of the top actions, and the scene graph of every
sampled frame: boxes, labels, scores, relationships with scores; the input's path), and
OUT/NAME.annotated.mp4 (the video with the graphs drawn); OUT/summary.json and
OUT/report.html cover the run. OUT may not be, contain or lie inside an input.
--action-checkpoint takes a train_sgfb.py model.pt or an ST-SGN model.pt (train_stsgn.py).
Unreadable or truncated videos are reported by name and the others go on; the exit status is
1 when any video failed. Each video is decoded once (read once from disk), every frame going
to the scene-graph model, the action model's clips and the annotated mp4.
Many machines: under torchrun (RANK/WORLD_SIZE) or with --shard I/N each process takes its
share of the videos (sorted, round robin) into the same OUT, with summary.shardI-of-N.json
and report.shardI-of-N.html; the per-video files are those of a one-process run.
"""
from __future__ import annotations

import os
import time

from sgfb.utils.cli import positive_float, positive_int, run_cli, tool_parser
from sgfb.utils.output_paths import check_output_location, find_videos
from sgfb.utils.shards import add_shard_argument, resolve_shard


def main(argv=None) -> int:
    p = tool_parser(__doc__)
    p.add_argument("inputs", nargs="+", help="video files or folders of videos")
    p.add_argument("--sg-checkpoint", required=True, help="model.pt of tools/train_sg.py")
    p.add_argument("--action-checkpoint", required=True,
                   help="model.pt of tools/train_sgfb.py or tools/train_stsgn.py")
    p.add_argument("--out", required=True)
    p.add_argument("--device", default="auto")
    p.add_argument("--sample-fps", type=positive_float, default=1.0,
                   help="scene graphs per second")
    p.add_argument("--batch-size", type=positive_int, default=8)
    p.add_argument("--timeline-step", type=positive_float, default=1.0, help="seconds")
    p.add_argument("--views", type=positive_int, default=10, help="temporal test views")
    p.add_argument("--crops", type=int, default=3, choices=(1, 3))
    p.add_argument("--no-video", action="store_true", help="skip the annotated mp4 files")
    p.add_argument("--no-progress", action="store_true")
    add_shard_argument(p)
    p.add_argument("--classes", default="", metavar="FILE",
                   help="action class names (Charades_v1_classes.txt format: 'c000 Holding "
                        "some clothes'); default: the names stored in the checkpoint")
    args = p.parse_args(argv)
    try:
        shard = resolve_shard(args.shard)
    except ValueError as exc:
        p.error(str(exc))
    check_output_location(args.out, list(args.inputs) + find_videos(args.inputs))
    for checkpoint in (args.sg_checkpoint, args.action_checkpoint):
        if not os.path.isfile(checkpoint):
            raise FileNotFoundError(f"{checkpoint}: no such checkpoint file")

    from sgfb.utils.distributed import resolve_device
    from sgfb.inference.pipeline import InferenceConfig, VideoPipeline
    from sgfb.visualization.inference_outputs import inference_writers

    cfg = InferenceConfig(sample_fps=args.sample_fps, batch_size=args.batch_size,
                          timeline_step=args.timeline_step, views=args.views, crops=args.crops,
                          write_video=not args.no_video, progress=not args.no_progress,
                          classes=args.classes)
    started = time.perf_counter()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))  # torchrun: this process's GPU
    pipeline = VideoPipeline(args.sg_checkpoint, args.action_checkpoint,
                             str(resolve_device(args.device, local_rank)), cfg,
                             writers=inference_writers())
    summary = pipeline.run(args.inputs, args.out, shard=shard)
    elapsed = time.perf_counter() - started
    done = len(summary.results) - len(summary.failed)
    of = f" (shard {shard})" if shard.sharded else ""
    print(f"{done} of {len(summary.results)} videos{of} processed in {elapsed:.1f} s "
          f"({summary.video_seconds:.1f} s of video); outputs in {args.out}")
    print("seconds per stage: " + ", ".join(f"{k} {v:.1f}" for k, v in summary.seconds.items()))
    for failed in summary.failed:
        print(f"FAILED {failed.path}: {failed.errors[0]}")
    print(f"report: {os.path.join(args.out, shard.name('report.html'))}")
    return 1 if summary.failed else 0


if __name__ == "__main__":
    run_cli(main, __file__)
