"""The report's plots as inline SVG: the relationship timeline (which object relates to the
person how, over time) and the action scores over time, with labelled axes in seconds; the
palette and the small formatting helpers the report shares."""
from __future__ import annotations

import html
import math
from typing import Dict, List, Sequence, Tuple

import numpy as np

from sgfb.inference.result import VideoResult
from sgfb.structures.vocab import GROUP_SLICES

PALETTE = ("#1f5fbf", "#e0701b", "#2a9a3a", "#c7262f", "#7f4fc0", "#8a5a44", "#d9519c",
           "#5f6b73", "#a3a11c", "#1ca3b8")
GROUP_COLOURS = {"attention": "#1f5fbf", "spatial": "#2a9a3a", "contacting": "#e0701b"}


def _e(value: object) -> str:
    """HTML-escape any value (quotes too, so it is safe inside attributes)."""
    return html.escape(str(value), quote=True)


def _name(names: Sequence[str], index: int) -> str:
    return str(names[index]) if 0 <= index < len(names) else f"#{index}"


def _group(predicate: int) -> str:
    for group, sl in GROUP_SLICES.items():
        if sl.start <= predicate < sl.stop:
            return group
    return "other"


def _fmt(value: float, digits: int = 2) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "n/a"
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes)} min {secs:.1f} s" if minutes else f"{secs:.2f} s"


# ----------------------------------------------------------------------------- images


def relationship_timeline(result: VideoResult, threshold: float = 0.5
                          ) -> Tuple[List[Tuple[int, int]], np.ndarray]:
    """Rows ``(object class, predicate)`` that score >= ``threshold`` in at least one
    sampled frame (sorted by object class, then predicate), and their scores ``[R, F]``
    over the sampled frames (max over nodes of that class; 0 where absent)."""
    scores: Dict[Tuple[int, int], np.ndarray] = {}
    count = len(result.sampled_frames)
    for t, frame in enumerate(result.sampled_frames):
        g = frame.graph
        for p in range(g.num_pairs):
            label = int(g.labels[g.pair_objects[p]])
            for r in np.flatnonzero(g.relations[p] > 0):
                row = scores.setdefault((label, int(r)), np.zeros(count, np.float32))
                row[t] = max(row[t], float(g.relations[p, r]))
    rows = sorted(k for k, v in scores.items() if v.max() >= threshold)
    matrix = np.stack([scores[k] for k in rows]) if rows else np.zeros((0, count), np.float32)
    return rows, matrix


def _row_label(result: VideoResult, label: int, predicate: int) -> str:
    obj = _name(result.object_names, label)
    rel = _name(result.relationship_names, predicate)
    person = _name(result.object_names, 0)
    return f"{obj} {rel} {person}" if _group(predicate) == "spatial" else f"{person} {rel} {obj}"


def _ticks(start: float, stop: float, step: float) -> List[float]:
    """``start, start + step, ...`` up to ``stop`` (inclusive, with float slack)."""
    out, value = [], start
    while value <= stop + 1e-9:
        out.append(value)
        value += step
    return out


