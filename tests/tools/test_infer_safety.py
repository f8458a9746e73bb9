"""tools/infer.py never writes over, into or around its inputs, gives every input its own
outputs, and never leaves a failed video's old results looking current."""
import json
import os
import shutil
import subprocess
import sys

import pytest
from videos_util import tree_digest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INFER = os.path.join(ROOT, "tools", "infer.py")
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
FAST = ["--device", "cpu", "--views", "2", "--crops", "1", "--sample-fps", "2", "--no-progress",
        "--no-video"]


def infer(*args, checkpoints=("sg.pt", "action.pt")):
    return subprocess.run([sys.executable, INFER, *args, "--sg-checkpoint", str(checkpoints[0]),
                           "--action-checkpoint", str(checkpoints[1])],
                          env=ENV, capture_output=True, text=True, timeout=600)


@pytest.fixture
def user_folder(tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "clip.mp4").write_bytes(b"not really a video, but the user's bytes")
    (videos / "report.html").write_text("the user's own page")
    return videos


@pytest.mark.parametrize("out,message", [
    ("{v}", "is the input"),
    ("{v}/predictions", "lies inside the input folder"),
    ("{v}/..", "contains the input"),
    ("{v}/clip.mp4", "is an existing file"),
])
def test_output_locations_around_inputs_are_refused_before_anything_is_written(
        user_folder, out, message):
    before = tree_digest(user_folder.parent)
    done = infer(str(user_folder), "--out", out.format(v=user_folder))
    assert done.returncode == 1
    assert message in done.stderr and len(done.stderr.splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert tree_digest(user_folder.parent) == before


@pytest.mark.parametrize("files", [[], ["notes.txt", "clip.mp4.part"]])
def test_a_folder_without_videos_is_an_error(tmp_path, files):
    (tmp_path / "in").mkdir()
    for name in files:
        (tmp_path / "in" / name).write_text("x")
    done = infer(str(tmp_path / "in"), "--out", str(tmp_path / "out"))
    assert done.returncode == 1 and not (tmp_path / "out").exists()
    assert done.stderr.strip() == (
        f"infer.py: error: {tmp_path / 'in'}: no video files in this folder (looked for "
        ".mp4, .avi, .mkv, .webm, .mov, .m4v)")


@pytest.mark.parametrize("flag,value", [("--timeline-step", "0"), ("--sample-fps", "0"),
                                        ("--batch-size", "0"), ("--batch-size", "-2"),
                                        ("--views", "0"), ("--sample-fps", "nan")])
def test_senseless_values_are_refused_before_any_work(user_folder, tmp_path, flag, value):
    done = infer(str(user_folder), "--out", str(tmp_path / "out"), flag, value)
    assert done.returncode == 2 and f"error: argument {flag}" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow   # > 20 s on 2 cores
def test_a_mixed_folder_as_a_new_user_has_it(sg_dataset, sg_run, sgfb_run, tmp_path):
    """Good, truncated, zero-byte and duplicate-named videos: every good video has its own
    results, every bad one is named once in the summary, the exit status is 1, no input byte
    changes; a later failure of a video removes its earlier results."""
    from videos_util import faststart_copy, truncate_file

    source = sorted(sg_dataset["videos"].iterdir())
    inputs = tmp_path / "in"
    for rel, src in (("a/clip.mp4", source[0]), ("b/clip.mp4", source[1]),
                     ("a/x.mp4", source[2]), ("a/x.avi", source[0])):
        (inputs / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, inputs / rel)
    (inputs / "a" / "empty.mp4").write_bytes(b"")
    whole = faststart_copy(str(source[1]), str(tmp_path / "faststart.mp4"))
    truncate_file(whole, str(inputs / "b" / "cut.mp4"), 0.6)
    before = tree_digest(inputs)
    out = tmp_path / "out"
    checkpoints = (sg_run / "model.pt", sgfb_run / "model.pt")
    done = infer(str(inputs), "--out", str(out), *FAST, checkpoints=checkpoints)
    assert done.returncode == 1, done.stderr[-2000:]
    summary_lines = done.stdout[done.stdout.index(" videos processed in "):].splitlines()
    for bad in ("a/empty.mp4", "b/cut.mp4"):
        assert sum(line.startswith(f"FAILED {inputs / bad}:") for line in summary_lines) == 1
        assert not (out / f"{bad}.json").exists()
    assert "missing tail" in done.stdout
    for rel in ("a/clip.mp4", "b/clip.mp4", "a/x.mp4", "a/x.avi"):
        data = json.loads((out / f"{rel}.json").read_text())
        assert data["video_id"] == rel and data["path"] == str(inputs / rel)
    summary = json.loads((out / "summary.json").read_text())
    assert [(v["name"], v["ok"]) for v in summary["videos"]] == [
        ("a/clip.mp4", True), ("a/empty.mp4", False), ("a/x.avi", True), ("a/x.mp4", True),
        ("b/clip.mp4", True), ("b/cut.mp4", False)]
    recorded = summary["provenance"]["checkpoints"]["action"]
    assert recorded["path"].endswith("model.pt") and len(recorded["sha256"]) >= 12
    assert all(v["decoding_backend"] != "unknown" for v in summary["videos"] if v["ok"])
    assert tree_digest(inputs) == before                          # no input byte changed

    (inputs / "b" / "clip.mp4").write_bytes(b"")             # now b/clip.mp4 is broken too
    before = tree_digest(inputs)
    again = infer(str(inputs), "--out", str(out), *FAST, checkpoints=checkpoints)
    assert again.returncode == 1
    assert not (out / "b" / "clip.mp4.json").exists()          # no stale result
    summary = json.loads((out / "summary.json").read_text())
    failed = [v for v in summary["videos"] if not v["ok"]]
    assert [v["name"] for v in failed] == ["a/empty.mp4", "b/clip.mp4", "b/cut.mp4"]
    assert all("json" not in v for v in failed)
    assert summary["failed"] == 3 and summary["processed"] == 3
    assert (out / "a" / "clip.mp4.json").exists()
    assert tree_digest(inputs) == before
