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
from sgfb.inference.schema import (RESULT_SCHEMA, validate_instance,  # noqa: E402
                                   validate_result)


@pytest.fixture()
def data():
    return json.loads(json.dumps(make_result().to_json_dict()))


def test_schema_is_a_valid_draft_2020_12_schema():
    from jsonschema import Draft202012Validator

    assert RESULT_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(RESULT_SCHEMA)


def test_produced_results_validate(data):
    assert validate_result(data) == []
    assert validate_result(make_result(empty=True).to_json_dict()) == []
    assert validate_result(VideoResult.failed("x", "x.mp4", "boom").to_json_dict()) == []


def _errors_after(data, edit):
    broken = copy.deepcopy(data)
    edit(broken)
    return validate_result(broken)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.pop("video_id"), "$: 'video_id' is a required property"),
    (lambda d: d["sampled_frames"][0]["nodes"][0].pop("score"),
     "$.sampled_frames[0].nodes[0]: 'score' is a required property"),
    (lambda d: d.update(num_frames="30"), "$.num_frames: '30' is not of type 'integer'"),
    (lambda d: d.update(num_frames=True), "$.num_frames: True is not of type 'integer'"),
    (lambda d: d.update(fps=None), "$.fps: None is not of type 'number'"),
    (lambda d: d.update(errors="boom"), "$.errors: 'boom' is not of type 'array'"),
    (lambda d: d.update(errors=[1]), "$.errors[0]: 1 is not of type 'string'"),
    (lambda d: d.update(extra=1), "$: Additional properties are not allowed ('extra' was unexpected)"),
    (lambda d: d.update(format="other"), "$.format: 'other' is not one of ['sgfb.video_result']"),
    (lambda d: d.update(duration_s=-1.0), "$.duration_s: -1.0 is less than the minimum of 0"),
    (lambda d: d.update(duration_s=float("nan")), "$.duration_s: nan is not a finite number"),
    (lambda d: d["sampled_frames"][0]["relationships"][0].update(group="social"),
     "$.sampled_frames[0].relationships[0].group: 'social' is not one of"),
    (lambda d: d["sampled_frames"][0].update(person=None),
     "$.sampled_frames[0].pairs: pairs without a person node"),
])
def test_broken_results_are_rejected(data, edit, message):
    errors = _errors_after(data, edit)
    assert any(e.startswith(message) for e in errors), errors


def test_from_json_dict_refuses_invalid(data):
    data["sampled_frames"][0]["nodes"][0]["score"] = "high"
    with pytest.raises(ValueError, match="invalid video result for 'vid1'.*is not of type 'number'"):
        VideoResult.from_json_dict(data)
    assert validate_result([]) == ["$: [] is not of type 'object'"]


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
        "$: 'a' is a required property",
        "$.b: [0, 4, 2] is too long",
        "$.b[0]: 0 is less than the minimum of 1",
        "$.b[1]: 4 is greater than the maximum of 3",
        "$.x: 1 is not of type 'boolean'",
    ]
    assert validate_instance(1, {"enum": [True]}) == ["$: 1 is not one of [True]"]
    assert validate_instance(2.5, {"type": "number"}) == []
    assert validate_instance([1.0, float("inf")], {}) == [
        "$[1]: inf is not a finite number (JSON has no NaN/Infinity)"]
