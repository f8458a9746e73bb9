"""The inference of ``tools/infer.py`` as it was before decode-once (kept as the reference of
``bench/infer.py`` and of ``tests/inference/test_decode_once.py``; not used by the tools).

Each consumer decodes the video on its own: the scene-graph frames in one pass, every test
view and every timeline clip with its own ``get_frames`` (a seek back to a keyframe each), the
per-second timeline running the backbone again for every step, and the annotated mp4 writer
decoding the whole video once more after the predictions.
"""
from __future__ import annotations

import os
from typing import Callable, List, Optional, Sequence

import numpy as np
import torch

from sgfb.utils.atomic_io import remove_stale_temporaries, write_json
from sgfb.data.clip_transforms import test_transform
from sgfb.data.clips import clip_indices, clip_span, test_clips
from sgfb.structures.frame_keys import format_frame_key
from sgfb.data.video import VideoDecodeError, open_video
from sgfb.utils.output_paths import check_output_location, find_videos, input_names
from sgfb.feature_bank.window import query_window
from sgfb.inference.video_actions import SGFBActionModel
from sgfb.inference.result import (ActionTimeline, FramePrediction, VideoResult, top_actions,
                                   write_result_json)
from sgfb.inference.pipeline import (RunSummary, VideoPipeline, output_paths,
                                      run_summary_json, sampled_indices)
from sgfb.structures.scene_graph import SceneGraph


@torch.no_grad()
def reference_scores(action: SGFBActionModel, reader, clips: np.ndarray, bank,
                     crops: int) -> np.ndarray:
    """Sigmoid scores ``[N, C]`` of clips ``[N, T]`` (max over ``crops`` spatial crops), each
    clip decoded on its own."""
    out = []
    seconds = reader.timestamps()
    for start in range(0, len(clips), action.batch_size):
        chunk = clips[start:start + action.batch_size]
        x = torch.stack([test_transform(reader.get_frames(ix), action.crop, crops, action.mean,
                                        action.std) for ix in chunk])
        b = x.shape[0]
        windows = [query_window(bank.times, bank.features, (seconds[ix[0]] + seconds[ix[-1]]) / 2,
                                action.window, action.slots) for ix in chunk]
        feats = torch.from_numpy(np.stack([w[0] for w in windows])).repeat_interleave(crops, 0)
        mask = torch.from_numpy(np.stack([w[1] for w in windows])).repeat_interleave(crops, 0)
        logits = action.model(x.flatten(0, 1).to(action.device), feats.to(action.device),
                              mask.to(action.device))
        out.append(torch.sigmoid(logits.float()).view(b, crops, -1).amax(1).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, len(action.class_names)), np.float32)


def reference_video_scores(action, reader, bank) -> np.ndarray:
    if not isinstance(action, SGFBActionModel):
        return action.video_scores(reader, bank, reader.fps)
    clips = test_clips(reader.num_frames, action.num_frames, action.stride, action.views)
    return reference_scores(action, reader, clips, bank, action.crops).max(0)


def reference_timeline(action, reader, bank, times: np.ndarray) -> np.ndarray:
    if not isinstance(action, SGFBActionModel):
        return action.timeline(reader, bank, reader.fps, times)
    span = clip_span(action.num_frames, action.stride)
    last_start = max(reader.num_frames - span, 0)
    centres = np.interp(times, reader.timestamps(), np.arange(reader.num_frames))
    starts = np.clip(np.round(centres - (span - 1) / 2).astype(np.int64), 0, last_start)
    clips = np.stack([clip_indices(int(s), reader.num_frames, action.num_frames, action.stride)
                      for s in starts]) if len(starts) else np.zeros((0, action.num_frames),
                                                                     np.int64)
    return reference_scores(action, reader, clips, bank, 1)


