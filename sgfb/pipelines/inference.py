"""Video in, predictions out (``tools/infer.py``): for each video, decode frames at a chosen
rate (streamed), predict a SceneGraph per sampled frame (SGDet: detector + predicate head),
build the scene-graph bank, run the action model over the test views and along a timeline,
and hand a :class:`~sgfb.inference.result.VideoResult` to the writers (JSON, annotated mp4,
HTML report). A video that cannot be read is reported by name and the others go on.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from tqdm import tqdm

from sgfb.atomic_io import remove_stale_temporaries, write_json
from sgfb.data.frame_keys import format_frame_key
from sgfb.data.video import VideoDecodeError, open_video
from sgfb.engine.output_paths import check_output_location, find_videos, input_names
from sgfb.inference.action_models import load_action_model
from sgfb.inference.result import (ActionTimeline, FramePrediction, VideoResult, top_actions,
                                   write_result_json)
from sgfb.inference.run_info import RunInfo, class_names_from, class_source
from sgfb.inference.timing import StageTimer, TimedDetector, TimedHead
from sgfb.pipelines.sg_model import load_scene_graph_model
from sgfb.relations.predictor import SceneGraphPredictor
from sgfb.structures.scene_graph import SceneGraph

@dataclass
class InferenceConfig:
    sample_fps: float = 1.0        # scene graphs per second of video
    batch_size: int = 8            # frames per scene-graph batch
    timeline_step: float = 1.0     # seconds between timeline points
    timeline_classes: int = 5      # top video-level actions followed over time
    views: int = 10                # temporal test views (SGFB action models)
    crops: int = 3                 # spatial crops per view
    draw_threshold: float = 0.5    # relationships drawn in the video and report
    classes: str = ""              # Charades_v1_classes.txt-style names (default: the checkpoint's)
    write_video: bool = True
    progress: bool = True


def sampled_indices(num_frames: int, fps: float, sample_fps: float) -> np.ndarray:
    """Every ``round(fps / sample_fps)``-th frame from frame 0 (all frames when the video is
    slower than ``sample_fps``)."""
    step = max(1, int(round(fps / sample_fps))) if sample_fps > 0 and fps > 0 else 1
    return np.arange(0, num_frames, step, dtype=np.int64)


@dataclass
class RunSummary:
    results: List[VideoResult] = field(default_factory=list)
    seconds: Dict[str, float] = field(default_factory=dict)
    video_seconds: float = 0.0

    @property
    def failed(self) -> List[VideoResult]:
        return [r for r in self.results if not r.ok]


class VideoPipeline:
    def __init__(self, sg_checkpoint: str, action_checkpoint: str, device: str = "cpu",
                 config: Optional[InferenceConfig] = None) -> None:
        self.config = config or InferenceConfig()
        self.device = torch.device(device)
        self.timer = StageTimer(self.device)
        base = load_scene_graph_model(sg_checkpoint, device=self.device)
        self.predictor = SceneGraphPredictor(TimedDetector(base.detector, self.timer),
                                             TimedHead(base.head, self.timer))
        self.action = load_action_model(action_checkpoint, self.device, self.config.views,
                                        self.config.crops)
        if self.config.classes:
            self.action.class_names = class_names_from(self.config.classes,
                                                       len(self.action.class_names))
        self.info = RunInfo(sg_checkpoint, action_checkpoint, self.action.class_names,
                            class_source(self.action.class_names, self.config.classes))

    # ------------------------------------------------------------------ one video
    def _graphs(self, reader, video_id: str, indices: np.ndarray) -> List[SceneGraph]:
        graphs: List[SceneGraph] = []
        batch, keys = [], []

        def flush() -> None:
            if batch:
                graphs.extend(self.predictor.predict(batch, keys, None, "sgdet"))
                batch.clear()
                keys.clear()

        frames = reader.iter_frames(indices)
        bar = tqdm(total=len(indices), desc=f"{video_id} graphs", unit="frame", leave=False,
                   disable=not self.config.progress)
        while True:
            with self.timer.stage("decode"):
                item = next(frames, None)
            if item is None:
                break
            index, rgb = item
            batch.append(torch.from_numpy(rgb).permute(2, 0, 1).float().div_(255).to(self.device))
            keys.append(format_frame_key(os.path.basename(video_id), int(index) + 1))
            if len(batch) == self.config.batch_size:
                flush()
            bar.update()
        flush()
        bar.close()
        return graphs

    def run_video(self, path: str, name: Optional[str] = None) -> VideoResult:
        """Scene graphs and actions of one video. ``name`` (default: the file name) is the
        result's ``video_id``; the result's ``path`` is the absolute input path. The result
        carries the run's provenance (checkpoints, classes, software, decoding backend)."""
        result = self._run_video(path, name)
        result.provenance = self.info.for_video(result.path, self._backend)
        return result

    def _run_video(self, path: str, name: Optional[str]) -> VideoResult:
        video_id = name or os.path.basename(path)
        path = os.path.abspath(path)
        self._backend = ""
        cfg = self.config
        try:
            if not os.path.exists(path):
                raise VideoDecodeError(f"{path}: no such file")
            with self.timer.stage("decode"):
                reader = open_video(path)
            with reader:
                self._backend = getattr(reader, "backend", "")
                n, fps = reader.num_frames, reader.fps
                if n == 0:
                    raise VideoDecodeError(f"{path}: the video has no decodable frame")
                indices = sampled_indices(n, fps, cfg.sample_fps)
                graphs = self._graphs(reader, video_id, indices)
                times = reader.timestamps()[indices]  # presentation times (VFR-exact)
                with self.timer.stage("bank"):
                    bank = self.action.bank(video_id, times, graphs)
                with self.timer.stage("action"):
                    scores = self.action.video_scores(reader, bank, fps)
                    actions = top_actions(scores, self.action.class_names)
                    tl_times = np.arange(0.0, n / fps, cfg.timeline_step)
                    top = [a.class_index for a in actions[:cfg.timeline_classes]]
                    tl = self.action.timeline(reader, bank, fps, tl_times)[:, top]
        except (VideoDecodeError, OSError) as exc:
            return VideoResult.failed(video_id, path, str(exc))
        except Exception as exc:  # a model or data error on this video: report it, go on
            return VideoResult.failed(video_id, path, f"{type(exc).__name__}: {exc}")
        return VideoResult(
            video_id=video_id, path=path, duration_s=n / fps, fps=fps, num_frames=n,
            sampled_frames=[FramePrediction(int(i), float(t), g)
                            for i, t, g in zip(indices, times, graphs)],
            actions=actions, timeline=ActionTimeline(tl_times, top, tl),
            class_names=list(self.action.class_names))

    # ------------------------------------------------------------------ a run
    def run(self, inputs: Sequence[str], out_dir: str,
            log: Callable[[str], None] = print) -> RunSummary:
        """Process every video of ``inputs`` (files, or folders searched recursively) into
        ``out_dir``: ``NAME.json`` and ``NAME.annotated.mp4`` per video, where NAME is the
        video's path relative to the inputs' common folder (:func:`output_paths`),
        ``summary.json`` and ``report.html`` for the run. A video that fails has its outputs
        of an earlier run removed, so nothing stale is presented as current."""
        from sgfb.visualization.annotated_video import write_annotated_video
        from sgfb.visualization.report import write_report

        videos = find_videos(inputs)
        check_output_location(out_dir, list(inputs) + videos)
        names = input_names(videos)
        os.makedirs(out_dir, exist_ok=True)
        remove_stale_temporaries(out_dir, recursive=True)
        summary = RunSummary()
        warned: set = set()
        for number, path in enumerate(videos, 1):
            log(f"[{number}/{len(videos)}] {path}")
            json_path, video_path = output_paths(out_dir, names[path])
            result = self.run_video(path, names[path])
            for warning in result.provenance.get("warnings", []):
                if warning not in warned:   # once per run on the console
                    warned.add(warning)
                    log(f"WARNING: {warning}")
            if result.ok:
                summary.video_seconds += result.duration_s
                if self.config.write_video:
                    try:
                        write_annotated_video(path, result, video_path,
                                              threshold=self.config.draw_threshold)
                    except Exception as exc:  # the predictions stand; the failure is recorded
                        result.errors.append(f"annotated video: {type(exc).__name__}: {exc}")
                write_result_json(json_path, result)
                best = ", ".join(f"{a.name} {a.score:.2f}" for a in result.actions[:3])
                log(f"    {len(result.sampled_frames)} graphs; top actions: {best}")
            else:
                for stale in (json_path, video_path):
                    if os.path.isfile(stale):
                        os.unlink(stale)
                log(f"    FAILED: {result.errors[0]}")
            summary.results.append(result)
        write_report(out_dir, summary.results, threshold=self.config.draw_threshold)
        write_json(os.path.join(out_dir, "summary.json"), run_summary_json(
            out_dir, summary, self.info.for_run()))
        summary.seconds = self.timer.as_dict()
        return summary


