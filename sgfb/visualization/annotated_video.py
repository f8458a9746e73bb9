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
import sys
from fractions import Fraction
from typing import Any, Dict, Optional

import av
import cv2
import numpy as np

from sgfb.utils.atomic_io import atomic_path
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


class AnnotatedVideoWriter:
    """Streams frames into an annotated mp4 (decode-once inference hands it each decoded
    frame with the graph to draw). Use as a context manager: the file appears under
    ``out_path`` only when the block ends without an exception; otherwise nothing is left.

    ``write(index, image, graph)``: frame ``index`` (display order, every frame from 0) with
    ``graph`` drawn (``None``: plain); ``image`` is ``[H, W, 3]`` RGB of the source size.
    """

    def __init__(self, out_path: str, width: int, height: int, fps: Fraction,
                 threshold: float = 0.5, codec: Optional[str] = None, crf: int = 20,
                 threads: int = 0) -> None:
        self.out_path, self.width, self.height = os.fspath(out_path), width, height
        self.threshold = threshold
        self.codec = codec or default_codec()
        self.rate = Fraction(fps).limit_denominator(1_000_000)
        self.crf, self.threads = crf, threads
        self._atomic: Any = None
        self._container: Any = None
        self._stream: Any = None

    def __enter__(self) -> "AnnotatedVideoWriter":
        self._atomic = atomic_path(self.out_path)
        tmp = self._atomic.__enter__()
        try:
            self._container = av.open(tmp, "w", format="mp4")
            out_w, out_h = self.width + self.width % 2, self.height + self.height % 2
            self._stream = self._container.add_stream(self.codec, rate=self.rate)
            self._stream.width, self._stream.height = out_w, out_h
            self._stream.pix_fmt = "yuv420p"
            self._stream.options = _encoder_options(self.codec, self.crf, self.threads)
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def write(self, index: int, image: np.ndarray, graph: Optional[SceneGraph]) -> None:
        if graph is not None:
            graph = scale_graph(graph, self.width, self.height)
            if graph.num_nodes:
                image = draw_scene_graph(image, graph, self.threshold)
        out_w, out_h = self._stream.width, self._stream.height
        if (out_w, out_h) != (self.width, self.height):
            image = np.pad(image, ((0, out_h - self.height), (0, out_w - self.width), (0, 0)))
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
        frame.pts = index
        frame.time_base = Fraction(self.rate.denominator, self.rate.numerator)
        self._container.mux(self._stream.encode(frame))

    def __exit__(self, *exc: Any) -> None:
        try:
            if self._container is not None:
                try:
                    if exc[0] is None:
                        self._container.mux(self._stream.encode())
                finally:
                    self._container.close()
                    self._container = None
        except BaseException:
            self._atomic.__exit__(*sys.exc_info())
            raise
        self._atomic.__exit__(*exc)


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
    no partial file is left at ``out_path``. (``tools/infer.py`` does not decode the video
    again for this: it streams its one decode into :class:`AnnotatedVideoWriter`.)
    """
    video_path, out_path = os.fspath(video_path), os.fspath(out_path)
    graphs = {int(f.frame_index): f.graph for f in result.sampled_frames}
    with open_video(video_path, backend) as video:
        count = video.num_frames
        frames = video.iter_frames(range(count))
        if progress:
            from tqdm import tqdm
            frames = tqdm(frames, total=count, desc=f"annotate {result.video_id}", unit="frame")
        with AnnotatedVideoWriter(out_path, video.width, video.height, video.index.fps,
                                  threshold, codec, crf, threads) as writer:
            current: Optional[SceneGraph] = None
            for index, image in frames:
                if index in graphs:
                    current = graphs[index]
                elif not hold:
                    current = None
                writer.write(index, image, current)
    return out_path


def report_thumbnail(rgb: np.ndarray, graph: SceneGraph, threshold: float,
                     width: int = 320) -> bytes:
    """A sampled frame's image in the HTML report, as
    :func:`~sgfb.visualization.report.frames_from_video` draws it (small frames enlarged to
    ``width`` so the labels stay legible), shrunk to ``width``: JPEG bytes (quality 95), so
    a long video's sampled frames are held compactly until the report is written."""
    height, w = rgb.shape[:2]
    image = draw_scene_graph(rgb, scale_graph(graph, w, height), threshold,
                             zoom=max(1.0, width / max(1, w)))
    if image.shape[1] > width:
        size = (width, max(1, int(round(image.shape[0] * width / image.shape[1]))))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, 95])
    if not ok:
        raise ValueError("thumbnail encoding failed")
    return data.tobytes()


def decode_thumbnail(data: bytes) -> np.ndarray:
    """RGB ``[H, W, 3]`` of :func:`report_thumbnail`'s bytes."""
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
