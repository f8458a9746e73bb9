"""DetectionFrames over dumped synthetic AG frames."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from detection_util import tiny_detector
from sgfb.data.action_genome import ActionGenome, AGFrame, AGObject
from sgfb.structures.vocab import PERSON
from sgfb.detection.dataset import DetectionFrames, collate, frame_targets


def box(*xyxy: float) -> np.ndarray:
    return np.asarray(xyxy, np.float32)


def one_frame_ag(key: str, objects, person_box=None) -> ActionGenome:
    video, number = key.split("/")
    return ActionGenome([AGFrame(key=key, video=video, frame_number=int(number[:-4]),
                                 split="train", objects=objects, person_box=person_box)])


def test_items_are_images_with_person_and_visible_object_boxes(synthetic_frames):
    ag = synthetic_frames.ag
    data = DetectionFrames(ag, synthetic_frames.frames_dir)
    assert len(data) == len(ag) == 10
    for index, key in enumerate(data.keys):
        image, target, got_key = data[index]
        frame = ag[key]
        assert got_key == key
        assert image.dtype == torch.float32 and image.shape == (3, 240, 320)
        assert 0.0 <= image.min() and image.max() <= 1.0 and image.std() > 0.01
        expected = ([PERSON] if frame.person_box is not None else []) + \
            [o.label for o in frame.objects if o.visible and o.box is not None]
        assert target["labels"].tolist() == expected
        assert target["boxes"].shape == (len(expected), 4)
        if frame.person_box is not None:
            limits = torch.tensor([320.0, 240.0, 320.0, 240.0])
            person = torch.from_numpy(frame.person_box).clamp(min=0)
            assert torch.allclose(target["boxes"][0], torch.minimum(person, limits))
    # the synthetic set has invisible objects and frames without a person: both handled
    assert any(not o.visible for f in ag for o in f.objects)
    assert any(f.person_box is None for f in ag)


def test_invisible_boxless_and_empty_boxes_are_skipped():
    objects = [
        AGObject(label=5, box=box(10, 10, 30, 30), visible=False, relations=()),
        AGObject(label=7, box=None, visible=True, relations=()),
        AGObject(label=9, box=box(-5, 20, 40, 260), visible=True, relations=(3,)),
        AGObject(label=11, box=box(50, 50, 50, 80), visible=True, relations=()),   # no width
        AGObject(label=12, box=box(330, 10, 350, 20), visible=True, relations=()),  # outside
    ]
    frame = one_frame_ag("V.mp4/000001.png", objects, person_box=box(1, 2, 3, 4)).frames
    target = frame_targets(frame["V.mp4/000001.png"], width=320, height=240)
    assert target["labels"].tolist() == [PERSON, 9]
    assert target["boxes"].tolist() == [[1, 2, 3, 4], [0, 20, 40, 240]]
    empty = frame_targets(one_frame_ag("V.mp4/000001.png", objects[:2])["V.mp4/000001.png"],
                          width=320, height=240)
    assert empty["boxes"].shape == (0, 4) and empty["boxes"].dtype == torch.float32
    assert empty["labels"].shape == (0,) and empty["labels"].dtype == torch.int64


def test_frame_without_boxes_is_still_an_item(synthetic_frames):
    key = next(iter(synthetic_frames.ag.frames))
    ag = one_frame_ag(key, [AGObject(label=3, box=None, visible=False, relations=())])
    image, target, _ = DetectionFrames(ag, synthetic_frames.frames_dir)[0]
    assert image.shape == (3, 240, 320) and target["boxes"].shape == (0, 4)


def test_flips_mirror_boxes_and_depend_only_on_seed_epoch_index(synthetic_frames):
    ag, frames_dir = synthetic_frames.ag, synthetic_frames.frames_dir
    plain = DetectionFrames(ag, frames_dir)
    flipped = DetectionFrames(ag, frames_dir, flip_prob=1.0)
    index = next(i for i, k in enumerate(plain.keys) if ag[k].person_box is not None)
    image, target, _ = plain[index]
    image_f, target_f, _ = flipped[index]
    assert torch.equal(image_f, image.flip(-1))
    x1, y1, x2, y2 = target["boxes"].unbind(1)
    assert torch.allclose(target_f["boxes"], torch.stack([320 - x2, y1, 320 - x1, y2], 1))

    def pattern(seed: int, epoch: int):
        data = DetectionFrames(ag, frames_dir, flip_prob=0.5, seed=seed)
        data.set_epoch(epoch)
        return [data.flips(i) for i in range(200)]

    first = pattern(3, 0)
    np.random.seed(123)
    torch.manual_seed(123)                      # global random state plays no part
    assert pattern(3, 0) == first
    assert pattern(3, 1) != first and pattern(4, 0) != first
    assert 60 < sum(first) < 140


def test_missing_and_unreadable_images_name_the_frame(synthetic_frames, tmp_path):
    key = "NOPE0.mp4/000001.png"
    data = DetectionFrames(one_frame_ag(key, []), str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"NOPE0\.mp4/000001\.png"):
        data[0]
    (tmp_path / "NOPE0.mp4").mkdir()
    (tmp_path / "NOPE0.mp4" / "000001.png").write_bytes(b"not a png")
    with pytest.raises(OSError, match=r"NOPE0\.mp4/000001\.png.*cannot read") as err:
        data[0]
    assert str(tmp_path) in str(err.value)
    with pytest.raises(KeyError, match="GONE"):
        DetectionFrames(synthetic_frames.ag, str(tmp_path), keys=["GONE.mp4/000001.png"])


def test_loader_batches_train_the_detector(synthetic_frames):
    data = DetectionFrames(synthetic_frames.ag, synthetic_frames.frames_dir, flip_prob=0.5)
    loader = DataLoader(data, batch_size=3, shuffle=False, collate_fn=collate)
    images, targets, keys = next(iter(loader))
    assert len(images) == len(targets) == len(keys) == 3 and keys == data.keys[:3]
    assert collate([]) == ([], [], [])
    detector = tiny_detector().train()
    losses = detector(images, targets)
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
