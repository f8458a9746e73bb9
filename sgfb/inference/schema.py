"""JSON Schema of one video's inference result file, and its validation.

:data:`RESULT_SCHEMA` (JSON Schema draft 2020-12) describes what
:meth:`sgfb.inference.result.VideoResult.to_json_dict` writes. :func:`validate_result`
checks a parsed JSON object against it with ``jsonschema``, so any other program can check
our files with the same schema.

Beyond JSON Schema, numbers must be finite: JSON has no NaN/Infinity, and Python's
``json`` module would otherwise write them as the non-standard tokens ``NaN``/``Infinity``.
Cross-field rules the schema cannot express (node and pair indices inside range, timeline
shapes) are checked by :func:`validate_result` too and reported the same way.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Mapping

RESULT_FORMAT = "sgfb.video_result"
RESULT_VERSION = 1

_NUMBER: Dict[str, Any] = {"type": "number"}
_UNIT: Dict[str, Any] = {"type": "number", "minimum": 0}
_INDEX: Dict[str, Any] = {"type": "integer", "minimum": 0}
_NAME: Dict[str, Any] = {"type": "string"}


def _obj(properties: Dict[str, Any], description: str = "",
         optional: tuple = ()) -> Dict[str, Any]:
    """A closed object schema: every property required unless listed in ``optional``."""
    schema: Dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": [k for k in properties if k not in optional],
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _list(items: Dict[str, Any], **extra: Any) -> Dict[str, Any]:
    return {"type": "array", "items": items, **extra}


RESULT_SCHEMA: Dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://sgfb.invalid/schemas/video_result-1.json",
    "title": "sgfb video inference result",
    "description": (
        "One video's predictions: per sampled frame a person-object scene graph, the "
        "ranked actions of the whole video and the top actions' scores over time. Frame "
        "indices are 0-based display indices; time_s is the frame's presentation time "
        "(frame 0 at 0; index / fps on constant-rate video)."),
    "$defs": {
        "node": _obj({
            "id": _INDEX,
            "label": _INDEX,
            "name": _NAME,
            "score": _UNIT,
            "box": {"type": ["array", "null"], "items": _NUMBER, "minItems": 4, "maxItems": 4,
                    "description": "xyxy pixels of the frame the graph was predicted on; "
                                   "null when unknown"},
        }),
        "relationship": _obj({
            "pair": _INDEX,
            "subject": _INDEX,
            "object": _INDEX,
            "predicate": _INDEX,
            "name": _NAME,
            "group": {"enum": ["attention", "spatial", "contacting"]},
            "score": _UNIT,
        }, "attention and contacting point person -> object, spatial object -> person"),
        "frame": _obj({
            "frame_index": _INDEX,
            "time_s": {"type": "number", "minimum": 0},
            "frame_key": {"type": ["string", "null"]},
            "image_size": {"type": ["array", "null"], "items": {"type": "integer", "minimum": 1},
                           "minItems": 2, "maxItems": 2,
                           "description": "(width, height) the boxes refer to"},
            "has_boxes": {"type": "boolean"},
            "person": {"type": ["integer", "null"], "minimum": 0},
            "nodes": _list({"$ref": "#/$defs/node"}),
            "pairs": _list(_INDEX, description="object node of each person-object pair"),
            "relationships": _list({"$ref": "#/$defs/relationship"}),
        }),
        "action": _obj({"class_index": _INDEX, "name": _NAME, "score": _NUMBER}),
        "checkpoint": _obj({
            "path": _NAME, "sha256": _NAME, "format": _NAME, "trained_at": _NAME,
            "config_name": _NAME, "data_kind": _NAME,
            "data_size": {"type": ["integer", "string"]}, "data_unit": _NAME,
            "data_source": _NAME, "sgfb_version": _NAME,
        }, "a checkpoint file and its training record; 'unknown' where it has none"),
        "provenance": _obj({
            "software": _obj({"sgfb": _NAME, "torch": _NAME, "torchvision": _NAME}),
            "decoding_backend": _NAME,
            "class_list": _obj({"source": _NAME, "count": _INDEX},
                               "where the action class names come from"),
            "checkpoints": _obj({"scene_graph": {"$ref": "#/$defs/checkpoint"},
                                 "action": {"$ref": "#/$defs/checkpoint"}}),
            "warnings": _list(_NAME),
        }, "what produced this file (sgfb.utils.provenance)"),
        "timeline": _obj({
            "times_s": _list(_NUMBER),
            "class_indices": _list(_INDEX),
            "scores": _list(_list(_NUMBER), description="[T][K]"),
        }),
    },
    **_obj({
        "format": {"enum": [RESULT_FORMAT]},
        "version": {"enum": [RESULT_VERSION]},
        "video_id": _NAME,
        "path": _NAME,
        "duration_s": {"type": "number", "minimum": 0},
        "fps": {"type": "number", "minimum": 0},
        "num_frames": _INDEX,
        "relationship_threshold": _UNIT,
        "class_names": _list(_NAME),
        "object_names": _list(_NAME),
        "relationship_names": _list(_NAME),
        "actions": _list({"$ref": "#/$defs/action"}),
        "timeline": {"$ref": "#/$defs/timeline"},
        "sampled_frames": _list({"$ref": "#/$defs/frame"}),
        "errors": _list(_NAME),
        "provenance": {"$ref": "#/$defs/provenance"},
    }, optional=("provenance",)),
}


# ----------------------------------------------------------------------------- validator
def _where(path) -> str:
    """``["a", 3, "b"]`` -> ``"$.a[3].b"``."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _non_finite(instance: Any, path: str = "$") -> List[str]:
    if isinstance(instance, float) and not math.isfinite(instance):
        return [f"{path}: {instance} is not a finite number (JSON has no NaN/Infinity)"]
    if isinstance(instance, Mapping):
        return [e for k, v in instance.items() for e in _non_finite(v, f"{path}.{k}")]
    if isinstance(instance, (list, tuple)):
        return [e for i, v in enumerate(instance) for e in _non_finite(v, f"{path}[{i}]")]
    return []


