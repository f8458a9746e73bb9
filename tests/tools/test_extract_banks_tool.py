"""tools/extract_banks.py --videos: predicted banks on frames sampled from the videos, with a
tiny stage-1 checkpoint; they equal what tools/infer.py builds and they train an SGFB head."""
import os
import shutil
import subprocess
import sys

import pytest

from sgfb.feature_bank.bank import bank_path, load_bank
from sgfb.inference.pipeline import InferenceConfig, VideoPipeline
from sgfb.structures.confidence import frame_features

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXTRACT = os.path.join(ROOT, "tools", "extract_banks.py")
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def extract(*args):
    return subprocess.run([sys.executable, EXTRACT, "--no-progress", *map(str, args)], env=ENV,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def video_banks(sg_dataset, sg_run, tmp_path_factory):
    """Banks at 2 graphs per second of the three dataset videos and of a corrupt copy."""
    root = tmp_path_factory.mktemp("video_banks")
    videos = root / "videos"
    shutil.copytree(sg_dataset["videos"], videos)
    (videos / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    done = extract("--videos", videos, "--scene-graph-model", sg_run / "model.pt",
                   "--sample-fps", 2, "--batch-size", 3, "--out", root / "banks")
    return root, done


def test_every_video_gets_a_bank_and_the_broken_one_is_reported(video_banks, sg_dataset, sg_run):
    root, done = video_banks
    assert done.returncode == 1, done.stderr[-2000:]
    assert "banks: 3 written, 0 already there, 1 failed" in done.stdout
    assert "FAILED broken: " in done.stdout and "broken.mp4" in done.stdout
    names = sorted(os.path.splitext(v)[0] for v in os.listdir(sg_dataset["videos"]))
    assert sorted(os.listdir(root / "banks")) == [f"{n}.npz" for n in names]
    for name in names:   # 3-s videos at 2 graphs per second: 6 entries from 0 s, 0.5 s apart
        bank = load_bank(bank_path(str(root / "banks"), name))
        assert bank.times.tolist() == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5], abs=0.05)
    again = extract("--videos", root / "videos", "--scene-graph-model",
                    sg_run / "model.pt", "--sample-fps", 2, "--out", root / "banks")
    assert again.returncode == 1 and "0 written, 3 already there, 1 failed" in again.stdout


def test_banks_equal_what_inference_builds_from_the_same_video(video_banks, sg_run, sgfb_run,
                                                               sg_dataset):
    root, _ = video_banks
    name = sorted(os.listdir(sg_dataset["videos"]))[0]
    pipeline = VideoPipeline(str(sg_run / "model.pt"), str(sgfb_run / "model.pt"), "cpu",
                             InferenceConfig(views=2, crops=1, progress=False, sample_fps=2,
                                             write_video=False))
    result = pipeline.run_video(str(sg_dataset["videos"] / name))
    assert result.ok, result.errors
    bank = load_bank(bank_path(str(root / "banks"), os.path.splitext(name)[0]))
    assert bank.times.tolist() == pytest.approx([f.time_s for f in result.sampled_frames])
    expected = frame_features([f.graph for f in result.sampled_frames])
    assert bank.features.shape == expected.shape and abs(bank.features - expected).max() < 1e-5


def test_video_banks_train_an_sgfb_head(video_banks, sg_dataset, tmp_path):
    from test_sgfb_tools import run

    root, _ = video_banks
    run(tmp_path / "run", sg_dataset, "--fbo", "max", "--bank-dir", str(root / "banks"))
    assert (tmp_path / "run" / "model.pt").exists()


@pytest.mark.parametrize("args, message", [
    (["--videos", "v"], "--videos needs --scene-graph-model"),
    (["--videos", "v", "--scene-graph-model", "m", "--graphs", "g"], "drop --annotations"),
    (["--videos", "v", "--scene-graph-model", "m", "--sample-fps", "0"], "--sample-fps"),
    ([], "give --annotations and --fps-table"),
])
def test_argument_errors_name_the_option(args, message, tmp_path):
    done = extract(*args, "--out", tmp_path / "out")
    assert done.returncode == 2 and message in done.stderr
    assert not (tmp_path / "out").exists()
