"""sgfb.inference.schema: the schema accepts produced results and rejects broken ones."""
from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_util import make_result  # noqa: E402

from sgfb.inference.result import VideoResult  # noqa: E402
from sgfb.inference.schema import (RESULT_SCHEMA, SUPPORTED_KEYWORDS,  # noqa: E402
                                   check_schema_keywords, validate_instance, validate_result)


@pytest.fixture()
def data():
    return json.loads(json.dumps(make_result().to_json_dict()))


def test_schema_is_draft_2020_12_and_uses_only_supported_keywords():
    assert RESULT_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert check_schema_keywords(RESULT_SCHEMA) == []
    assert check_schema_keywords({"type": "object", "patternProperties": {}}) == \
        ["#/patternProperties"]
    assert {"type", "required", "properties", "items", "enum", "minimum",
            "additionalProperties"} <= SUPPORTED_KEYWORDS


def test_produced_results_validate(data):
    assert validate_result(data) == []
    assert validate_result(make_result(empty=True).to_json_dict()) == []
    assert validate_result(VideoResult.failed("x", "x.mp4", "boom").to_json_dict()) == []


def _errors_after(data, edit):
    broken = copy.deepcopy(data)
    edit(broken)
    return validate_result(broken)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.pop("video_id"), "$: missing required key 'video_id'"),
    (lambda d: d["sampled_frames"][0]["nodes"][0].pop("score"),
     "$.sampled_frames[0].nodes[0]: missing required key 'score'"),
    (lambda d: d.update(num_frames="30"), "$.num_frames: expected integer, got str"),
    (lambda d: d.update(num_frames=30.0), "$.num_frames: expected integer, got float"),
    (lambda d: d.update(num_frames=True), "$.num_frames: expected integer, got bool"),
    (lambda d: d.update(fps=None), "$.fps: expected number, got null"),
    (lambda d: d.update(errors="boom"), "$.errors: expected array, got str"),
    (lambda d: d.update(errors=[1]), "$.errors[0]: expected string, got int"),
    (lambda d: d.update(extra=1), "$: unexpected key 'extra'"),
    (lambda d: d.update(format="other"), "$.format: 'other' is not one of ['sgfb.video_result']"),
    (lambda d: d.update(duration_s=-1.0), "$.duration_s: -1.0 is below the minimum 0"),
    (lambda d: d.update(duration_s=float("nan")), "$.duration_s: nan is not a finite number"),
    (lambda d: d["sampled_frames"][0]["relationships"][0].update(group="social"),
     "$.sampled_frames[0].relationships[0].group: 'social' is not one of"),
    (lambda d: d["sampled_frames"][0]["nodes"][1].update(box=[1, 2, 3]),
     "$.sampled_frames[0].nodes[1].box: 3 items, expected at least 4"),
    (lambda d: d["sampled_frames"][0]["nodes"][1].update(box="1,2,3,4"),
     "$.sampled_frames[0].nodes[1].box: expected array or null, got str"),
    (lambda d: d["timeline"]["scores"][0].append(0.5),
     "$.timeline.scores: expected shape [2][3]"),
    (lambda d: d["actions"].reverse(), "$.actions: not ranked by descending score"),
    (lambda d: d["actions"][0].update(class_index=99), "$.actions[0].class_index: 99 outside"),
    (lambda d: d["sampled_frames"][0]["nodes"][1].update(label=36),
     "$.sampled_frames[0].nodes[1].label: 36 outside the 36 object names"),
    (lambda d: d["sampled_frames"][0]["relationships"][0].update(pair=5),
     "$.sampled_frames[0].relationships[0].pair: 5 outside the pairs"),
    (lambda d: d["sampled_frames"][0]["relationships"][1].update(subject=0, object=1),
     "$.sampled_frames[0].relationships[1]: subject/object 0->1 do not match pair 0 "
     "(spatial points 1->0)"),
    (lambda d: d["sampled_frames"][0].update(person=None),
     "$.sampled_frames[0].pairs: pairs without a person node"),
])
def test_broken_results_are_rejected(data, edit, message):
    errors = _errors_after(data, edit)
    assert any(e.startswith(message) for e in errors), errors


def test_from_json_dict_refuses_invalid(data):
    data["sampled_frames"][0]["nodes"][0]["score"] = "high"
    with pytest.raises(ValueError, match="invalid video result for 'vid1'.*expected number"):
        VideoResult.from_json_dict(data)
    assert validate_result([]) == ["$: expected object, got list"]


def test_validator_keywords_on_small_schemas():
    schema = {
        "$defs": {"pos": {"type": "integer", "minimum": 1, "maximum": 3}},
        "type": "object",
        "properties": {"a": {"type": ["string", "null"]},
                       "b": {"type": "array", "items": {"$ref": "#/$defs/pos"}, "maxItems": 2}},
        "required": ["a"],
        "additionalProperties": {"type": "boolean"},
    }
    assert validate_instance({"a": None, "b": [1, 3], "x": True}, schema) == []
    assert validate_instance({"b": [0, 4, 2], "x": 1}, schema) == [
        "$: missing required key 'a'",
        "$.b: 3 items, expected at most 2",
        "$.b[0]: 0 is below the minimum 1",
        "$.b[1]: 4 is above the maximum 3",
        "$.x: expected boolean, got int",
    ]
    assert validate_instance(1, {"enum": [True]}) == ["$: 1 is not one of [True]"]
    assert validate_instance(2.5, {"type": "number"}) == []
    assert validate_instance(float("inf"), {}) != []
