"""Draw a :class:`~sgfb.structures.SceneGraph` on a frame, and tile frames into a sheet.

Images are ``[H, W, 3]`` uint8 RGB throughout; :func:`save_rgb` writes them as PNG.
"""
from __future__ import annotations

import colorsys
from typing import Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from sgfb.structures.vocab import AG_OBJECTS, AG_RELATIONSHIPS, PERSON
from sgfb.structures.scene_graph import SceneGraph

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def class_colour(label: int) -> Tuple[int, int, int]:
    """A stable, well-separated RGB colour per object class (golden-ratio hues)."""
    if label == PERSON:
        return (255, 255, 255)
    r, g, b = colorsys.hsv_to_rgb((label * 0.618034) % 1.0, 0.85, 1.0)
    return int(r * 255), int(g * 255), int(b * 255)


def fit_text(text: str, max_width: int, scale: float) -> str:
    """``text``, cut at the end with ``..`` so it is at most ``max_width`` pixels wide."""
    if cv2.getTextSize(text, _FONT, scale, 1)[0][0] <= max_width:
        return text
    for cut in range(len(text) - 1, 0, -1):
        short = text[:cut].rstrip() + ".."
        if cv2.getTextSize(short, _FONT, scale, 1)[0][0] <= max_width:
            return short
    return text[:1]


