"""sgfb.inference.result: JSON layout, exact round trips, atomic files, edge cases."""
from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_util import (BENEATH, CHAIR, CLASS_NAMES, HOLDING, LOOKING_AT,  # noqa: E402
                          SITTING_ON, make_result, rich_graph)

from sgfb.inference import (ActionTimeline, FramePrediction, RankedAction,  # noqa: E402
                            VideoResult, read_result_json, top_actions, validate_result,
                            write_result_json)
from sgfb.structures.scene_graph import SceneGraph  # noqa: E402


def _through_text(obj):
    return json.loads(json.dumps(obj, allow_nan=False))


def test_round_trip_is_exact_when_all_scores_are_listed():
    result = make_result(threshold=0.0)
    data = result.to_json_dict()
    back = VideoResult.from_json_dict(_through_text(data))
    assert back.equals(result)
    assert back.to_json_dict() == data
    # float32 scores come back bit for bit, NaN (unknown) boxes stay unknown
    assert np.array_equal(back.sampled_frames[0].graph.relations,
                          result.sampled_frames[0].graph.relations)
    assert back.sampled_frames[1].graph.boxes is None
    assert back.sampled_frames[2].graph.num_nodes == 0


def test_threshold_drops_only_small_scores_and_dict_round_trip_is_exact():
    result = make_result()  # threshold 0.05; rich graph has one 0.01 score
    data = result.to_json_dict()
    assert data["relationship_threshold"] == 0.05
    back = VideoResult.from_json_dict(_through_text(data))
    assert back.to_json_dict() == data
    original = result.sampled_frames[0].graph.relations
    expected = np.where(original >= 0.05, original, 0)
    assert np.array_equal(back.sampled_frames[0].graph.relations, expected)
    assert expected[0, HOLDING] == 0 and original[0, HOLDING] == np.float32(0.01)


def test_graph_json_layout_and_relationship_directions():
    frame = make_result().to_json_dict()["sampled_frames"][0]
    assert frame["frame_index"] == 0 and frame["time_s"] == 0.0
    assert frame["frame_key"] == "vid1.mp4/000001.png"
    assert frame["image_size"] == [96, 64] and frame["has_boxes"] is True
    assert frame["person"] == 0 and frame["pairs"] == [1, 2]
    assert frame["nodes"][1] == {"id": 1, "label": CHAIR, "name": "chair", "score": 0.8,
                                 "box": [20.0, 30.0, 60.0, 62.0]}
    assert frame["nodes"][2]["name"] == "cup/glass/bottle"
    got = {(r["pair"], r["name"]): (r["subject"], r["object"], r["group"], r["score"],
                                    r["predicate"]) for r in frame["relationships"]}
    assert got == {
        (0, "looking_at"): (0, 1, "attention", 0.2, LOOKING_AT),
        (0, "beneath"): (1, 0, "spatial", 0.9, BENEATH),          # chair beneath person
        (0, "sitting_on"): (0, 1, "contacting", 0.8, SITTING_ON),
        (1, "looking_at"): (0, 2, "attention", 0.7, LOOKING_AT),
        (1, "holding"): (0, 2, "contacting", 0.95, HOLDING),
    }


def test_scores_are_written_as_short_decimals(tmp_path):
    path = write_result_json(str(tmp_path / "r.json"), make_result())
    text = Path(path).read_text(encoding="utf-8")
    assert '"score": 0.95' in text and "0.949999" not in text and "NaN" not in text


def test_write_and_read_file(tmp_path):
    result = make_result(threshold=0.0)
    path = write_result_json(str(tmp_path / "out" / "vid1.json"), result)
    assert os.listdir(tmp_path / "out") == ["vid1.json"]
    back = read_result_json(path)
    assert back.equals(result)
    assert validate_result(json.loads(Path(path).read_text(encoding="utf-8"))) == []


def test_invalid_result_is_not_written(tmp_path):
    result = make_result()
    result.actions = [RankedAction(0, "x", float("nan"))]
    target = tmp_path / "bad.json"
    with pytest.raises(ValueError, match="vid1.*finite"):
        write_result_json(str(target), result)
    assert not target.exists() and os.listdir(tmp_path) == []


def test_read_rejects_invalid_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.json.*not valid JSON"):
        read_result_json(str(bad))
    data = make_result().to_json_dict()
    del data["fps"]
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="bad.json.*'fps' is a required property"):
        read_result_json(str(bad))


def test_video_without_detections_is_valid(tmp_path):
    result = make_result(empty=True)
    assert all(f.graph.num_nodes == 0 for f in result.sampled_frames)
    data = result.to_json_dict()
    assert validate_result(data) == []
    assert all(f["nodes"] == [] and f["relationships"] == [] for f in data["sampled_frames"])
    assert data["timeline"] == {"times_s": [], "class_indices": [], "scores": []}
    back = read_result_json(write_result_json(str(tmp_path / "e.json"), result))
    assert back.equals(result) and back.timeline.scores.shape == (0, 0)


def test_failed_video_and_no_frames():
    failed = VideoResult.failed("broken", "/x/broken.mp4", "cannot open: <moov atom not found>")
    assert not failed.ok and failed.sampled_frames == [] and failed.actions == []
    data = failed.to_json_dict()
    assert validate_result(data) == []
    assert VideoResult.from_json_dict(data).equals(failed)


def test_actions_ranked_and_frames_sorted():
    g = SceneGraph.empty()
    result = VideoResult("v", "v.mp4", 2.0, 10.0, 20,
                         sampled_frames=[FramePrediction(15, 1.5, g), FramePrediction(5, 0.5, g)],
                         actions=[RankedAction(0, "a", 0.1), RankedAction(1, "b", 0.9),
                                  RankedAction(2, "c", 0.1)],
                         class_names=["a", "b", "c"])
    assert [a.name for a in result.actions] == ["b", "a", "c"]
    assert [f.frame_index for f in result.sampled_frames] == [5, 15]
    assert result.frame_time(15) == 1.5


def test_top_actions():
    ranked = top_actions([0.2, 0.9, 0.2, 0.5], CLASS_NAMES, k=3)
    assert ranked == [RankedAction(1, CLASS_NAMES[1], 0.9), RankedAction(3, CLASS_NAMES[3], 0.5),
                      RankedAction(0, CLASS_NAMES[0], 0.2)]


def test_timeline_shape_checked():
    with pytest.raises(ValueError, match="expected \\[T=2, K=1\\]"):
        ActionTimeline([0.0, 1.0], [3], np.zeros((2, 2)))
    assert ActionTimeline([0.0, 1.0], [3]).scores.shape == (2, 1)


def test_unicode_and_markup_names_survive(tmp_path):
    names = ["<script>alert(1)</script>", "Café & “quotes”"]
    result = VideoResult("ü/<v>", "p.mp4", 1.0, 1.0, 1, actions=[RankedAction(0, names[0], 0.5)],
                         class_names=names)
    back = read_result_json(write_result_json(str(tmp_path / "u.json"), result))
    assert back.class_names == names and back.video_id == "ü/<v>"
    assert back.actions[0].name == names[0]


def test_boxes_scale_with_float32_precision():
    graph = rich_graph(scale=1 / 3)
    result = VideoResult("v", "v.mp4", 1.0, 25.0, 25, [FramePrediction(0, 0.0, graph)],
                         relationship_threshold=0.0)
    back = VideoResult.from_json_dict(_through_text(result.to_json_dict()))
    assert np.array_equal(back.sampled_frames[0].graph.boxes, graph.boxes)
    assert math.isclose(back.sampled_frames[0].graph.boxes[0, 0], 10.0, rel_tol=1e-6)
