"""What :class:`~sgfb.inference.pipeline.VideoPipeline` writes besides each video's JSON: an
annotated mp4 per video and one HTML report per run. The drawing code lives above inference
(``sgfb/visualization``, see docs/architecture.md), so the caller hands the writers in
(``tools/infer.py`` and the demo pass
:func:`sgfb.visualization.inference_outputs.inference_writers`); without them the pipeline
writes predictions only.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Dict, Optional, Protocol, Sequence

import numpy as np

from sgfb.inference.result import VideoResult
from sgfb.structures.scene_graph import SceneGraph

# Per video: frame index -> that sampled frame's report image (encoded bytes, held compactly
# until the report is written).
Thumbnails = Dict[int, bytes]


class FrameWriter(Protocol):
    """An annotated video being written: opened by ``__enter__``, fed every frame in order
    with the graph to draw (``None``: none yet), finished or abandoned by ``__exit__``."""

    def __enter__(self) -> Any: ...

    def write(self, index: int, image: np.ndarray, graph: Optional[SceneGraph]) -> None: ...

    def __exit__(self, *exc: Any) -> Any: ...


class RunReport(Protocol):
    """The run's report being gathered: ``add`` is called once per video that succeeded, as
    soon as it is done (keep only what the report shows: a folder of long videos must not
    hold every frame's image); ``write`` writes the report of ``results`` (all videos,
    failed ones included) to ``path``, atomically."""

    def add(self, result: VideoResult, thumbnails: Thumbnails) -> None: ...

    def write(self, path: str, results: Sequence[VideoResult], threshold: float) -> None: ...


@dataclass(frozen=True)
class OutputWriters:
    """``annotated_video(path, width, height, fps, threshold)``: a :class:`FrameWriter`;
    ``thumbnail(rgb, graph, threshold)``: a sampled frame's report image as bytes;
    ``report()``: a new :class:`RunReport` for a run."""

    annotated_video: Optional[Callable[[str, int, int, Fraction, float], FrameWriter]] = None
    thumbnail: Optional[Callable[[np.ndarray, SceneGraph, float], bytes]] = None
    report: Optional[Callable[[], RunReport]] = None
