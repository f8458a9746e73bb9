"""Drawing of the 35 Action Genome object classes, each with its own shape, colour and texture.

:func:`draw_object` paints one placed object into an RGB ``[H, W, 3]`` uint8 frame inside
its xyxy box (frame pixels), with the drawer of its class (:mod:`.render_furniture`,
:mod:`.render_portables`). A video draws each class in its own slightly jittered colour
(:func:`make_palette`).
"""
from __future__ import annotations

from typing import Callable, Dict, Optional

import numpy as np

from sgfb.synthetic import render_furniture as furniture
from sgfb.synthetic import render_portables as portables
from sgfb.synthetic.catalog import OBJECT_SPECS, RGB
from sgfb.synthetic.paint import BoxPainter
from sgfb.synthetic.scenes import PlacedObject
from sgfb.synthetic.skeleton import Skeleton

Palette = Dict[str, RGB]
Drawer = Callable[[BoxPainter, RGB, Dict[str, float]], None]

DRAWERS: Dict[str, Drawer] = {
    "bag": portables.draw_bag, "bed": furniture.draw_bed, "blanket": portables.draw_blanket,
    "book": portables.draw_book, "box": portables.draw_box,
    "broom": lambda p, c, v: portables.draw_tool(p, c, v, "broom"),
    "chair": furniture.draw_chair, "closet/cabinet": furniture.draw_closet,
    "cup/glass/bottle": portables.draw_cup, "dish": portables.draw_dish,
    "door": furniture.draw_door, "doorknob": furniture.draw_doorknob,
    "doorway": furniture.draw_doorway, "food": portables.draw_food,
    "groceries": portables.draw_groceries, "laptop": portables.draw_laptop,
    "light": furniture.draw_light, "medicine": portables.draw_medicine,
    "mirror": furniture.draw_mirror, "paper/notebook": portables.draw_paper,
    "phone/camera": portables.draw_phone, "picture": furniture.draw_picture,
    "pillow": portables.draw_pillow, "refrigerator": furniture.draw_refrigerator,
    "sandwich": portables.draw_sandwich, "shelf": furniture.draw_shelf,
    "shoe": portables.draw_shoe, "sofa/couch": furniture.draw_sofa,
    "table": furniture.draw_table, "television": furniture.draw_television,
    "towel": portables.draw_towel,
    "vacuum": lambda p, c, v: portables.draw_tool(p, c, v, "vacuum"),
    "window": furniture.draw_window,
}


def make_palette(rng: np.random.Generator) -> Palette:
    """Each class's catalogue colour, jittered by up to 12 per channel for this video."""
    palette = {}
    for name, s in OBJECT_SPECS.items():
        jitter = rng.integers(-12, 13, size=3)
        palette[name] = tuple(int(v) for v in np.clip(np.array(s.colour) + jitter, 0, 255))
    return palette


def draw_object(img: np.ndarray, obj: PlacedObject, palette: Palette,
                skeleton: Optional[Skeleton] = None) -> None:
    """Paint ``obj`` into ``img`` (RGB ``[H, W, 3]`` uint8, in place); worn clothes follow
    ``skeleton``. The floor is part of the background and draws nothing."""
    if obj.name == "floor":
        return
    painter = BoxPainter(img, obj.box)
    if obj.name == "clothes":
        portables.draw_clothes(painter, palette["clothes"], obj.variant, skeleton)
    else:
        DRAWERS[obj.name](painter, palette[obj.name], obj.variant)


assert set(DRAWERS) | {"clothes", "floor"} == set(OBJECT_SPECS), "every class needs a drawer"