def _graphs(pipeline: VideoPipeline, reader, video_id: str,
            indices: np.ndarray) -> List[SceneGraph]:
    graphs: List[SceneGraph] = []
    batch, keys = [], []

    def flush() -> None:
        if batch:
            graphs.extend(pipeline.predictor.predict(batch, keys, None, "sgdet"))
            batch.clear()
            keys.clear()

    frames = reader.iter_frames(indices)
    while True:
        with pipeline.timer.stage("decode"):
            item = next(frames, None)
        if item is None:
            break
        index, rgb = item
        batch.append(torch.from_numpy(rgb).permute(2, 0, 1).float().div_(255)
                     .to(pipeline.device))
        keys.append(format_frame_key(os.path.basename(video_id), int(index) + 1))
        if len(batch) == pipeline.config.batch_size:
            flush()
    flush()
    return graphs


def reference_run_video(pipeline: VideoPipeline, path: str,
                        name: Optional[str] = None) -> VideoResult:
    """``VideoPipeline.run_video`` as it was (the annotated mp4 not included)."""
    video_id = name or os.path.basename(path)
    path = os.path.abspath(path)
    cfg, action = pipeline.config, pipeline.action
    try:
        with pipeline.timer.stage("decode"):
            reader = open_video(path)
        with reader:
            n, fps = reader.num_frames, reader.fps
            indices = sampled_indices(n, fps, cfg.sample_fps)
            graphs = _graphs(pipeline, reader, video_id, indices)
            times = reader.timestamps()[indices]
            with pipeline.timer.stage("bank"):
                bank = action.bank(video_id, times, graphs)
            with pipeline.timer.stage("action"):
                scores = reference_video_scores(action, reader, bank)
                actions = top_actions(scores, action.class_names)
                tl_times = np.arange(0.0, n / fps, cfg.timeline_step)
                top = [a.class_index for a in actions[:cfg.timeline_classes]]
                tl = reference_timeline(action, reader, bank, tl_times)[:, top]
    except (VideoDecodeError, OSError) as exc:
        return VideoResult.failed(video_id, path, str(exc))
    except Exception as exc:  # a model or data error on this video: report it, go on
        return VideoResult.failed(video_id, path, f"{type(exc).__name__}: {exc}")
    return VideoResult(
        video_id=video_id, path=path, duration_s=n / fps, fps=fps, num_frames=n,
        sampled_frames=[FramePrediction(int(i), float(t), g)
                        for i, t, g in zip(indices, times, graphs)],
        actions=actions, timeline=ActionTimeline(tl_times, top, tl),
        class_names=list(action.class_names))


def reference_run(pipeline: VideoPipeline, inputs: Sequence[str], out_dir: str,
                  log: Callable[[str], None] = print) -> RunSummary:
    """``VideoPipeline.run`` as it was: predictions first, then the annotated mp4 decoding
    the video again, then the HTML report decoding its frames again."""
    from sgfb.visualization.annotated_video import write_annotated_video
    from sgfb.visualization.report import write_report

    videos = find_videos(inputs)
    check_output_location(out_dir, list(inputs) + videos)
    names = input_names(videos)
    os.makedirs(out_dir, exist_ok=True)
    remove_stale_temporaries(out_dir, recursive=True)
    summary = RunSummary()
    for number, path in enumerate(videos, 1):
        log(f"[{number}/{len(videos)}] {path}")
        json_path, video_path = output_paths(out_dir, names[path])
        result = reference_run_video(pipeline, path, names[path])
        if result.ok:
            summary.video_seconds += result.duration_s
            if pipeline.config.write_video:
                with pipeline.timer.stage("annotate"):
                    write_annotated_video(path, result, video_path,
                                          threshold=pipeline.config.draw_threshold)
            write_result_json(json_path, result)
        summary.results.append(result)
    with pipeline.timer.stage("annotate"):   # the report decodes its frames again
        write_report(out_dir, summary.results, threshold=pipeline.config.draw_threshold)
    write_json(os.path.join(out_dir, "summary.json"), run_summary_json(out_dir, summary))
    summary.seconds = pipeline.timer.as_dict()
    return summary
