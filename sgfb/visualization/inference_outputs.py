"""The writers :class:`~sgfb.inference.pipeline.VideoPipeline` is given by ``tools/infer.py``
and the demo: the annotated mp4 (:class:`AnnotatedVideoWriter`), the sampled frames' report
images (:func:`report_thumbnail`) and ``report.html`` (:func:`render_report`) built from those
images, so the report needs no second decode of the videos."""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np

from sgfb.inference.outputs import OutputWriters, Thumbnails
from sgfb.inference.result import VideoResult
from sgfb.utils.atomic_io import atomic_write
from sgfb.visualization.annotated_video import (AnnotatedVideoWriter, decode_thumbnail,
                                                report_thumbnail)
from sgfb.visualization.report import render_report, spread

REPORT_FRAMES = 8   # frames per video in the report's strip


def report_strip(result: VideoResult, thumbnails: Thumbnails,
                 count: int = REPORT_FRAMES) -> List[Tuple[int, bytes]]:
    """The report's choice of sampled frames (evenly spread, preferring frames with nodes;
    as :func:`~sgfb.visualization.report.frames_from_video` chooses them), with their
    images."""
    candidates = [f for f in result.sampled_frames if f.graph.num_nodes] \
        or list(result.sampled_frames)
    return [(f.frame_index, thumbnails[f.frame_index]) for f in spread(candidates, count)
            if f.frame_index in thumbnails]


class HtmlRunReport:
    """``report.html`` of a run (:class:`~sgfb.inference.outputs.RunReport`): each video's
    strip is chosen when the video is done (:func:`report_strip`), the page is rendered at
    the end."""

    def __init__(self, count: int = REPORT_FRAMES) -> None:
        self.count = count
        self.strips: Dict[str, List[Tuple[int, bytes]]] = {}

    def add(self, result: VideoResult, thumbnails: Thumbnails) -> None:
        self.strips[result.video_id] = report_strip(result, thumbnails, self.count)

    def frames(self, result: VideoResult) -> List[Tuple[int, np.ndarray]]:
        return [(i, decode_thumbnail(b)) for i, b in self.strips.get(result.video_id, [])]

    def write(self, path: str, results: Sequence[VideoResult], threshold: float) -> None:
        page = render_report(results, self.frames, threshold=threshold, max_frames=self.count)
        with atomic_write(path, "w") as f:
            f.write(page)


def inference_writers() -> OutputWriters:
    """Annotated mp4s, report images and ``report.html``: what ``tools/infer.py`` writes."""
    return OutputWriters(annotated_video=AnnotatedVideoWriter, thumbnail=report_thumbnail,
                         report=HtmlRunReport)