def validate_instance(instance: Any, schema: Mapping[str, Any]) -> List[str]:
    """Errors (``"$.a[3].b: message"``) of ``instance`` against the JSON Schema ``schema``
    (draft 2020-12, validated with ``jsonschema``), in document order; empty when valid.
    Numbers must also be finite, which JSON Schema cannot say."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance),
                    key=lambda e: [str(p) for p in e.absolute_path])
    return _non_finite(instance) + [f"{_where(e.absolute_path)}: {e.message}" for e in errors]


def _consistency(obj: Mapping[str, Any]) -> List[str]:
    """Cross-field rules of a result that passed the schema."""
    errors: List[str] = []
    n_obj, n_rel = len(obj["object_names"]), len(obj["relationship_names"])
    n_cls = len(obj["class_names"])
    for i, action in enumerate(obj["actions"]):
        if n_cls and action["class_index"] >= n_cls:
            errors.append(f"$.actions[{i}].class_index: {action['class_index']} outside "
                          f"the {n_cls} class names")
    scores = [a["score"] for a in obj["actions"]]
    if any(a < b for a, b in zip(scores, scores[1:])):
        errors.append("$.actions: not ranked by descending score")
    timeline = obj["timeline"]
    t, k = len(timeline["times_s"]), len(timeline["class_indices"])
    if len(timeline["scores"]) != t or any(len(row) != k for row in timeline["scores"]):
        errors.append(f"$.timeline.scores: expected shape [{t}][{k}] "
                      f"(times_s x class_indices)")
    for f, frame in enumerate(obj["sampled_frames"]):
        where = f"$.sampled_frames[{f}]"
        nodes = frame["nodes"]
        n = len(nodes)
        for i, node in enumerate(nodes):
            if node["id"] != i:
                errors.append(f"{where}.nodes[{i}].id: {node['id']}, expected {i}")
            if node["label"] >= n_obj:
                errors.append(f"{where}.nodes[{i}].label: {node['label']} outside the "
                              f"{n_obj} object names")
            if node["box"] is not None and not frame["has_boxes"]:
                errors.append(f"{where}.nodes[{i}].box: a box in a frame without boxes")
        person = frame["person"]
        if person is not None and person >= n:
            errors.append(f"{where}.person: node {person} outside 0..{n - 1}")
        if frame["pairs"] and person is None:
            errors.append(f"{where}.pairs: pairs without a person node")
        for p, node in enumerate(frame["pairs"]):
            if node >= n or node == person:
                errors.append(f"{where}.pairs[{p}]: object node {node} invalid")
        for r, rel in enumerate(frame["relationships"]):
            if rel["pair"] >= len(frame["pairs"]):
                errors.append(f"{where}.relationships[{r}].pair: {rel['pair']} outside the pairs")
            if rel["predicate"] >= n_rel:
                errors.append(f"{where}.relationships[{r}].predicate: {rel['predicate']} "
                              f"outside the {n_rel} relationship names")
            for key in ("subject", "object"):
                if rel[key] >= n:
                    errors.append(f"{where}.relationships[{r}].{key}: node {rel[key]} "
                                  f"outside 0..{n - 1}")
            if rel["pair"] < len(frame["pairs"]):
                ends = (person, frame["pairs"][rel["pair"]])
                if rel["group"] == "spatial":
                    ends = ends[::-1]
                if (rel["subject"], rel["object"]) != ends:
                    errors.append(f"{where}.relationships[{r}]: subject/object "
                                  f"{rel['subject']}->{rel['object']} do not match pair "
                                  f"{rel['pair']} ({rel['group']} points {ends[0]}->{ends[1]})")
    return errors


def validate_result(obj: Any) -> List[str]:
    """Every problem of a parsed result file (schema and cross-field rules); [] when valid."""
    errors = validate_instance(obj, RESULT_SCHEMA)
    if errors:
        return errors
    return _consistency(obj)
