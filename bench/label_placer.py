#!/usr/bin/env python
"""The annotated video's label placement (`sgfb.visualization.draw.LabelPlacer`): spots made
one at a time with plain min / max, against the reference approach it replaced, every spot
of a label built first with `np.clip`. Draws the SGDet graphs of a demo's test frames with
both (`draw_scene_graph` at the frames' own size, as the annotated video draws them; `--zoom`
for the report's enlarged thumbnails), checks the drawings are identical, and prints the seconds of each and their ratio.

    python tools/demo.py --out demo_seed0 --seed 0
    python bench/label_placer.py --demo demo_seed0 --rounds 3
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Sequence, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from sgfb.visualization import draw  # noqa: E402


class EagerPlacer(draw.LabelPlacer):
    """The reference: all candidate and scan spots built, each clipped with ``np.clip``,
    before the first free one is taken."""

    def _clip(self, x: int, y: int, w: int, h: int) -> draw.Box:
        x = int(np.clip(x, 0, max(0, self.width - w)))
        y = int(np.clip(y, 0, max(0, self.height - h)))
        return x, y, x + w, y + h

    def place(self, w: int, h: int, candidates: Sequence[Tuple[int, int]]) -> Tuple[int, int]:
        spots = [self._clip(x, y, w, h) for x, y in candidates]
        x0, y0 = spots[0][:2]
        for dy in range(0, self.height, max(1, h // 2)):
            for x in (x0, 0, self.width - w):
                spots.append(self._clip(x, y0 + dy, w, h))
                spots.append(self._clip(x, y0 - dy, w, h))
        chosen = next((s for s in spots if not any(draw._overlaps(s, t) for t in self.taken)),
                      spots[0])
        self.taken.append(chosen)
        return chosen[0], chosen[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", required=True, help="a tools/demo.py output folder")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--zoom", type=float, default=1.0)
    args = parser.parse_args()
    import torch
    from sgfb.data.action_genome import ActionGenome
    from sgfb.data.ag_splits import split_keys
    from sgfb.evaluation.sg_prediction import predict_frames
    from sgfb.models.scene_graph import load_scene_graph_model
    from sgfb.relations.frames import SceneGraphFrames

    predictor = load_scene_graph_model(os.path.join(args.demo, "scene_graphs", "model.pt"))
    ag = ActionGenome.load(os.path.join(args.demo, "dataset", "annotations"), preset="filtered")
    keys = split_keys(ag, "test")
    graphs = predict_frames(predictor, SceneGraphFrames(ag, os.path.join(args.demo, "frames"),
                                                         keys), "sgdet", 8, torch.device("cpu"))
    images = {k: draw.load_rgb(os.path.join(args.demo, "frames", k)) for k in keys}

    def draw_all():
        return [draw.draw_scene_graph(images[k], graphs[k], zoom=args.zoom) for k in keys]

    seconds = {"all spots first (reference)": [], "one spot at a time": []}
    drawn = {}
    current = draw.LabelPlacer
    try:
        for _ in range(args.rounds):
            for name, placer in (("all spots first (reference)", EagerPlacer),
                                 ("one spot at a time", current)):
                draw.LabelPlacer = placer
                start = time.perf_counter()
                drawn[name] = draw_all()
                seconds[name].append(time.perf_counter() - start)
    finally:
        draw.LabelPlacer = current
    a, b = drawn.values()
    if not all(np.array_equal(x, y) for x, y in zip(a, b, strict=True)):
        raise SystemExit("the two placers drew different frames")
    labels = sum(g.num_nodes for g in graphs.values())
    print(f"{len(keys)} test frames, {labels} boxes, zoom {args.zoom:g}; identical drawings")
    for name, values in seconds.items():
        print(f"{name:<28} " + " ".join(f"{v:6.2f}" for v in values) + " s")
    ratio = np.median(seconds["all spots first (reference)"]) / np.median(
        seconds["one spot at a time"])
    print(f"median ratio (reference / current): {ratio:.1f}x")


if __name__ == "__main__":
    main()
