"""sgfb.utils.provenance and the provenance carried by result JSON files and report.html."""
from __future__ import annotations

import datetime as dt
import hashlib
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_util import make_result  # noqa: E402

import sgfb  # noqa: E402
from sgfb.synthetic.video import VideoWriter  # noqa: E402
from sgfb.utils.checkpoint import save_checkpoint  # noqa: E402
from sgfb.inference.result import VideoResult  # noqa: E402
from sgfb.inference.run_info import class_names_from, class_source  # noqa: E402
from sgfb.inference.schema import validate_result  # noqa: E402
from sgfb.utils.provenance import (SYNTHETIC_MARKER, checkpoint_record, dataset_kind,  # noqa: E402
                             describe_training, synthetic_model_warning, training_record,
                             video_is_synthetic)
from sgfb.visualization.report import render_report  # noqa: E402

WHEN = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc)


def test_training_record_fields(tmp_path):
    rec = training_record("small_synthetic.yaml", "synthetic", 159, "frames", str(tmp_path), WHEN)
    assert rec == {"trained_at": "2026-03-04T05:06:07Z", "config_name": "small_synthetic.yaml",
                   "data_kind": "synthetic", "data_size": 159, "data_unit": "frames",
                   "data_source": str(tmp_path), "sgfb_version": sgfb.__version__}
    assert training_record("", "real", 3, "videos", "", WHEN)["config_name"] == "unknown"
    with pytest.raises(ValueError, match="data_kind"):
        training_record("x", "cartoon", 1, "frames", "", WHEN)


def test_dataset_kind_reads_the_marker_here_or_in_the_parent(tmp_path):
    annotations = tmp_path / "ds" / "annotations"
    annotations.mkdir(parents=True)
    assert dataset_kind(str(annotations)) == "real"
    (tmp_path / "ds" / SYNTHETIC_MARKER).write_text("x")
    assert dataset_kind(str(annotations)) == "synthetic"
    (tmp_path / "ds" / SYNTHETIC_MARKER).unlink()
    (annotations / SYNTHETIC_MARKER).write_text("x")
    assert dataset_kind(str(annotations)) == "synthetic"


def test_checkpoint_record_new_and_old(tmp_path):
    new = tmp_path / "new.pt"
    rec = training_record("c.yaml", "synthetic", 12, "videos", "/data", WHEN)
    save_checkpoint(str(new), {"format": "sgfb.action/1", "provenance": rec,
                               "w": torch.zeros(3)})
    got = checkpoint_record(str(new), torch.load(new, weights_only=True))
    assert got["sha256"] == hashlib.sha256(new.read_bytes()).hexdigest()[:12]
    assert got["path"] == str(new) and got["format"] == "sgfb.action/1"
    assert (got["data_kind"], got["data_size"], got["config_name"]) == ("synthetic", 12, "c.yaml")
    assert got["trained_at"] == "2026-03-04T05:06:07Z"
    assert describe_training(got) == ("synthetic data, 12 videos, config c.yaml, "
                                      "trained 2026-03-04")
    old = tmp_path / "old.pt"   # written before provenance and the one "format" key
    save_checkpoint(str(old), {"kind": "sgfb.action/1", "w": torch.zeros(1)})
    got = checkpoint_record(str(old), torch.load(old, weights_only=True))
    assert got["format"] == "sgfb.action/1"
    assert {got[k] for k in ("trained_at", "config_name", "data_kind", "data_size",
                             "sgfb_version")} == {"unknown"}
    assert describe_training(got) == "unknown data, size unknown, config unknown, trained unknown"


def test_synthetic_model_warning():
    synthetic, real = {"data_kind": "synthetic"}, {"data_kind": "real"}
    unknown = {"data_kind": "unknown"}
    assert synthetic_model_warning({"action": real, "scene_graph": unknown}, False) is None
    assert synthetic_model_warning({"action": synthetic}, True) is None
    one = synthetic_model_warning({"scene_graph": synthetic, "action": real}, False)
    assert one.startswith("the scene-graph model was trained on the synthetic world only")
    two = synthetic_model_warning({"scene_graph": synthetic, "action": synthetic}, False)
    assert two == ("the scene-graph and action models were trained on the synthetic world "
                   "only: their predictions are not meaningful on real footage")


