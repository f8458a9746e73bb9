"""A self-contained HTML report of an inference run, for people rather than programs.

:func:`write_report` writes ``report.html``: one file, no external requests (inline CSS,
images embedded as ``data:`` URIs, plots as inline SVG drawn here in Python; a
Content-Security-Policy forbids loading anything else). It shows

- the run summary: videos processed, how many had errors, each error message;
- per video: duration, frame rate, the top actions with their scores, a strip of sampled
  frames with their scene graphs drawn, the scene-graph timeline (rows = (object,
  relationship) pairs that ever score >= ``threshold``, columns = sampled frames, cells
  shaded by score) and the top actions' scores over time (line plot with axes and legend).

All text from results (ids, paths, class names, errors) is HTML-escaped. A tiny inline
script marks ``<body>`` with ``data-images-total/-ok/-broken`` once the page has loaded,
so a headless browser can confirm every image decoded.
"""
from __future__ import annotations

import base64
import datetime
import math
import os
from typing import Callable, List, Mapping, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from sgfb.utils.atomic_io import atomic_write
from sgfb.inference.result import FramePrediction, VideoResult
from sgfb.visualization.plots import _duration, _e, _fmt, _name, action_plot_svg, timeline_svg
from sgfb.visualization.report_provenance import CSS as PROVENANCE_CSS
from sgfb.visualization.report_provenance import provenance_section, warning_banner

#: One strip image: ``[H, W, 3]`` uint8 RGB, optionally with the frame index it shows.
FrameImage = Union[np.ndarray, Tuple[int, np.ndarray]]
FrameSource = Union[Mapping[str, Sequence[FrameImage]],
                    Callable[[VideoResult], Sequence[FrameImage]], None]

# Line colours of the action plot (distinct on white, readable for most colour-blind readers).
_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0; padding: 1.5rem 2rem 3rem; color: #1d2329; background: #f4f5f7;
       line-height: 1.45; }
