"""Shared fixtures. Real annotation data is reached as ../shared/data from the project root."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


def _text(stream) -> str:
    if isinstance(stream, bytes):
        return stream.decode("utf-8", "replace")
    return stream or ""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test or fixture that fails on a tool run with ``check=True`` (CalledProcessError)
    or past its timeout shows what the tool printed (the tail of its stderr and stdout) in
    its report, where the exception alone says only the exit status."""
    outcome = yield
    error = call.excinfo.value if call.excinfo is not None else None
    if not isinstance(error, (subprocess.CalledProcessError, subprocess.TimeoutExpired)):
        return
    report = outcome.get_result()
    err, out = _text(error.stderr), _text(error.stdout)
    for name, text in (("stderr", err), ("stdout", out)):
        if text.strip():
            report.sections.append((f"the failed command's {name} (last 3000 characters)",
                                    text[-3000:]))


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real annotation data not found at {path} (only present on dev/CI machines)")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Root of the real Charades / Action Genome annotations; skips when absent."""
    return _require(SHARED_DATA)


@pytest.fixture(scope="session")
def ag_vocab_dir(shared_data: Path) -> Path:
    return _require(shared_data / "action_genome")


@pytest.fixture(scope="session")
def ag_real_subset(shared_data: Path) -> Path:
    return _require(shared_data / "ag_real_subset")


@pytest.fixture(scope="session")
def charades_dir(shared_data: Path) -> Path:
    return _require(shared_data / "charades")


@pytest.fixture(scope="session")
def ffmpeg() -> str:
    exe = shutil.which("ffmpeg")
    if exe is None:
        pytest.skip("ffmpeg not installed (make sysdeps installs it with apt-get as root)")
    return exe


@pytest.fixture(autouse=True)
def _single_thread_torch():
    """Keep CPU tests deterministic and polite on 2-core machines."""
    try:
        import torch
        torch.set_num_threads(min(2, os.cpu_count() or 1))
    except ImportError:
        pass
    yield


@pytest.fixture(scope="session")
def sg_dataset(tmp_path_factory):
    """A rendered synthetic AG dataset with both splits (3 videos of 3 s: train, train, test)
    and its annotated frames dumped; made once per session (about 2 s)."""
    from sgfb.data.action_genome import read_frame_keys
    from sgfb.data.frame_dump import dump_frames
    from sgfb.synthetic import make_synthetic

    root = tmp_path_factory.mktemp("sg_dataset")
    dataset = root / "dataset"
    make_synthetic(str(dataset), videos=3, seed=0, seconds=3, workers=1)
    summary = dump_frames(str(dataset / "videos"), read_frame_keys(str(dataset / "annotations")),
                          str(root / "frames"), workers=1, progress=False)
    assert summary.ok, summary.format()
    return {"root": root, "dataset": dataset, "annotations": dataset / "annotations",
            "frames": root / "frames", "videos": dataset / "videos",
            "charades": dataset / "charades"}


@pytest.fixture(scope="session")
def clips_world(tmp_path_factory):
    """A tiny synthetic Charades world for clip datasets: 2 videos of 3 s (320x240, 30 fps);
    ``(folder, Charades of both splits, sorted video ids)``. Tests read it, never write it."""
    from sgfb.data.charades import Charades
    from sgfb.synthetic import make_synthetic

    out = tmp_path_factory.mktemp("clips") / "syn"
    make_synthetic(str(out), videos=2, seed=0, seconds=3, workers=1)
    cha = out / "charades"
    charades = Charades.load([str(cha / "Charades_v1_train.csv"),
                              str(cha / "Charades_v1_test.csv")],
                             str(cha / "Charades_v1_classes.txt"))
    return out, charades, sorted(charades.videos)