def _nice_step(span: float, ticks: int = 6) -> float:
    raw = max(span, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def timeline_svg(result: VideoResult, threshold: float = 0.5, max_rows: int = 40,
                 max_columns: int = 300) -> str:
    """Inline SVG grid: which relationships hold at which sampled frame.

    At most ``max_rows`` rows (the strongest) and ``max_columns`` columns: longer runs of
    sampled frames are grouped, each column showing the maximum over its group."""
    rows, matrix = relationship_timeline(result, threshold)
    if not rows:
        return (f'<p class="muted">No relationship scores {threshold:g} or more in any '
                f'sampled frame.</p>')
    note = ""
    if len(rows) > max_rows:
        keep = np.sort(np.argsort(-matrix.max(axis=1), kind="stable")[:max_rows])
        note = (f'<p class="muted">Showing the {max_rows} strongest of {len(rows)} '
                f'relationships.</p>')
        rows, matrix = [rows[i] for i in keep], matrix[keep]
    labels = [_row_label(result, label, predicate) for label, predicate in rows]
    frames = result.sampled_frames
    groups = [np.array([i]) for i in range(len(frames))]
    if len(frames) > max_columns:
        groups = np.array_split(np.arange(len(frames)), max_columns)
        matrix = np.stack([matrix[:, g].max(axis=1) for g in groups], axis=1)
        note += (f'<p class="muted">{len(frames)} sampled frames shown in {max_columns} '
                 f'columns; each column is the maximum over consecutive frames.</p>')
    col_time = [frames[int(g[0])].time_s for g in groups]
    col_frame = [frames[int(g[0])].frame_index for g in groups]
    n_cols = len(groups)
    label_w = int(min(340, 14 + 6.6 * max(len(s) for s in labels)))
    cell_w = max(2.0, min(24.0, 720.0 / max(1, n_cols)))
    cell_h, top, bottom = 16, 6, 34
    width = label_w + cell_w * n_cols + 12
    height = top + cell_h * len(rows) + bottom
    parts = [f'<svg class="sg-timeline" xmlns="http://www.w3.org/2000/svg" role="img" '
             f'width="{width:.0f}" height="{height}" viewBox="0 0 {width:.1f} {height}" '
             f'aria-label="scene graph timeline of {_e(result.video_id)}">']
    for i, ((label, predicate), text) in enumerate(zip(rows, labels)):
        y = top + i * cell_h
        if i % 2 == 0:
            parts.append(f'<rect x="0" y="{y}" width="{width:.1f}" height="{cell_h}" '
                         f'fill="#f1f3f6"/>')
        parts.append(f'<text x="{label_w - 8}" y="{y + cell_h - 4}" font-size="11" '
                     f'text-anchor="end">{_e(text)}</text>')
        colour = GROUP_COLOURS.get(_group(predicate), "#555")
        for t in np.flatnonzero(matrix[i] >= 0.02):
            score = float(matrix[i, t])
            x = label_w + t * cell_w
            parts.append(
                f'<rect x="{x:.2f}" y="{y + 1}" width="{max(1.0, cell_w - 1):.2f}" '
                f'height="{cell_h - 2}" fill="{colour}" fill-opacity="{min(1.0, score):.3f}">'
                f'<title>{_e(text)} at {col_time[t]:.2f} s (frame '
                f'{col_frame[t]}): {score:.2f}</title></rect>')
    grid_bottom = top + cell_h * len(rows)
    parts.append(f'<line x1="{label_w}" y1="{grid_bottom}" x2="{label_w + cell_w * n_cols:.1f}" '
                 f'y2="{grid_bottom}" stroke="#8a949e"/>')
    # Time labels under the grid, at most ~8, at evenly spaced columns.
    for t in sorted({int(round(v)) for v in np.linspace(0, n_cols - 1, min(n_cols, 8))}):
        x = label_w + (t + 0.5) * cell_w
        parts.append(f'<line x1="{x:.1f}" y1="{grid_bottom}" x2="{x:.1f}" '
                     f'y2="{grid_bottom + 4}" stroke="#8a949e"/>')
        parts.append(f'<text x="{x:.1f}" y="{grid_bottom + 16}" font-size="10" '
                     f'text-anchor="middle">{col_time[t]:.1f}s</text>')
    parts.append(f'<text x="{label_w + cell_w * n_cols / 2:.1f}" y="{height - 3}" '
                 f'font-size="10" text-anchor="middle" fill="#66717c">sampled frames '
                 f'(time in seconds)</text>')
    parts.append("</svg>")
    legend = "".join(
        f'<span class="legend-swatch" style="background:{c}"></span>{_e(g)}'
        for g, c in GROUP_COLOURS.items())
    return (note + "".join(parts)
            + f'<p class="muted">Rows: relationships scoring {threshold:g} or more in at '
              f'least one sampled frame; darker = higher score. {legend}</p>')


# ----------------------------------------------------------------------------- action plot
def action_plot_svg(result: VideoResult, width: int = 760, plot_height: int = 230) -> str:
    """Inline SVG line plot of the top actions' scores over time, with axes and legend."""
    tl = result.timeline
    if tl.empty:
        return '<p class="muted">No action scores over time.</p>'
    times, scores = tl.times_s, tl.scores.astype(np.float64)
    finite = scores[np.isfinite(scores)]
    y_lo = min(0.0, float(finite.min())) if finite.size else 0.0
    y_hi = max(1.0, float(finite.max())) if finite.size else 1.0
    x_lo = 0.0
    x_hi = max(float(times.max()), float(result.duration_s) if math.isfinite(
        result.duration_s) else 0.0, 1e-6)
    left, right, top = 52, 16, 12
    plot_w = width - left - right
    k = len(tl.class_indices)
    legend_cols = 2
    legend_rows = (k + legend_cols - 1) // legend_cols
    height = top + plot_height + 44 + 18 * legend_rows

    def px(t: float) -> float:
        return left + (t - x_lo) / (x_hi - x_lo) * plot_w

    def py(s: float) -> float:
        return top + (1 - (s - y_lo) / (y_hi - y_lo)) * plot_height

    parts = [f'<svg class="action-plot" xmlns="http://www.w3.org/2000/svg" role="img" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'aria-label="top action scores over time for {_e(result.video_id)}">',
             f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_height}" '
             f'fill="#fff" stroke="#c9ced4"/>']
    y_step = _nice_step(y_hi - y_lo, 5)
    for value in _ticks(math.ceil(y_lo / y_step) * y_step, y_hi, y_step):
        y = py(value)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
                     f'stroke="#e6e9ed"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" '
                     f'text-anchor="end">{value:g}</text>')
    for value in _ticks(0.0, x_hi, _nice_step(x_hi - x_lo, 8)):
        x = px(value)
        parts.append(f'<line x1="{x:.1f}" y1="{top + plot_height}" x2="{x:.1f}" '
                     f'y2="{top + plot_height + 4}" stroke="#8a949e"/>')
        parts.append(f'<text x="{x:.1f}" y="{top + plot_height + 16}" font-size="10" '
                     f'text-anchor="middle">{value:g}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_height + 32}" '
                 f'font-size="11" text-anchor="middle">time (s)</text>')
    parts.append(f'<text transform="translate(14 {top + plot_height / 2:.1f}) rotate(-90)" '
                 f'font-size="11" text-anchor="middle">score (probability)</text>')
    for j in range(k):
        colour = PALETTE[j % len(PALETTE)]
        name = _name(result.class_names, int(tl.class_indices[j]))
        points = [(px(float(t)), py(float(s))) for t, s in zip(times, scores[:, j])
                  if math.isfinite(s)]
        if len(points) > 1:
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline class="series" points="{coords}" fill="none" '
                         f'stroke="{colour}" stroke-width="2" stroke-linejoin="round">'
                         f'<title>{_e(name)}</title></polyline>')
        if len(points) <= 60:
            for x, y in points:
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>')
        row, col = divmod(j, legend_cols)
        lx = left + col * (plot_w / legend_cols)
        ly = top + plot_height + 50 + row * 18
        parts.append(f'<line x1="{lx:.1f}" y1="{ly - 4}" x2="{lx + 18:.1f}" y2="{ly - 4}" '
                     f'stroke="{colour}" stroke-width="3"/>')
        parts.append(f'<text class="legend" x="{lx + 24:.1f}" y="{ly}" font-size="11">'
                     f'{_e(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# ----------------------------------------------------------------------------- sections
