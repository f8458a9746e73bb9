"""Shared fixtures of the detector tests: a tiny rendered synthetic AG dataset with its frames
dumped (2 videos, 3 s, 320x240; about 1.5 s, made once per session)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from sgfb.data.action_genome import ActionGenome, read_frame_keys
from sgfb.data.frame_dump import dump_frames
from sgfb.synthetic import make_synthetic


@dataclass
class SyntheticFrames:
    root: Path
    ag: ActionGenome
    frames_dir: str


@pytest.fixture(scope="session")
def synthetic_frames(tmp_path_factory) -> SyntheticFrames:
    root = tmp_path_factory.mktemp("detection_synthetic")
    make_synthetic(str(root / "dataset"), videos=2, seed=0, seconds=3, workers=1)
    annotations = str(root / "dataset" / "annotations")
    frames_dir = str(root / "frames")
    summary = dump_frames(os.path.join(root, "dataset", "videos"), read_frame_keys(annotations),
                          frames_dir, workers=1, progress=False)
    assert summary.ok, summary.format()
    return SyntheticFrames(root, ActionGenome.load(annotations), frames_dir)


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """One intra-op thread: these CPU tests share small machines with other jobs."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