Box = Tuple[int, int, int, int]   # x0, y0, x1, y1 (exclusive ends)


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class LabelPlacer:
    """Places label blocks on an image so that they never overlap one another: each block
    takes the first free spot of its candidates (below, above, inside, beside its box), then
    of a downward scan from the first candidate; only when the image is full may it overlap."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.taken: List[Box] = []

    def _clip(self, x: int, y: int, w: int, h: int) -> Box:
        x = min(max(int(x), 0), max(0, self.width - w))
        y = min(max(int(y), 0), max(0, self.height - h))
        return x, y, x + w, y + h

    def _spots(self, w: int, h: int, candidates: Sequence[Tuple[int, int]]) -> Iterator[Box]:
        """The candidates, then the scan, made one at a time: most labels take an early
        spot, and a frame draws dozens of labels (building every spot first cost 13 of the
        19 s of the demo's inference step)."""
        for x, y in candidates:
            yield self._clip(x, y, w, h)
        x0, y0 = self._clip(*candidates[0], w, h)[:2]
        for dy in range(0, self.height, max(1, h // 2)):
            for x in (x0, 0, self.width - w):
                yield self._clip(x, y0 + dy, w, h)
                yield self._clip(x, y0 - dy, w, h)

    def place(self, w: int, h: int, candidates: Sequence[Tuple[int, int]]) -> Tuple[int, int]:
        """Top-left corner for a ``w`` x ``h`` block, recorded as taken."""
        free = (s for s in self._spots(w, h, candidates)
                if not any(_overlaps(s, t) for t in self.taken))
        chosen = next(free, None) or self._clip(*candidates[0], w, h)
        self.taken.append(chosen)
        return chosen[0], chosen[1]


def _block(img: np.ndarray, lines: Sequence[Tuple[str, float]], corner: Tuple[int, int],
           colour, line_h: int) -> None:
    """Stacked lines (text, scale) on one dark backing box whose top-left is ``corner``."""
    x, y = corner
    w = max(cv2.getTextSize(t, _FONT, sc, 1)[0][0] for t, sc in lines) + 4
    cv2.rectangle(img, (x, y), (x + w, y + line_h * len(lines) + 2), (0, 0, 0), -1)
    for i, (text, sc) in enumerate(lines):
        cv2.putText(img, text, (x + 2, y + line_h * (i + 1) - 2), _FONT, sc, colour, 1,
                    cv2.LINE_AA)


def relation_labels(graph: SceneGraph, pair: int, threshold: float) -> List[str]:
    """Names of the pair's relationships scoring at least ``threshold``, best first."""
    scores = graph.relations[pair]
    order = np.argsort(-scores, kind="stable")
    return [AG_RELATIONSHIPS[r] for r in order if scores[r] >= threshold]


def draw_scene_graph(image: np.ndarray, graph: SceneGraph, threshold: float = 0.5,
                     font_scale: Optional[float] = None, zoom: float = 1.0) -> np.ndarray:
    """A copy of ``image`` with the graph's boxes, class names and, next to each object,
    the person's relationships to it. Nodes without a known box are listed in the corner.
    ``zoom`` > 1 enlarges the frame first, so labels stay legible on small frames.
    """
    out = np.ascontiguousarray(image.copy())
    if zoom != 1.0:
        out = cv2.resize(out, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_LINEAR)
    scale = font_scale or max(0.4, min(out.shape[:2]) / 700)
    line_h = cv2.getTextSize("Ag", _FONT, scale, 1)[0][1] + 6
    max_w = max(60, out.shape[1] // 3)   # a label never spans more than a third of the frame
    pair_of = {int(o): p for p, o in enumerate(graph.pair_objects)}
    placer = LabelPlacer(out.shape[1], out.shape[0])
    unboxed, blocks = [], []
    for node in range(graph.num_nodes):
        label = int(graph.labels[node])
        name = AG_OBJECTS[label]
        if graph.scores[node] < 1.0:
            name += f" {graph.scores[node]:.2f}"
        rels = relation_labels(graph, pair_of[node], threshold) if node in pair_of else []
        box = graph.boxes[node] if graph.boxes is not None else None
        if box is None or not np.all(np.isfinite(box)):
            unboxed.append(name + (": " + ", ".join(rels) if rels else ""))
            continue
        x0, y0, x1, y1 = (int(round(v * zoom)) for v in box)
        colour = class_colour(label)
        cv2.rectangle(out, (x0, y0), (x1, y1), colour, 1 if label == PERSON else 2)
        lines = [(fit_text(name, max_w, scale), scale)]
        lines += [(fit_text(r, max_w, scale * 0.9), scale * 0.9) for r in rels]
        blocks.append(((x0, y0, x1, y1), lines, colour))
    for (x0, y0, x1, y1), lines, colour in blocks:
        w = max(cv2.getTextSize(t, _FONT, sc, 1)[0][0] for t, sc in lines) + 4
        h = line_h * len(lines) + 2
        corner = placer.place(w, h, [(x0, y1 + 1), (x0, y0 - h - 1), (x0 + 1, y0 + 1),
                                     (x1 + 1, y0), (x0 - w - 1, y0)])
        _block(out, lines, corner, colour, line_h)
    for i, line in enumerate(unboxed):
        text = fit_text(line, out.shape[1] - 4, scale * 0.9)
        w = cv2.getTextSize(text, _FONT, scale * 0.9, 1)[0][0] + 4
        corner = placer.place(w, line_h + 2, [(0, line_h * i)])
        _block(out, [(text, scale * 0.9)], corner, (255, 255, 0), line_h)
    return out


def contact_sheet(images: Sequence[np.ndarray], columns: int = 4,
                  tile_width: int = 320, captions: Optional[Sequence[str]] = None,
                  gap: int = 4) -> np.ndarray:
    """Tile ``images`` (each resized to ``tile_width``, aspect kept) into one RGB image,
    with an optional caption strip under each tile."""
    if not images:
        raise ValueError("contact_sheet needs at least one image")
    tiles = []
    for i, img in enumerate(images):
        h = int(round(img.shape[0] * tile_width / img.shape[1]))
        tile = cv2.resize(img, (tile_width, h), interpolation=cv2.INTER_AREA)
        if captions is not None:
            strip = np.zeros((18, tile_width, 3), np.uint8)
            cv2.putText(strip, captions[i][:48], (3, 13), _FONT, 0.4, (230, 230, 230), 1,
                        cv2.LINE_AA)
            tile = np.concatenate([tile, strip])
        tiles.append(tile)
    tile_h = max(t.shape[0] for t in tiles)
    rows = (len(tiles) + columns - 1) // columns
    cols = min(columns, len(tiles))
    sheet = np.full((rows * (tile_h + gap) + gap, cols * (tile_width + gap) + gap, 3), 24, np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        y, x = gap + r * (tile_h + gap), gap + c * (tile_width + gap)
        sheet[y:y + tile.shape[0], x:x + tile_width] = tile
    return sheet


def save_rgb(path: str, image: np.ndarray) -> None:
    """Write an RGB image (PNG/JPEG by extension); raises OSError naming the path."""
    if not cv2.imwrite(path, cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write image {path}")


def load_rgb(path: str) -> np.ndarray:
    """Read an image file as ``[H, W, 3]`` uint8 RGB; raises OSError naming the path."""
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise OSError(f"could not read image {path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