h1 { margin: 0 0 .25rem; font-size: 1.6rem; }
h2 { margin: 0 0 .5rem; font-size: 1.3rem; word-break: break-all; }
h3 { margin: 1.25rem 0 .4rem; font-size: 1.02rem; color: #3a4652; }
.muted { color: #66717c; font-size: .9rem; }
.card { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 1rem 1.25rem;
        margin: 1rem 0; box-shadow: 0 1px 2px rgba(0,0,0,.04); }
.stats { display: flex; flex-wrap: wrap; gap: .5rem 2rem; margin: .25rem 0 0; padding: 0; }
.stats div { min-width: 7rem; }
.stats dt { font-size: .78rem; text-transform: uppercase; letter-spacing: .04em; color: #66717c; }
.stats dd { margin: 0; font-size: 1.15rem; font-weight: 600; }
table { border-collapse: collapse; font-size: .92rem; }
th, td { text-align: left; padding: .25rem .75rem .25rem 0; vertical-align: top; }
th { font-weight: 600; color: #3a4652; border-bottom: 1px solid #dde1e6; }
td.num { font-variant-numeric: tabular-nums; text-align: right; }
.bar { display: inline-block; height: .7rem; background: #1f5fbf; border-radius: 2px;
       vertical-align: middle; }
.bar-cell { width: 16rem; }
.errors { color: #a11d25; }
.errors li { white-space: pre-wrap; word-break: break-word; }
.status-ok { color: #217a31; font-weight: 600; }
.status-bad { color: #a11d25; font-weight: 600; }
.strip { display: flex; gap: .6rem; overflow-x: auto; padding-bottom: .4rem; }
.strip figure { margin: 0; flex: 0 0 auto; max-width: 490px; }
.strip img { display: block; max-width: 100%; height: auto; border-radius: 4px;
             border: 1px solid #c9ced4; background: #000; }
.strip figcaption { font-size: .8rem; color: #3a4652; margin-top: .2rem; }
.strip figcaption ul { margin: .1rem 0 0; padding-left: 1rem; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial,
           sans-serif; fill: #1d2329; }
nav ol { margin: .25rem 0; padding-left: 1.5rem; columns: 3 14rem; }
.legend-swatch { display: inline-block; width: .8rem; height: .8rem; border-radius: 2px;
                 vertical-align: -1px; margin: 0 .25rem 0 .75rem; }
"""

_SCRIPT = """
(function () {
  function check() {
    var images = document.images, ok = 0, broken = 0;
    for (var i = 0; i < images.length; i++) {
      if (images[i].complete && images[i].naturalWidth > 0) { ok++; } else { broken++; }
    }
    var body = document.body;
    body.setAttribute("data-images-total", String(images.length));
    body.setAttribute("data-images-ok", String(ok));
    body.setAttribute("data-images-broken", String(broken));
    body.setAttribute("data-ready", "1");
  }
  if (document.readyState === "complete") { check(); }
  else { window.addEventListener("load", check); }
})();
"""

# Nothing but this page's own inline style/script and data: images may load.
_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'")


def encode_image(image: np.ndarray, max_width: int = 320, fmt: str = "jpeg",
                 quality: int = 85) -> str:
    """A ``data:`` URI of an RGB ``[H, W, 3]`` uint8 image, shrunk to ``max_width``."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or image.size == 0:
        raise ValueError(f"expected a [H, W, 3] uint8 RGB image, got {image.dtype} "
                         f"{list(image.shape)}")
    if image.shape[1] > max_width:
        height = max(1, int(round(image.shape[0] * max_width / image.shape[1])))
        image = cv2.resize(image, (max_width, height), interpolation=cv2.INTER_AREA)
    bgr = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR)
    if fmt == "png":
        ok, data = cv2.imencode(".png", bgr)
        mime = "image/png"
    else:
        ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
        mime = "image/jpeg"
    if not ok:
        raise ValueError("image encoding failed")
    return f"data:{mime};base64,{base64.b64encode(data.tobytes()).decode('ascii')}"


def spread(items: Sequence, count: int) -> List:
    """``count`` items evenly spread over ``items`` (all of them when there are fewer)."""
    if len(items) <= count:
        return list(items)
    picks = np.unique(np.round(np.linspace(0, len(items) - 1, count)).astype(int))
    return [items[i] for i in picks]


def frames_from_video(result: VideoResult, max_frames: int = 8, threshold: float = 0.5,
                      width: int = 480, backend: str = "auto") -> List[Tuple[int, np.ndarray]]:
    """Up to ``max_frames`` sampled frames of ``result`` (evenly spread, preferring frames
    with nodes) decoded from ``result.path`` with their graphs drawn: ``(index, image)``.
    Small frames are enlarged to ``width`` first so the labels stay legible."""
    from sgfb.data.video import open_video
    from sgfb.visualization.annotated_video import scale_graph
    from sgfb.visualization.draw import draw_scene_graph

    candidates = [f for f in result.sampled_frames if f.graph.num_nodes] \
        or list(result.sampled_frames)
    chosen = {f.frame_index: f for f in spread(candidates, max_frames)}
    out: List[Tuple[int, np.ndarray]] = []
    if not chosen:
        return out
    with open_video(result.path, backend) as video:
        zoom = max(1.0, width / max(1, video.width))
        valid = [i for i in sorted(chosen) if 0 <= i < video.num_frames]
        for index, image in video.iter_frames(valid):
            graph = scale_graph(chosen[index].graph, video.width, video.height)
            out.append((index, draw_scene_graph(image, graph, threshold, zoom=zoom)))
    return out


def _frames_for(result: VideoResult, frames: FrameSource, max_frames: int,
                threshold: float) -> List[Tuple[Optional[int], np.ndarray]]:
    if frames is None:
        items: Sequence[FrameImage] = frames_from_video(result, max_frames, threshold)
    elif callable(frames):
        items = frames(result)
    else:
        items = frames.get(result.video_id, [])
    normalised: List[Tuple[Optional[int], np.ndarray]] = []
    for item in items or []:
        if isinstance(item, tuple):
            normalised.append((int(item[0]), item[1]))
        else:
            normalised.append((None, item))
    return spread(normalised, max_frames)


# ----------------------------------------------------------------------------- timeline grid
def _graph_caption(frame: Optional[FramePrediction], result: VideoResult,
                   threshold: float, max_lines: int = 4) -> str:
    if frame is None:
        return ""
    triplets = sorted(frame.graph.triplets(threshold), key=lambda t: -t[3])
    if not triplets:
        return '<ul><li class="muted">no relationships</li></ul>'
    items = [f"{_e(_name(result.object_names, s))} {_e(_name(result.relationship_names, r))} "
             f"{_e(_name(result.object_names, o))} ({score:.2f})"
             for s, r, o, score in triplets[:max_lines]]
    more = len(triplets) - max_lines
    if more > 0:
        items.append(f'<span class="muted">+{more} more</span>')
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _strip(result: VideoResult, images: List[Tuple[Optional[int], np.ndarray]],
           threshold: float, image_width: int) -> str:
    by_index = {f.frame_index: f for f in result.sampled_frames}
    figures = []
    for n, (index, image) in enumerate(images):
        frame = by_index.get(index) if index is not None else None
        if index is None:
            caption = f"image {n + 1}"
        else:
            caption = f"frame {index} · {result.frame_time(index):.2f} s"
        alt = f"{result.video_id} {caption} with its scene graph"
        figures.append(
            f'<figure><img src="{encode_image(image, image_width)}" alt="{_e(alt)}" '
            f'loading="eager"><figcaption>{_e(caption)}'
            f'{_graph_caption(frame, result, threshold)}</figcaption></figure>')
    return '<div class="strip">' + "".join(figures) + "</div>"


def _actions_table(result: VideoResult, top_k: int) -> str:
    if not result.actions:
        return '<p class="muted">No actions predicted.</p>'
    top = result.actions[:top_k]
    scale = max([1.0] + [a.score for a in top if math.isfinite(a.score)])
    rows = []
    for rank, action in enumerate(top, 1):
        share = max(0.0, action.score / scale) if math.isfinite(action.score) else 0.0
        rows.append(
            f'<tr><td class="num">{rank}</td><td><code>c{action.class_index:03d}</code></td>'
            f'<td>{_e(action.name)}</td>'
            f'<td class="num">{_fmt(action.score, 3)}</td><td class="bar-cell">'
            f'<span class="bar" style="width:{100 * share:.1f}%"></span></td></tr>')
    more = (f'<p class="muted">{len(result.actions) - top_k} more classes in the JSON '
            f'result.</p>') if len(result.actions) > top_k else ""
    return ('<table class="actions"><thead><tr><th>#</th><th>id</th><th>action</th><th>score</th>'
            '<th></th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>" + more)


TOP_ACTIONS_NOTE = (
    '<p class="muted">Video-level scores: each class\'s highest score over the test views '
    '(clips spread over the whole video, as in the Charades protocol), so one confident clip '
    'is enough to rank a class high. Scores are sigmoid probabilities (0 to 1), one per '
    'class, and need not sum to 1.</p>')
TIMELINE_NOTE = (
    '<p class="muted">The same top classes scored on one clip centred at each second, so a '
    'curve shows <em>when</em> an action happens; its peak can be below the video-level '
    'score, which is the maximum over differently placed test views.</p>')


def _video_section(number: int, result: VideoResult, images, images_error: Optional[str],
                   threshold: float, top_k: int, image_width: int) -> str:
    n_graphs = sum(1 for f in result.sampled_frames if f.graph.num_nodes)
    stats = [("duration", _duration(result.duration_s)), ("frame rate", f"{_fmt(result.fps)} fps"),
             ("frames", str(result.num_frames)),
             ("sampled frames", f"{len(result.sampled_frames)} ({n_graphs} with detections)")]
    if result.provenance.get("decoding_backend"):
        stats.append(("decoder", result.provenance["decoding_backend"]))
    status = ('<span class="status-ok">ok</span>' if result.ok
              else f'<span class="status-bad">{len(result.errors)} error(s)</span>')
    out = [f'<section class="card video" id="video-{number}">',
           f'<h2>{number}. {_e(result.video_id)} {status}</h2>',
           f'<p class="muted">{_e(result.path)}</p>',
           '<dl class="stats">' + "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>"
                                          for k, v in stats) + "</dl>"]
    if result.errors:
        out.append('<h3>Errors</h3><ul class="errors">'
                   + "".join(f"<li>{_e(e)}</li>" for e in result.errors) + "</ul>")
    out.append("<h3>Top actions (whole video)</h3>" + TOP_ACTIONS_NOTE
               + _actions_table(result, top_k))
    out.append("<h3>Frames with their scene graphs</h3>")
    if images:
        out.append(_strip(result, images, threshold, image_width))
    elif images_error:
        out.append(f'<p class="errors">Frames unavailable: {_e(images_error)}</p>')
    else:
        out.append('<p class="muted">No frames to show.</p>')
    out.append("<h3>Scene graph over time</h3>" + timeline_svg(result, threshold))
    out.append("<h3>Top actions over time</h3>" + TIMELINE_NOTE + action_plot_svg(result))
    out.append("</section>")
    return "\n".join(out)


def _summary(results: Sequence[VideoResult]) -> str:
    failed = [(i, r) for i, r in enumerate(results, 1) if r.errors]
    total = sum(r.duration_s for r in results if math.isfinite(r.duration_s))
    stats = [("videos processed", len(results)), ("without errors", len(results) - len(failed)),
             ("with errors", len(failed)), ("video time", _duration(total)),
             ("sampled frames", sum(len(r.sampled_frames) for r in results))]
    out = ['<section class="card" id="summary"><h2>Run summary</h2>',
           '<dl class="stats">' + "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>"
                                          for k, v in stats) + "</dl>"]
    if failed:
        rows = "".join(
            f'<tr><td><a href="#video-{i}">{_e(r.video_id)}</a></td>'
            f'<td><ul class="errors">' + "".join(f"<li>{_e(e)}</li>" for e in r.errors)
            + "</ul></td></tr>" for i, r in failed)
        out.append('<h3>Failures</h3><table class="failures"><thead><tr><th>video</th>'
                   f'<th>errors</th></tr></thead><tbody>{rows}</tbody></table>')
    if results:
        out.append("<nav><h3>Videos</h3><ol>" + "".join(
            f'<li><a href="#video-{i}">{_e(r.video_id)}</a></li>'
            for i, r in enumerate(results, 1)) + "</ol></nav>")
    out.append("</section>")
    return "\n".join(out)


def render_report(results: Sequence[VideoResult], frames: FrameSource = None,
                  title: str = "sgfb inference report", threshold: float = 0.5,
                  top_k: int = 10, max_frames: int = 8, image_width: int = 480) -> str:
    """The report page as an HTML string (see :func:`write_report`)."""
    sections = []
    for number, result in enumerate(results, 1):
        images, problem = [], None
        try:
            images = _frames_for(result, frames, max_frames, threshold)
        except Exception as err:  # a missing/corrupt video must not sink the whole report
            problem = f"{type(err).__name__}: {err}"
        sections.append(_video_section(number, result, images, problem, threshold, top_k,
                                       image_width))
    generated = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}{PROVENANCE_CSS}</style></head>",
        '<body data-report="sgfb">',
        f'<header><h1>{_e(title)}</h1><p class="muted">Generated {generated}. Scene graphs '
        f'drawn with relationships scoring {threshold:g} or more; attention and contacting '
        f'relationships point from the person to the object, spatial ones from the object '
        f'to the person.</p>{warning_banner(results)}</header>',
        _summary(results),
        provenance_section(results),
        *sections,
        f"<script>{_SCRIPT}</script>",
        "</body></html>",
    ]) + "\n"


def write_report(out_dir: str, results: Sequence[VideoResult], frames: FrameSource = None,
                 title: str = "sgfb inference report", threshold: float = 0.5,
                 top_k: int = 10, max_frames: int = 8, image_width: int = 480) -> str:
    """Write ``out_dir/report.html`` (atomically) and return its path.

    frames: the strip images per video, ``{video_id: [image or (frame_index, image)]}`` or
    a callable ``f(result) -> [image or (frame_index, image)]`` (images ``[H, W, 3]`` uint8
    RGB with the graphs already drawn); ``None`` decodes up to ``max_frames`` sampled frames
    from each ``result.path`` and draws them (:func:`frames_from_video`). A video whose
    frames cannot be fetched gets a note instead of the strip.
    threshold: relationships shown must score at least this. top_k: actions listed.
    image_width: strip images are shrunk to this width (JPEG, embedded as data: URIs).
    """
    page = render_report(results, frames, title, threshold, top_k, max_frames, image_width)
    path = os.path.join(os.fspath(out_dir), "report.html")
    with atomic_write(path, "w") as f:
        f.write(page)
    return path