def _write(path: Path, tagged: bool) -> None:
    frame = np.full((32, 48, 3), 90, np.uint8)
    if tagged:
        with VideoWriter(str(path), 48, 32, Fraction(10)) as video:
            for _ in range(3):
                video.write(frame)
        return
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 48, 32, "yuv420p"
        for _ in range(3):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def test_video_is_synthetic_reads_the_generator_tag(tmp_path):
    _write(tmp_path / "synthetic.mp4", tagged=True)
    _write(tmp_path / "camera.mp4", tagged=False)
    assert video_is_synthetic(str(tmp_path / "synthetic.mp4"))
    assert not video_is_synthetic(str(tmp_path / "camera.mp4"))
    assert not video_is_synthetic(str(tmp_path / "missing.mp4"))


def _provenance(warnings=()):
    ck = {"path": "/runs/sg/model.pt", "sha256": "0123456789ab", "format": "sgfb.scene_graph/1",
          "trained_at": "2026-03-04T05:06:07Z", "config_name": "small_synthetic.yaml",
          "data_kind": "synthetic", "data_size": 159, "data_unit": "frames",
          "data_source": "/d/annotations", "sgfb_version": "0.1.0"}
    return {"software": {"sgfb": "0.1.0", "torch": "2", "torchvision": "0"},
            "decoding_backend": "pyav", "class_list": {"source": "checkpoint", "count": 4},
            "checkpoints": {"scene_graph": ck, "action": dict(ck, data_size="unknown")},
            "warnings": list(warnings)}


def test_result_json_carries_provenance_and_stays_optional():
    result = make_result(threshold=0.0)   # every score listed: the round trip is exact
    result.provenance = _provenance(["trained on the synthetic world only"])
    obj = result.to_json_dict()
    assert validate_result(obj) == []
    back = VideoResult.from_json_dict(obj)
    assert back.equals(result) and back.to_json_dict() == obj
    old = make_result().to_json_dict()           # no provenance: still valid, still equal
    assert "provenance" not in old and validate_result(old) == []
    broken = dict(obj, provenance=dict(obj["provenance"]))
    del broken["provenance"]["decoding_backend"]
    assert any("decoding_backend" in e for e in validate_result(broken))


def test_run_summary_carries_the_run_provenance_and_each_videos_backend_and_warnings():
    from sgfb.inference.pipeline import RunSummary, run_summary_json

    good = make_result()
    good.provenance = _provenance(["not meaningful on real footage"])
    bad = VideoResult.failed("cut.mp4", "/in/cut.mp4", "/in/cut.mp4: missing tail")
    run = {k: v for k, v in _provenance().items() if k not in ("decoding_backend", "warnings")}
    out = run_summary_json("/out", RunSummary(results=[good, bad]), run)
    assert out["provenance"] == run
    first, second = out["videos"]
    assert first["decoding_backend"] == "pyav"
    assert first["warnings"] == ["not meaningful on real footage"]
    assert "decoding_backend" not in second and second["errors"] == ["/in/cut.mp4: missing tail"]
    assert "provenance" not in run_summary_json("/out", RunSummary(results=[bad]))


def test_class_names_from_file(tmp_path):
    path = tmp_path / "classes.txt"
    path.write_text("c000 Holding some clothes\nc001 Putting clothes somewhere\n")
    assert class_names_from(str(path), 2) == ["Holding some clothes", "Putting clothes somewhere"]
    with pytest.raises(ValueError, match="2 class names, but the action model has 157"):
        class_names_from(str(path), 157)


def test_report_shows_warning_provenance_and_class_ids():
    warned = make_result("real1", "real1.mp4")
    warned.provenance = _provenance(["the action model was trained on the synthetic world"])
    page = render_report([warned], frames={"real1": []})
    assert 'role="alert"' in page and "trained on the synthetic world." in page
    assert "0123456789ab" in page and "synthetic data, 159 frames" in page
    assert "size unknown" in page and "4 classes from checkpoint" in page
    assert "<dd>pyav</dd>" in page
    assert "<code>c000</code>" in page and "max" in page and "test views" in page
    quiet = make_result("syn1", "syn1.mp4")
    quiet.provenance = _provenance()
    page = render_report([quiet], frames={"syn1": []})
    assert 'role="alert"' not in page and "0123456789ab" in page
    page = render_report([make_result()], frames={"vid1": []})
    assert "carry no provenance" in page


def test_class_source_says_when_only_ids_are_known():
    assert class_source(["Holding a cup"], "") == "checkpoint"
    assert class_source(["c000", "c151"], "").startswith("checkpoint (ids only")
    assert class_source(["c000"], "classes.txt") == "classes.txt"
