"""Video in, predictions out (``tools/infer.py``): for each video, decode frames at a chosen
rate (streamed), predict a SceneGraph per sampled frame (SGDet: detector + predicate head),
build the scene-graph bank, run the action model over the test views and along a timeline,
and hand a :class:`~sgfb.inference.result.VideoResult` to the writers (JSON, annotated mp4,
HTML report). A video that cannot be read is reported by name and the others go on.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from tqdm import tqdm

from sgfb.utils.atomic_io import remove_stale_temporaries, write_json
from sgfb.structures.frame_keys import format_frame_key
from sgfb.data.video import VideoDecodeError, open_video
from sgfb.utils.output_paths import check_output_location, find_videos, input_names
from sgfb.utils.shards import Shard
from sgfb.feature_bank.video_banks import frame_tensor, sampled_indices
from sgfb.inference.video_actions import SGFBActionModel, load_action_model
from sgfb.inference.frame_plan import ClipAssembler, FramePlan, plan_frames
from sgfb.inference.result import (ActionTimeline, FramePrediction, VideoResult, top_actions,
                                   write_result_json)
from sgfb.inference.run_info import RunInfo, class_names_from, class_source
from sgfb.inference.timing import StageTimer, TimedDetector, TimedHead
from sgfb.models.scene_graph import load_scene_graph_model
from sgfb.relations.predictor import SceneGraphPredictor
from sgfb.structures.scene_graph import SceneGraph
from sgfb.inference.outputs import OutputWriters, Thumbnails

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
    in_memory_mb: float = 1024.0   # files up to this size are read once into memory
    max_pending_frames: int = 64   # annotated frames held back waiting for their graph


@dataclass
class RunSummary:
    results: List[VideoResult] = field(default_factory=list)
    seconds: Dict[str, float] = field(default_factory=dict)
    video_seconds: float = 0.0

    @property
    def failed(self) -> List[VideoResult]:
        return [r for r in self.results if not r.ok]


class VideoPipeline:
    """``writers``: the annotated mp4, report images and report (:mod:`sgfb.inference.outputs`;
    ``tools/infer.py`` passes :func:`~sgfb.visualization.inference_outputs.inference_writers`);
    without them only the JSON files and ``summary.json`` are written."""

    def __init__(self, sg_checkpoint: str, action_checkpoint: str, device: str = "cpu",
                 config: Optional[InferenceConfig] = None,
                 writers: Optional[OutputWriters] = None) -> None:
        self.config = config or InferenceConfig()
        self.writers = writers or OutputWriters()
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
        self._backend = ""

    # ------------------------------------------------------------------ one video
    def _read_once(self, path: str) -> Optional[bytes]:
        """The file's bytes, read once, when it is at most ``in_memory_mb`` (then the index
        and the decoder read memory, not the file again); ``None`` for larger files."""
        if os.path.getsize(path) > self.config.in_memory_mb * (1 << 20):
            return None
        with open(path, "rb") as f:
            return f.read()

    def _decode_once(self, reader, video_id: str, plan: FramePlan, video_out: Optional[str],
                     errors: List[str], thumbnails: Optional[Thumbnails] = None):
        """One time-ordered pass over ``plan.frames``: each decoded frame goes to the
        scene-graph batch (sampled frames; ``thumbnails`` receives each one's report image),
        the clip assembler (the action model's clips, whose backbone features are computed as
        soon as a clip is complete) and the annotated-mp4 writer. Returns
        ``(graphs, clip features)``."""
        cfg, timer = self.config, self.timer
        graphs: Dict[int, SceneGraph] = {}
        batch: List[Tuple[int, torch.Tensor, np.ndarray]] = []
        assembler = ClipAssembler(plan)
        features: List[Optional[torch.Tensor]] = [None] * len(plan.clips)
        ready: Dict[int, List[Tuple[int, np.ndarray]]] = {1: [], 3: []}  # by crops
        pending: List[Tuple[int, np.ndarray]] = []   # decoded, waiting for their graph
        sampled = set(int(i) for i in plan.graph_frames)
        writer = None
        if video_out is not None:
            try:
                writer = self.writers.annotated_video(video_out, reader.width, reader.height,
                                                      reader.index.fps, cfg.draw_threshold)
                writer.__enter__()
            except Exception as exc:
                errors.append(f"annotated video: {type(exc).__name__}: {exc}")
                writer = None
        shown: Optional[SceneGraph] = None  # the graph drawn (held until the next sample)

        def flush_graphs() -> None:
            if batch:
                keys = [format_frame_key(os.path.basename(video_id), i + 1) for i, _, _ in batch]
                predicted = self.predictor.predict([x for _, x, _ in batch], keys, None, "sgdet")
                for (i, _, rgb), g in zip(batch, predicted):
                    graphs[i] = g
                    if thumbnails is not None and self.writers.thumbnail is not None:
                        with timer.stage("annotate"):
                            thumbnails[i] = self.writers.thumbnail(rgb, g, cfg.draw_threshold)
                batch.clear()

        def run_backbone(crops: int, final: bool = False) -> None:
            queue = ready[crops]
            while queue and (final or len(queue) >= self.action.batch_size):
                chunk = queue[:self.action.batch_size]
                del queue[:self.action.batch_size]
                with timer.stage("action"):
                    out = self.action.clip_features([c for _, c in chunk], crops)
                for (row, _), f in zip(chunk, out):
                    features[row] = f

        def annotate(final: bool = False) -> None:
            nonlocal writer, shown
            waiting = min((i for i, _, _ in batch), default=None)  # first frame without graph
            while pending and (final or waiting is None or pending[0][0] < waiting):
                index, rgb = pending.pop(0)
                if writer is None:
                    continue
                if index in graphs:
                    shown = graphs[index]
                try:
                    with timer.stage("annotate"):
                        writer.write(index, rgb, shown)
                except Exception as exc:  # the predictions stand; the failure is recorded
                    errors.append(f"annotated video: {type(exc).__name__}: {exc}")
                    writer.__exit__(*sys.exc_info())
                    writer = None

        frames = reader.iter_frames(plan.frames)
        bar = tqdm(total=len(plan.frames), desc=f"{video_id} frames", unit="frame",
                   leave=False, disable=not cfg.progress)
        try:
            while True:
                with timer.stage("decode"):
                    item = next(frames, None)
                if item is None:
                    break
                index, rgb = item
                if assembler.wants(index):
                    with timer.stage("action"):
                        done = assembler.add(index, self.action.prepare_frame(rgb))
                    for row, clip in done:
                        crops = int(plan.clip_crops[row])
                        ready[crops].append((row, clip))
                        run_backbone(crops)
                if index in sampled:
                    batch.append((index, frame_tensor(rgb, self.device), rgb))
                if plan.annotate:
                    pending.append((index, rgb))
                if len(batch) == cfg.batch_size or len(pending) > cfg.max_pending_frames:
                    flush_graphs()
                annotate()
                bar.update()
            flush_graphs()
            annotate(final=True)
            for crops in ready:
                run_backbone(crops, final=True)
        except BaseException:
            if writer is not None:
                writer.__exit__(*sys.exc_info())
            raise
        finally:
            bar.close()
        if writer is not None:
            try:
                writer.__exit__(None, None, None)
            except Exception as exc:
                errors.append(f"annotated video: {type(exc).__name__}: {exc}")
        return [graphs[int(i)] for i in plan.graph_frames], features

    def run_video(self, path: str, name: Optional[str] = None,
                  video_out: Optional[str] = None) -> VideoResult:
        """Scene graphs and actions of one video, decoded once (:mod:`sgfb.inference.frame_plan`).
        ``name`` (default: the file name) is the result's ``video_id``; the result's ``path`` is
        the absolute input path. ``video_out``: also write the annotated mp4 there (from the
        same decode); when that alone fails the predictions stand and the result's
        ``errors`` say why."""
        if video_out is not None and self.writers.annotated_video is None:
            raise ValueError("video_out needs a pipeline given an annotated_video writer "
                             "(sgfb.visualization.inference_outputs.inference_writers())")
        result, errors = self._run_video(path, name, video_out)
        result.errors.extend(errors)
        return result

    def _with_provenance(self, result: VideoResult) -> VideoResult:
        """The run's provenance (checkpoints, classes, software) and this video's decoding
        backend on the result."""
        result.provenance = self.info.for_video(result.path, self._backend)
        return result

    def _run_video(self, path: str, name: Optional[str], video_out: Optional[str],
                   thumbnails: Optional[Thumbnails] = None
                   ) -> Tuple[VideoResult, List[str]]:
        """:meth:`run_video`, with the annotated video's errors apart; ``thumbnails``
        receives the report image of each sampled frame (``writers.thumbnail``)."""
        video_id = name or os.path.basename(path)
        path = os.path.abspath(path)
        cfg = self.config
        errors: List[str] = []
        self._backend = ""
        try:
            if not os.path.exists(path):
                raise VideoDecodeError(f"{path}: no such file")
            with self.timer.stage("decode"):
                reader = open_video(path, data=self._read_once(path))
            with reader:
                self._backend = getattr(reader, "backend", "")
                n, fps = reader.num_frames, reader.fps
                if n == 0:
                    raise VideoDecodeError(f"{path}: the video has no decodable frame")
                seconds = reader.timestamps()  # presentation times (VFR-exact)
                indices = sampled_indices(n, fps, cfg.sample_fps)
                tl_times = np.arange(0.0, n / fps, cfg.timeline_step)
                plan = self.plan(n, seconds, indices, tl_times, video_out is not None)
                graphs, features = self._decode_once(reader, video_id, plan, video_out, errors,
                                                     thumbnails)
            times = seconds[indices]
            with self.timer.stage("bank"):
                bank = self.action.bank(video_id, times, graphs)
            with self.timer.stage("action"):
                scores, timeline = self._action_scores(plan, seconds, features, bank, tl_times)
                actions = top_actions(scores, self.action.class_names)
                top = [a.class_index for a in actions[:cfg.timeline_classes]]
                tl = timeline[:, top]
        except (VideoDecodeError, OSError) as exc:
            return self._with_provenance(VideoResult.failed(video_id, path, str(exc))), []
        except Exception as exc:  # a model or data error on this video: report it, go on
            return self._with_provenance(
                VideoResult.failed(video_id, path, f"{type(exc).__name__}: {exc}")), []
        return self._with_provenance(VideoResult(
            video_id=video_id, path=path, duration_s=n / fps, fps=fps, num_frames=n,
            sampled_frames=[FramePrediction(int(i), float(t), g)
                            for i, t, g in zip(indices, times, graphs)],
            actions=actions, timeline=ActionTimeline(tl_times, top, tl),
            class_names=list(self.action.class_names))), errors

    def plan(self, num_frames: int, seconds: np.ndarray, graph_frames: np.ndarray,
             tl_times: np.ndarray, annotate: bool) -> FramePlan:
        """Every frame this video's consumers need (the action model's clips only when it
        reads frames: SGFB, not ST-SGN)."""
        if isinstance(self.action, SGFBActionModel):
            return plan_frames(num_frames, graph_frames, self.action.view_clips(num_frames),
                               self.action.crops, self.action.timeline_clips(seconds, tl_times),
                               annotate)
        return plan_frames(num_frames, graph_frames, annotate=annotate)

    def _action_scores(self, plan: FramePlan, seconds: np.ndarray, features, bank,
                       tl_times: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Video scores ``[C]`` (max over views and crops) and timeline ``[L, C]`` (centre
        crops); the head runs once per distinct clip, on the features of the decode."""
        if not isinstance(self.action, SGFBActionModel):
            return (self.action.video_scores(None, bank, 0.0),
                    self.action.timeline(None, bank, 0.0, tl_times))
        centres = [(seconds[c[0]] + seconds[c[-1]]) / 2 for c in plan.clips]
        per_clip = self.action.head_scores(features, centres, bank)
        classes = len(self.action.class_names)
        views = (np.stack([per_clip[v].max(0) for v in plan.view_clips]).max(0)
                 if len(plan.view_clips) else np.zeros(classes, np.float32))
        line = np.stack([per_clip[c][plan.centre_crop(c)] for c in plan.timeline_clips]) \
            if len(plan.timeline_clips) else np.zeros((0, classes), np.float32)
        return views, line

    # ------------------------------------------------------------------ a run
    def run(self, inputs: Sequence[str], out_dir: str,
            log: Callable[[str], None] = print, shard: Shard = Shard()) -> RunSummary:
        """Process every video of ``inputs`` (files, or folders searched recursively) into
        ``out_dir``: ``NAME.json`` and ``NAME.annotated.mp4`` per video, where NAME is the
        video's path relative to the inputs' common folder (:func:`output_paths`),
        ``summary.json`` and ``report.html`` for the run (the mp4 and report when the
        pipeline has those writers). A video that fails has its outputs
        of an earlier run removed, so nothing stale is presented as current.

        shard: only this shard's videos (:mod:`sgfb.utils.shards`; names are still relative
        to the common folder of all inputs, so every shard names a video as one run would);
        the summary and report are then ``summary.shardI-of-N.json`` and
        ``report.shardI-of-N.html``, and temporaries of interrupted runs are left alone (another
        machine's writer may be alive; a one-process rerun removes them)."""
        every = find_videos(inputs)
        check_output_location(out_dir, list(inputs) + every)
        names = input_names(every)
        videos = shard.select(every, key=lambda v: names[v])
        os.makedirs(out_dir, exist_ok=True)
        if not shard.sharded:
            remove_stale_temporaries(out_dir, recursive=True)
        summary = RunSummary()
        report = self.writers.report() if self.writers.report is not None else None
        write_video = self.config.write_video and self.writers.annotated_video is not None
        warned: set = set()
        for number, path in enumerate(videos, 1):
            log(f"[{number}/{len(videos)}] {path}")
            json_path, video_path = output_paths(out_dir, names[path])
            thumbnails: Thumbnails = {}
            result, video_errors = self._run_video(
                path, names[path], video_path if write_video else None,
                thumbnails if report is not None else None)
            for warning in result.provenance.get("warnings", []):
                if warning not in warned:   # once per run on the console
                    warned.add(warning)
                    log(f"WARNING: {warning}")
            if result.ok:
                if report is not None:
                    report.add(result, thumbnails)
                summary.video_seconds += result.duration_s
                # the predictions stand; an annotated-video failure is recorded
                result.errors.extend(video_errors)
                if video_errors and os.path.isfile(video_path):
                    os.unlink(video_path)   # of an earlier run: not presented as current
                write_result_json(json_path, result)
                best = ", ".join(f"{a.name} {a.score:.2f}" for a in result.actions[:3])
                log(f"    {len(result.sampled_frames)} graphs; top actions: {best}")
            else:
                for stale in (json_path, video_path):
                    if os.path.isfile(stale):
                        os.unlink(stale)
                log(f"    FAILED: {result.errors[0]}")
            summary.results.append(result)
        if report is not None:
            report.write(os.path.join(out_dir, shard.name("report.html")), summary.results,
                         self.config.draw_threshold)
        write_json(os.path.join(out_dir, shard.name("summary.json")),
                   run_summary_json(out_dir, summary, self.info.for_run()))
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

