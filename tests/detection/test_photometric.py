"""Colour jitter of training frames (sgfb/detection/photometric.py) and its use by the datasets."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from sgfb.detection.dataset import DetectionFrames
from sgfb.detection.photometric import ColorJitter, adjust
from sgfb.relations.frames import SceneGraphClips, SceneGraphFrames
from sgfb.training.sg_config import SGConfig


def flat(rgb, h=4, w=6) -> np.ndarray:
    return np.tile(np.asarray(rgb, np.uint8), (h, w, 1))


def test_identity_factors_return_an_equal_copy():
    image = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    out = adjust(image)
    assert np.array_equal(out, image) and out is not image


def test_each_factor_does_what_it_says():
    assert np.array_equal(adjust(flat((200, 100, 40)), brightness=0.5), flat((100, 50, 20)))
    # half a turn: red to cyan (OpenCV's 256-step hue circle is off by a few levels)
    cyan = adjust(flat((255, 0, 0)), hue=0.5).astype(int)
    assert np.abs(cyan - flat((0, 255, 255))).max() <= 4
    grey = adjust(flat((200, 100, 40)), saturation=0.0)
    assert np.array_equal(grey, flat((200, 200, 200)))        # S = 0 keeps V = max channel
    halves = np.concatenate([flat((0, 0, 0), w=3), flat((200, 200, 200), w=3)], axis=1)
    assert np.array_equal(adjust(halves, contrast=0.0), flat((100, 100, 100)))
    assert np.array_equal(adjust(halves, contrast=0.5)[0, [0, 5]], [[50] * 3, [150] * 3])
    assert np.array_equal(adjust(flat((250, 10, 10)), brightness=2.0), flat((255, 10, 10)))


def test_draws_follow_the_strengths_and_the_generator():
    jitter = ColorJitter(brightness=0.4)
    image = flat((100, 100, 100))
    values = {int(jitter(image, np.random.default_rng(s))[0, 0, 0]) for s in range(200)}
    assert min(values) >= 60 and max(values) <= 140 and len(values) > 40
    assert np.array_equal(jitter(image, np.random.default_rng(7)),
                          jitter(image, np.random.default_rng(7)))
    assert not ColorJitter().active and ColorJitter(hue=0.1).active


@pytest.mark.parametrize("kwargs", [{"brightness": 1.0}, {"contrast": -0.1}, {"hue": 0.6}])
def test_out_of_range_strengths_are_refused(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        ColorJitter(**kwargs)


def test_config_errors_name_the_key():
    cfg = SGConfig()
    cfg.data.annotations, cfg.data.frames, cfg.data.saturation = "a", "f", 1.5
    with pytest.raises(ValueError, match=r"data\.saturation jitter 1\.5"):
        cfg.check()


def test_dataset_jitter_is_seeded_per_epoch_and_index_and_leaves_flips_alone(synthetic_frames):
    ag, frames_dir = synthetic_frames.ag, synthetic_frames.frames_dir
    jitter = ColorJitter(0.3, 0.3, 0.3, 0.05)
    plain = DetectionFrames(ag, frames_dir, flip_prob=0.5, seed=2)
    jittered = DetectionFrames(ag, frames_dir, flip_prob=0.5, seed=2, color_jitter=jitter)
    again = DetectionFrames(ag, frames_dir, flip_prob=0.5, seed=2, color_jitter=jitter)
    for data in (plain, jittered, again):
        data.set_epoch(3)
    assert [plain.flips(i) for i in range(len(plain))] == \
        [jittered.flips(i) for i in range(len(plain))]
    for index in range(3):
        (a, ta, _), (b, tb, _), (c, _, _) = plain[index], jittered[index], again[index]
        assert torch.equal(b, c) and not torch.equal(a, b) and a.shape == b.shape
        assert torch.equal(ta["boxes"], tb["boxes"])
    before = jittered[0][0]
    jittered.set_epoch(4)
    assert not torch.equal(jittered[0][0], before)


def test_a_clip_shares_one_jitter_draw(synthetic_frames):
    frames = SceneGraphFrames(synthetic_frames.ag, synthetic_frames.frames_dir, seed=1,
                              color_jitter=ColorJitter(brightness=0.5))
    clips = SceneGraphClips(frames, 2)
    index = next(i for i, clip in enumerate(clips.clips) if len(clip) == 2)
    first, second = (item[0] for item in clips[index])
    ratio = [(image.sum() / frames.image(i).sum()).item()
             for image, i in ((first, clips.clips[index][0]), (second, clips.clips[index][1]))]
    reference = [(frames.image(i, draw=index).sum() / frames.image(i).sum()).item()
                 for i in clips.clips[index]]
    assert ratio == pytest.approx(reference)
