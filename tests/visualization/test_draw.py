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


def test_fit_text_truncates_to_the_width():
    import cv2
    from sgfb.visualization.draw import fit_text
    assert fit_text("cup", 200, 0.5) == "cup"
    short = fit_text("not_contacting and some more words", 60, 0.5)
    assert short.endswith("..") and short.startswith("not")
    assert cv2.getTextSize(short, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)[0][0] <= 60


def test_label_placer_never_overlaps_while_there_is_room():
    from sgfb.visualization.draw import LabelPlacer, _overlaps
    placer = LabelPlacer(100, 60)
    spots = [placer.place(40, 10, [(5, 5)]) for _ in range(6)]
    assert spots[0] == (5, 5)                     # the first candidate when free
    rects = [(x, y, x + 40, y + 10) for x, y in spots]
    assert all(0 <= r[0] and r[2] <= 100 and 0 <= r[1] and r[3] <= 60 for r in rects)
    assert not any(_overlaps(a, b) for i, a in enumerate(rects) for b in rects[i + 1:])


def test_labels_of_crowded_objects_do_not_overlap(monkeypatch):
    import sgfb.visualization.draw as draw
    from sgfb.visualization.draw import _overlaps
    drawn = []
    real = draw._block

    def spy(img, lines, corner, colour, line_h):
        w = max(draw.cv2.getTextSize(t, draw._FONT, sc, 1)[0][0] for t, sc in lines) + 4
        drawn.append((corner[0], corner[1], corner[0] + w, corner[1] + line_h * len(lines) + 2))
        real(img, lines, corner, colour, line_h)

    monkeypatch.setattr(draw, "_block", spy)
    rels = [[RELATIONSHIPS.index("holding"), RELATIONSHIPS.index("looking_at"),
             RELATIONSHIPS.index("in_front_of")]] * 3
    graph = SceneGraph.from_ground_truth(
        [CUP, OBJECTS.index("book"), OBJECTS.index("phone/camera")], rels,
        object_boxes=[[100, 100, 140, 150], [102, 102, 142, 152], [104, 98, 144, 148]],
        person_box=[90, 40, 190, 220])
    draw_scene_graph(np.zeros((240, 320, 3), np.uint8), graph)
    assert len(drawn) == 4
    assert not any(_overlaps(a, b) for i, a in enumerate(drawn) for b in drawn[i + 1:])
