#!/usr/bin/env python
"""Benchmark the training data path of a stage-2 config against plain PyAV, in one run.

    python tools/benchmark_data.py --config configs/sgfb/i3d_nl_r101_charades.yaml \\
        --videos DIR --num-clips 48 --seed 0 [--workers 2] [--no-reference] \\
        [--clips-out clips.jsonl] [key=value ...]

Runs the config's training clips (its clip length, stride, scale jitter, crop, batch size and
DataLoader workers: ``solver.num_workers`` unless --workers) exactly as training does and
prints clips/s and CPU-seconds per clip (the process and its workers), then decodes the same
frames of the same files with a plain PyAV seek-and-decode (single-threaded, RGB, no
transform; each epoch's clips right after that epoch, so both sides meet the same machine
load) and prints the ratio of CPU per clip. The loader's workers start once and prefetch
while the reference runs, so its clips/s are exact only with --no-reference. Labels come
from data.train_csv when the config or an override sets it; otherwise every video of DIR is
used with no actions (labels do not change the decoding cost). With
data.prepared_videos=DIR the loader reads the prepared copies (tools/prepare_videos.py) and
the reference still decodes the originals. The loader
hands out uint8 crops by default (data.normalize_on_device=true: the model normalises them on
its device, which is not timed here); data.normalize_on_device=false times the float32
clips of PySlowFast's loader instead. --clips-out
writes one JSON line per clip: the video path (and the file the loader read), its frame
numbers (0-based display indices), their pts, time base and seconds.
"""
from __future__ import annotations

import os
from typing import List, Optional

from sgfb.utils.cli import UserError, nonnegative_int, positive_int, run_cli, tool_parser


def parse_args(argv=None):
    p = tool_parser(__doc__)
    p.add_argument("--config", required=True, help="YAML file (configs/sgfb/)")
    p.add_argument("--videos", required=True, help="folder of VIDEO.mp4 (sets data.videos)")
    p.add_argument("--num-clips", type=positive_int, required=True, help="clips to decode")
    p.add_argument("--seed", type=nonnegative_int, required=True, help="seed of the clip draws")
    p.add_argument("--workers", type=nonnegative_int, default=None,
                   help="DataLoader workers (default: the config's solver.num_workers)")
    p.add_argument("--no-reference", action="store_true", help="skip the PyAV reference")
    p.add_argument("--clips-out", help="write the decoded clips here (JSON lines)")
    p.add_argument("overrides", nargs="*", help="key=value, e.g. data.train_csv=...")
    return p.parse_intermixed_args(argv)


def _charades(cfg, videos_dir: str):
    from sgfb.data.charades import Charades, CharadesVideo
    from sgfb.training.action import load_split, video_ids

    if cfg.data.train_csv:
        charades = load_split(cfg.data.train_csv, cfg.data.classes)
        return charades, video_ids(charades, videos_dir, cfg.data.max_train_videos)
    ids = sorted(os.path.splitext(f)[0] for f in os.listdir(videos_dir)
                 if f.endswith(".mp4") and not f.startswith("."))
    charades = Charades([CharadesVideo(v, 0.0, [], "train") for v in ids], ["none"],
                        source=videos_dir)
    limit = cfg.data.max_train_videos
    return charades, ids[:limit] if limit else ids


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    from sgfb.utils.output_paths import check_inputs_exist, check_output_location
    from sgfb.utils.config import resolve_config
    from sgfb.training.action_config import ActionConfig

    check_inputs_exist({"--config": args.config, "--videos": args.videos})
    if not os.path.isdir(args.videos):
        raise UserError(f"--videos {args.videos}: not a folder")
    if args.clips_out:
        check_output_location(args.clips_out, [args.videos, args.config], "--clips-out", "file")
    cfg = resolve_config(ActionConfig(), args.config, args.overrides)
    cfg.data.videos = args.videos
    cfg.solver.seed = args.seed
    workers = cfg.solver.num_workers if args.workers is None else args.workers

    import tempfile

    import torch

    from sgfb.utils.atomic_io import atomic_write
    from sgfb.data.clip_dataset import collate_clips
    from sgfb.data.loader_benchmark import Timing, clip_records, iter_lines, run_loader, \
        run_reference
    from sgfb.training.action import clip_dataset

    torch.set_num_threads(1)  # as in DataLoader workers: CPU per clip, not thread overhead
    charades, ids = _charades(cfg, args.videos)
    if not ids:
        raise UserError(f"--videos {args.videos}: no videos of the split found there")
    # the trainer keeps the packet indices in the run folder for all epochs: here a
    # temporary folder, so the first epoch indexes and later ones reuse
    index_dir = tempfile.TemporaryDirectory(prefix="benchmark_data_index_")
    dataset = clip_dataset(cfg, charades, ids, "train", None, index_dir=index_dir.name)
    b = cfg.model.backbone
    print(f"{len(ids)} videos, {args.num_clips} clips of {b.num_frames} frames at stride "
          f"{b.sampling_rate}, crop {b.crop_size}, batch {cfg.solver.batch_size}, "
          f"{workers} workers")
    # the reference decodes each epoch's clips right after the loader's epoch: on a shared
    # machine both sides then meet the same load (their CPU times are kept apart)
    reference, records = Timing(0, 0.0, 0.0), []

    def after_epoch(clips):
        nonlocal reference
        epoch_records = clip_records(clips, dataset.source_path, dataset.video_path)
        records.extend(epoch_records)
        if not args.no_reference:
            reference += run_reference(epoch_records)

    timing = run_loader(dataset, args.num_clips, cfg.solver.batch_size, workers,
                        collate_clips, after_epoch)
    what = ("decode + uint8 crops + collate; normalised on the model's device, not counted"
            if cfg.data.normalize_on_device else "decode + transform + collate")
    if workers and not args.no_reference:  # the workers prefetch while the reference runs
        what += "; clips/s flattered by prefetching during the reference, see --no-reference"
    print(f"loader:    {timing.clips_per_s:8.2f} clips/s  {timing.cpu_per_clip:.4f} CPU-s/clip "
          f"({what})")
    prepared = sum(r.read_from != r.video for r in records)
    if cfg.data.prepared_videos:
        print(f"{prepared} of {len(records)} clips read from prepared copies in "
              f"{cfg.data.prepared_videos} (the reference decodes the originals)")
    if args.clips_out:
        with atomic_write(args.clips_out, "w") as f:
            f.writelines(iter_lines(records))
        print(f"clips written to {args.clips_out}")
    if not args.no_reference:
        print(f"reference: {reference.clips_per_s:8.2f} clips/s  {reference.cpu_per_clip:.4f} "
              f"CPU-s/clip (plain PyAV seek + decode + RGB, 1 process, 1 thread)")
        print(f"ratio (loader / reference CPU per clip): "
              f"{timing.cpu_per_clip / reference.cpu_per_clip:.3f}x")
    index_dir.cleanup()
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
