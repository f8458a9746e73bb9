"""tools/infer.py on generated videos with tiny checkpoints trained in the session."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from sgfb.data.video import open_video
from sgfb.inference.result import read_result_json
from sgfb.inference.schema import validate_result
from sgfb.inference.pipeline import InferenceConfig, VideoPipeline, sampled_indices
from sgfb.structures.scene_graph import SceneGraph

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INFER = os.path.join(ROOT, "tools", "infer.py")
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
FAST = ["--device", "cpu", "--views", "2", "--crops", "1", "--sample-fps", "2", "--no-progress"]


@pytest.fixture(scope="module")
def inputs(sg_dataset, tmp_path_factory):
    """Two good videos, a zero-length file, a truncated file (intact header, tail cut off)
    and a missing path."""
    from videos_util import faststart_copy, truncate_file

    folder = tmp_path_factory.mktemp("infer_inputs")
    videos = sorted(os.listdir(sg_dataset["videos"]))[:2]
    for name in videos:
        shutil.copy(sg_dataset["videos"] / name, folder / name)
    (folder / "empty.mp4").write_bytes(b"")
    whole = faststart_copy(str(sg_dataset["videos"] / videos[0]), str(folder.parent / "fs.mp4"))
    truncate_file(whole, str(folder / "cut.mp4"), 0.6)
    return folder, [os.path.splitext(v)[0] for v in videos]


def test_sampling_rate():
    assert sampled_indices(10, 30.0, 10.0).tolist() == [0, 3, 6, 9]
    assert sampled_indices(5, 2.0, 10.0).tolist() == [0, 1, 2, 3, 4]


def test_infer_writes_json_video_and_report_and_reports_failures(inputs, sg_run, sgfb_run, tmp_path):
    folder, good = inputs
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, INFER, str(folder), str(folder / "missing.mp4"),
                           "--sg-checkpoint", str(sg_run / "model.pt"), "--action-checkpoint",
                           str(sgfb_run / "model.pt"), "--out", str(out), *FAST],
                          env=ENV, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr[-2000:]                  # some videos failed
    for name in ("empty.mp4", "cut.mp4", "missing.mp4"):
        assert f"FAILED {folder / name}" in done.stdout, done.stdout[-2000:]
        assert not (out / f"{name}.json").exists()
    failed_cut = next(line for line in done.stdout.splitlines()
                      if line.startswith(f"FAILED {folder / 'cut.mp4'}"))
    assert "truncated or corrupt video (missing tail" in failed_cut
    assert "Errno" not in done.stdout
    for video_id in good:
        data = json.loads((out / f"{video_id}.mp4.json").read_text())
        assert validate_result(data) == []
        result = read_result_json(str(out / f"{video_id}.mp4.json"))
        assert len(result.actions) == 18 and result.actions[0].score >= result.actions[-1].score
        assert len(result.timeline.times_s) == int(np.ceil(result.duration_s))
        assert len(result.sampled_frames) == len(sampled_indices(result.num_frames, result.fps, 2))
        with open_video(str(out / f"{video_id}.mp4.annotated.mp4")) as annotated, \
                open_video(str(folder / f"{video_id}.mp4")) as source:
            assert annotated.num_frames == source.num_frames
    report = (out / "report.html").read_text()
    assert all(v in report for v in good) and "empty.mp4" in report


def test_a_video_without_detections_still_gets_actions(inputs, sg_run, sgfb_run, tmp_path):
    folder, good = inputs
    pipeline = VideoPipeline(str(sg_run / "model.pt"), str(sgfb_run / "model.pt"), "cpu",
                             InferenceConfig(views=2, crops=1, progress=False))
    pipeline.predictor.predict = lambda images, keys, gt, mode: [
        SceneGraph.empty(k, image_size=(im.shape[-1], im.shape[-2])) for im, k in zip(images, keys)]
    result = pipeline.run_video(str(folder / f"{good[0]}.mp4"))
    assert result.ok and result.sampled_frames
    assert all(f.graph.num_nodes == 0 for f in result.sampled_frames)
    assert len(result.actions) == 18
    assert validate_result(result.to_json_dict()) == []


def test_an_stsgn_checkpoint_can_be_the_action_model(inputs, sg_run, stsgn_run, tmp_path):
    folder, good = inputs
    out = tmp_path / "stsgn"
    subprocess.run([sys.executable, INFER, str(folder / f"{good[0]}.mp4"), "--sg-checkpoint",
                    str(sg_run / "model.pt"), "--action-checkpoint", str(stsgn_run / "model.pt"),
                    "--out", str(out), "--no-video", *FAST],
                   env=ENV, check=True, capture_output=True, timeout=600)
    result = read_result_json(str(out / f"{good[0]}.mp4.json"))
    assert len(result.actions) == 18 and result.timeline.scores.shape[1] == 5


def test_frame_times_are_presentation_times_on_vfr_video(sg_run, sgfb_run, tmp_path):
    from videos_util import write_timed_pattern_video

    slots = [0, 1, 2, 3, 4, 8, 9, 10, 20, 21, 22, 23, 40, 41, 60, 61, 62, 63, 64, 65]
    path = write_timed_pattern_video(tmp_path / "vfr.mp4", slots)   # 25 ticks per second
    pipeline = VideoPipeline(str(sg_run / "model.pt"), str(sgfb_run / "model.pt"), "cpu",
                             InferenceConfig(views=2, crops=1, progress=False, sample_fps=5))
    result = pipeline.run_video(path)
    assert result.ok, result.errors
    got = [(f.frame_index, f.time_s) for f in result.sampled_frames]
    step = max(1, round(result.fps / 5))
    assert got == [(i, slots[i] / 25) for i in range(0, len(slots), step)]


def test_without_writers_the_pipeline_writes_predictions_only(inputs, sg_run, sgfb_run,
                                                              tmp_path):
    """The mp4 and report writers are injected (sgfb.inference.outputs); without them the
    same predictions are written and nothing else."""
    from sgfb.visualization.inference_outputs import inference_writers

    folder, good = inputs
    video = str(folder / f"{good[0]}.mp4")
    cfg = InferenceConfig(views=2, crops=1, progress=False)
    bare = VideoPipeline(str(sg_run / "model.pt"), str(sgfb_run / "model.pt"), "cpu", cfg)
    summary = bare.run([video], str(tmp_path / "bare"), log=lambda m: None)
    assert sorted(os.listdir(tmp_path / "bare")) == [f"{good[0]}.mp4.json", "summary.json"]
    with pytest.raises(ValueError, match="annotated_video writer"):
        bare.run_video(video, video_out=str(tmp_path / "x.mp4"))
    full = VideoPipeline(str(sg_run / "model.pt"), str(sgfb_run / "model.pt"), "cpu", cfg,
                         writers=inference_writers())
    full_summary = full.run([video], str(tmp_path / "full"), log=lambda m: None)
    assert sorted(os.listdir(tmp_path / "full")) == [
        f"{good[0]}.mp4.annotated.mp4", f"{good[0]}.mp4.json", "report.html", "summary.json"]
    a, b = summary.results[0], full_summary.results[0]
    assert [(x.class_index, x.score) for x in a.actions] == \
        [(x.class_index, x.score) for x in b.actions]
