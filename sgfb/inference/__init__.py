"""The output side of video -> predictions inference: result records, their JSON file
and its schema. Drawing (annotated video, HTML report) lives in :mod:`sgfb.visualization`."""
from sgfb.inference.result import (ActionTimeline, FramePrediction, RankedAction, VideoResult,
                                   read_result_json, top_actions, write_result_json)
from sgfb.inference.schema import RESULT_SCHEMA, validate_result

__all__ = [
    "ActionTimeline", "FramePrediction", "RankedAction", "VideoResult", "RESULT_SCHEMA",
    "read_result_json", "top_actions", "validate_result", "write_result_json",
]
