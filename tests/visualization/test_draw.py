import numpy as np
import pytest

from sgfb.structures.vocab import OBJECTS, RELATIONSHIPS
from sgfb.structures import SceneGraph
from sgfb.visualization.draw import (class_colour, contact_sheet, draw_scene_graph, load_rgb,
                                     relation_labels, save_rgb)

CUP = OBJECTS.index("cup/glass/bottle")


def _graph(boxes=True):
    return SceneGraph.from_ground_truth(
        [CUP], [[RELATIONSHIPS.index("holding"), RELATIONSHIPS.index("looking_at")]],
        object_boxes=[[40, 40, 80, 90]] if boxes else None,
        person_box=[10, 5, 60, 110] if boxes else None)


def test_draws_box_in_class_colour_and_leaves_input_alone():
    img = np.zeros((120, 160, 3), np.uint8)
    out = draw_scene_graph(img, _graph())
    assert img.max() == 0
    assert tuple(out[65, 40]) == class_colour(CUP)  # left edge of the cup box, below its label
    assert out[100:120, 40:120].any()                  # relationship labels under the box


def test_graph_without_boxes_is_listed_not_drawn():
    out = draw_scene_graph(np.zeros((120, 160, 3), np.uint8), _graph(boxes=False))
    assert out[:40].any() and not out[60:].any()


def test_relation_labels_thresholded_best_first():
    g = SceneGraph.from_predictions([[0, 0, 9, 9], [1, 1, 5, 5]], [0, CUP], [1, 0.5], [1],
                                    np.eye(26, dtype=np.float32)[[14]] * 0.9
                                    + np.eye(26, dtype=np.float32)[[0]] * 0.6, person=0)
    assert relation_labels(g, 0, 0.5) == ["holding", "looking_at"]
    assert relation_labels(g, 0, 0.7) == ["holding"]


def test_empty_graph_draws_nothing():
    img = np.full((50, 50, 3), 7, np.uint8)
    assert np.array_equal(draw_scene_graph(img, SceneGraph.empty()), img)


def test_contact_sheet_layout_and_png_round_trip(tmp_path):
    tiles = [np.full((60, 80, 3), v, np.uint8) for v in (50, 100, 150, 200, 250)]
    sheet = contact_sheet(tiles, columns=2, tile_width=80, captions=list("abcde"), gap=4)
    assert sheet.shape == (3 * (60 + 18 + 4) + 4, 2 * (80 + 4) + 4, 3)
    assert tuple(sheet[4 + 10, 4 + 84 + 10]) == (100, 100, 100)
    path = str(tmp_path / "s.png")
    save_rgb(path, sheet)
    assert np.array_equal(load_rgb(path), sheet)
    with pytest.raises(ValueError):
        contact_sheet([])
    with pytest.raises(OSError, match="missing.png"):
        load_rgb(str(tmp_path / "missing.png"))