def output_paths(out_dir: str, name: str) -> tuple:
    """``(NAME.json, NAME.annotated.mp4)`` under ``out_dir`` for the input named ``name``."""
    base = os.path.join(out_dir, *name.split("/"))
    return base + ".json", base + ".annotated.mp4"


def run_summary_json(out_dir: str, summary: RunSummary,
                     provenance: Optional[dict] = None) -> dict:
    """What ``summary.json`` records: every input, its outputs or why it failed, the video's
    decoding backend and warnings; ``provenance`` (checkpoints, classes, software) once."""
    videos = []
    for result in summary.results:
        json_path, video_path = output_paths(out_dir, result.video_id)
        entry = {"input": result.path, "name": result.video_id, "ok": result.ok,
                 "errors": list(result.errors)}
        if result.provenance:
            entry["decoding_backend"] = result.provenance.get("decoding_backend", "unknown")
            entry["warnings"] = list(result.provenance.get("warnings", []))
        if result.ok:
            entry["json"] = os.path.relpath(json_path, out_dir)
            if os.path.isfile(video_path):
                entry["annotated_video"] = os.path.relpath(video_path, out_dir)
        videos.append(entry)
    out = {"videos": videos, "processed": len(summary.results) - len(summary.failed),
           "failed": len(summary.failed)}
    if provenance:
        out["provenance"] = provenance
    return out
