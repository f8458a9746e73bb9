"""A copy of the input video with the predicted scene graphs drawn on it.

:func:`write_annotated_video` decodes the source frame by frame (a few frames in memory at a
time, whatever the video's length), draws each sampled frame's graph with
:func:`~sgfb.visualization.draw.draw_scene_graph` and encodes the result as H.264 (libx264,
when PyAV's bundled FFmpeg has it; MPEG-4 part 2 otherwise) in an mp4 with the source's
frame count and frame rate. The file appears under its final name only when complete.

Frames between two samples: by default (``hold=True``) the most recent sampled graph stays
drawn until the next sample, so the overlay does not flicker at playback speed (graphs are
typically predicted at 1-5 fps, video runs at 24-30 fps); frames before the first sample
are left plain. ``hold=False`` draws only on the sampled frames themselves.
Audio is not copied. Odd frame sizes are padded by one black row/column (4:2:0 H.264
needs even sizes).
"""
from __future__ import annotations

import os
from fractions import Fraction
from typing import Dict, Optional

import av
import numpy as np

from sgfb.atomic_io import atomic_path
from sgfb.data.video import open_video
from sgfb.inference.result import VideoResult
from sgfb.structures.scene_graph import SceneGraph
from sgfb.visualization.draw import draw_scene_graph


def default_codec() -> str:
    """``"libx264"`` when PyAV's FFmpeg has it, else ``"mpeg4"``."""
    return "libx264" if "libx264" in av.codec.codecs_available else "mpeg4"


def scale_graph(graph: SceneGraph, width: int, height: int) -> SceneGraph:
    """``graph`` with its boxes mapped from ``graph.image_size`` to ``(width, height)``
    pixels (unchanged when the size is unknown or equal)."""
    if graph.boxes is None or graph.image_size is None or graph.image_size == (width, height):
        return graph
    sx, sy = width / graph.image_size[0], height / graph.image_size[1]
    boxes = graph.boxes * np.array([sx, sy, sx, sy], np.float32)
    return SceneGraph(labels=graph.labels, scores=graph.scores, person=graph.person,
                      pair_objects=graph.pair_objects, relations=graph.relations, boxes=boxes,
                      image_size=(width, height), frame_key=graph.frame_key)


def _encoder_options(codec: str, crf: int, threads: int) -> Dict[str, str]:
    if codec == "libx264":
        return {"crf": str(crf), "preset": "veryfast", "threads": str(threads)}
    # mpeg4's qscale 2..31; map the crf scale (0..51) roughly onto it.
    return {"qscale": str(max(2, min(31, crf // 4))), "threads": str(threads)}


def write_annotated_video(video_path: str, result: VideoResult, out_path: str,
                          threshold: float = 0.5, hold: bool = True,
                          codec: Optional[str] = None, crf: int = 20, threads: int = 0,
                          backend: str = "auto", progress: bool = False) -> str:
    """Write ``out_path`` (mp4): ``video_path`` with ``result``'s graphs drawn; returns it.

    threshold: relationships scoring at least this are written next to their object.
    hold: keep the last sampled graph drawn until the next sample (see the module docstring).
    codec: encoder name; default :func:`default_codec`. crf: quality (lower is better;
    libx264's CRF scale). threads: encoder threads, 0 = FFmpeg's choice.
    backend: decoder for the source (see :func:`sgfb.data.video.open_video`).
    Sampled frames whose index is outside the source are ignored. Raises
    :class:`~sgfb.data.video.VideoDecodeError` naming the source when it cannot be decoded;
    no partial file is left at ``out_path``.
    """
    video_path, out_path = os.fspath(video_path), os.fspath(out_path)
    codec = codec or default_codec()
    graphs = {int(f.frame_index): f.graph for f in result.sampled_frames}
    with atomic_path(out_path) as tmp:
        with open_video(video_path, backend) as video:
            width, height, count = video.width, video.height, video.num_frames
            rate = Fraction(video.index.fps).limit_denominator(1_000_000)
            out_w, out_h = width + width % 2, height + height % 2
            frames = video.iter_frames(range(count))
            if progress:
                from tqdm import tqdm
                frames = tqdm(frames, total=count, desc=f"annotate {result.video_id}",
                              unit="frame")
            with av.open(tmp, "w", format="mp4") as container:
                stream = container.add_stream(codec, rate=rate)
                stream.width, stream.height = out_w, out_h
                stream.pix_fmt = "yuv420p"
                stream.options = _encoder_options(codec, crf, threads)
                time_base = Fraction(rate.denominator, rate.numerator)
                current: Optional[SceneGraph] = None
                for index, image in frames:
                    if index in graphs:
                        current = scale_graph(graphs[index], width, height)
                    elif not hold:
                        current = None
                    if current is not None and current.num_nodes:
                        image = draw_scene_graph(image, current, threshold)
                    if (out_w, out_h) != (width, height):
                        image = np.pad(image, ((0, out_h - height), (0, out_w - width), (0, 0)))
                    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image),
                                                       format="rgb24")
                    frame.pts, frame.time_base = index, time_base
                    container.mux(stream.encode(frame))
                container.mux(stream.encode())
    return out_path
