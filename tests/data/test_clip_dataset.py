"""CharadesClips on a tiny synthetic Charades world (2 videos of 3 s, 320x240, 30 fps)."""
from __future__ import annotations

import json
import os
import pickle
import shutil

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from sgfb.data.clip_dataset import CharadesClips, collate_clips
from sgfb.data.clip_transforms import apply_train_params, normalize_clips, resized_size, \
    sample_train_params, test_transform as make_test_transform
from sgfb.data.clips import clip_labels, clip_span_seconds, random_clip, \
    test_clips as make_test_clips
from sgfb.data.video import VideoDecodeError, open_video
from sgfb.feature_bank.window import query_window

SMALL = dict(num_frames=4, stride=8, crop=32, scale_range=(36, 44))


@pytest.fixture(scope="module")
def world(clips_world):
    return clips_world


def _dataset(world, **kwargs):
    out, charades, ids = world
    args = dict(SMALL, fps=str(out / "charades" / "video_fps.json"))
    args.update(kwargs)
    return CharadesClips(str(out / "videos"), charades, ids, **args)


def test_train_item_matches_the_pipeline_by_hand(world):
    out, charades, ids = world
    ds = _dataset(world, seed=3)
    assert len(ds) == 2
    item = ds[1]
    assert item["frames"].shape == (3, 4, 32, 32) and item["frames"].dtype == torch.float32
    assert item["video_id"] == ids[1] and item["view"] == -1
    # the same numbers, computed step by step from the item's generator
    rng = ds.rng(1)
    fps = json.loads((out / "charades" / "video_fps.json").read_text())[ids[1] + ".mp4"]
    with open_video(str(out / "videos" / f"{ids[1]}.mp4")) as reader:
        indices = random_clip(reader.num_frames, 4, 8, rng)
        full = reader.get_frames(indices)
        params = sample_train_params(240, 320, rng, crop=32, scale_range=(36, 44))
        height, width = resized_size(240, 320, params.short_side)
        # each frame resized to the drawn short side as it is decoded
        frames = reader.get_frames(indices, size=(width, height), interpolation="bilinear")
    assert item["frame_indices"].tolist() == indices.tolist()
    assert torch.equal(item["frames"], apply_train_params(frames, params, crop=32))
    # within 1 grey level of resizing the stacked full-size clip (PySlowFast's way)
    stacked = apply_train_params(full, params, crop=32, uint8=True).int()
    fused = apply_train_params(frames, params, crop=32, uint8=True).int()
    assert 0 < (stacked - fused).abs().max() <= 1
    t0, t1 = clip_span_seconds(indices, fps)
    assert item["center_time"] == pytest.approx((indices[0] + indices[-1]) / 2 / fps)
    assert item["labels"].tolist() == clip_labels(charades, ids[1], t0, t1).tolist()
    assert item["labels"].shape == (charades.num_classes,)


def test_epochs_are_reproducible_and_differ(world):
    ds = _dataset(world, seed=0)
    first = ds[0]
    again = _dataset(world, seed=0)[0]          # a resumed run: a new dataset, same epoch
    assert torch.equal(first["frames"], again["frames"])
    assert torch.equal(first["frame_indices"], again["frame_indices"])
    ds.set_epoch(1)
    other = ds[0]
    assert not torch.equal(first["frames"], other["frames"])
    ds.set_epoch(0)
    assert torch.equal(ds[0]["frames"], first["frames"])


def test_train_batch_through_a_dataloader(world):
    loader = DataLoader(_dataset(world), batch_size=2, collate_fn=collate_clips)
    batch = next(iter(loader))
    assert batch["frames"].shape == (2, 3, 4, 32, 32)
    assert batch["labels"].shape == (2, 18)
    assert batch["frame_indices"].shape == (2, 4)
    assert batch["view"].tolist() == [-1, -1]
    assert batch["center_time"].dtype == torch.float64
    assert batch["video_id"] == world[2]
    assert "bank" not in batch


def test_worker_batches_are_stacked_in_shared_memory_and_equal(world, tmp_path):
    """In a worker the batch is stacked straight into shared memory (no extra copy to reach
    the main process); the values are those of an in-process collate, epoch after epoch
    with the packet indices reused from index_dir."""
    ds = _dataset(world)
    ds.readers.index_dir = str(tmp_path / "index")
    expected = collate_clips([ds[0], ds[1]])
    for _ in range(2):  # a new worker each epoch, as the trainer makes them
        batch = next(iter(DataLoader(ds, batch_size=2, collate_fn=collate_clips,
                                     num_workers=1)))
        assert batch["frames"].is_shared()
        for key in ("frames", "labels", "frame_indices", "view", "center_time"):
            assert torch.equal(batch[key], expected[key]), key
    assert len(os.listdir(tmp_path / "index")) == 2  # one stored index per video


@pytest.mark.parametrize("split", ["train", "test"])
def test_uint8_items_normalised_on_the_device_equal_the_float_items(world, split):
    """normalize=False (data.normalize_on_device): uint8 crops of the same clips, kept
    channels-last through the collate and a worker's shared memory; the model's
    normalize_clips gives the float batch bit for bit."""
    mean, std = (0.4, 0.45, 0.5), (0.2, 0.225, 0.25)
    floats = _dataset(world, split=split, num_temporal_views=2, mean=mean, std=std)
    raw = _dataset(world, split=split, num_temporal_views=2, mean=mean, std=std,
                   normalize=False)
    expected = collate_clips([floats[0], floats[1]])
    for workers in (0, 1):
        batch = next(iter(DataLoader(raw, batch_size=2, collate_fn=collate_clips,
                                     num_workers=workers)))
        frames = batch["frames"]
        assert frames.dtype == torch.uint8 and frames.shape == expected["frames"].shape
        layout = (0, 2, 3, 4, 1) if split == "train" else (0, 1, 3, 4, 5, 2)
        assert frames.permute(*layout).is_contiguous()  # no channels-first copy was made
        assert frames.is_shared() == (workers == 1)
        assert torch.equal(normalize_clips(frames, mean, std), expected["frames"])
        for key in ("labels", "frame_indices", "view", "center_time"):
            assert torch.equal(batch[key], expected[key]), key


def test_collate_keeps_contiguous_items_contiguous():
    items = [{"frames": torch.full((3, 2, 4, 4), float(i)), "labels": torch.zeros(2),
              "video_id": str(i), "view": -1, "center_time": 0.5,
              "frame_indices": torch.arange(2)} for i in range(2)]
    frames = collate_clips(items)["frames"]
    assert frames.is_contiguous() and frames[:, 0, 0, 0, 0].tolist() == [0.0, 1.0]


def test_test_split_items_are_video_views_with_three_crops(world):
    out, charades, ids = world
    ds = _dataset(world, split="test", num_temporal_views=3)
    assert len(ds) == 6
    assert [ds.item_video_view(i) for i in range(6)] == [(ids[0], 0), (ids[0], 1), (ids[0], 2),
                                                         (ids[1], 0), (ids[1], 1), (ids[1], 2)]
    item = ds[5]
    assert item["frames"].shape == (3, 3, 4, 32, 32)
    assert item["view"] == 2 and item["video_id"] == ids[1]
    with open_video(str(out / "videos" / f"{ids[1]}.mp4")) as reader:
        expected = make_test_clips(reader.num_frames, 4, 8, 3)[2]
        frames = reader.get_frames(expected)
    assert item["frame_indices"].tolist() == expected.tolist()
    assert torch.equal(item["frames"], make_test_transform(frames, crop=32))
    batch = collate_clips([ds[0], ds[1]])
    assert batch["frames"].shape == (2, 3, 3, 4, 32, 32)
    assert batch["view"].tolist() == [0, 1]
    assert ds[0]["center_time"] < ds[1]["center_time"] < ds[2]["center_time"]


def test_bank_provider_output_is_added(world):
    times = np.arange(0.0, 3.0, 0.5)
    features = np.arange(6 * 5, dtype=np.float32).reshape(6, 5)
    calls = []

    def provider(video_id, centre):
        calls.append((video_id, centre))
        return query_window(times, features, centre, 1.0, 4)

    ds = _dataset(world, bank_provider=provider)
    item = ds[0]
    assert calls == [(item["video_id"], item["center_time"])]
    bank, mask = query_window(times, features, item["center_time"], 1.0, 4)
    assert item["bank"].shape == (4, 5) and item["bank"].dtype == torch.float32
    assert item["bank_mask"].dtype == torch.bool
    assert np.array_equal(item["bank"].numpy(), bank)
    assert np.array_equal(item["bank_mask"].numpy(), mask)
    batch = collate_clips([ds[0], ds[1]])
    assert batch["bank"].shape == (2, 4, 5) and batch["bank_mask"].shape == (2, 4)


def test_fps_sources(world):
    out, _, ids = world
    a, b = _dataset(world, fps=None)[0], _dataset(world)[0]
    assert a["center_time"] == pytest.approx(b["center_time"])
    halved = _dataset(world, fps={ids[0]: 15.0})[0]      # a mapping, keyed without extension
    assert halved["center_time"] == pytest.approx(2 * b["center_time"])
    with pytest.raises(KeyError, match=f"{ids[0]}.mp4"):
        _dataset(world, fps={"other.mp4": 30.0})[0]


def test_dataset_pickles_for_worker_processes(world):
    ds = _dataset(world, seed=5)
    ds.set_epoch(2)
    copy = pickle.loads(pickle.dumps(ds))
    assert copy.epoch == 2 and torch.equal(copy[1]["frames"], ds[1]["frames"])


def test_items_index_and_open_each_video_once_per_process(world):
    ds = _dataset(world, seed=1, backend="pyav")
    first = [ds[i]["frames"] for i in (0, 1)]
    ds.set_epoch(1)
    for i in (0, 1, 0):
        ds[i]
    assert ds.readers.indexed == 2 and ds.readers.opened == 2
    ds.set_epoch(0)
    assert all(torch.equal(ds[i]["frames"], first[i]) for i in (0, 1))
    fresh = _dataset(world, seed=1, backend="pyav", max_open_videos=1)
    assert all(torch.equal(fresh[i]["frames"], first[i]) for i in (0, 1))
    assert fresh.readers.opened == 2 and len(fresh.readers) == 1


def test_unreadable_videos_are_named(world, tmp_path):
    out, charades, ids = world
    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(out / "videos" / f"{ids[0]}.mp4", videos / f"{ids[0]}.mp4")
    corrupt = videos / f"{ids[1]}.mp4"
    corrupt.write_bytes(b"\x00\x01 this is not a video " * 50)
    ds = CharadesClips(str(videos), charades, ids + [ids[0]], **SMALL)
    assert ds[0]["frames"].shape == (3, 4, 32, 32)
    with pytest.raises(VideoDecodeError, match=str(corrupt)):
        ds[1]
    bad = ds.check_videos()
    assert [(b.video_id, b.path) for b in bad] == [(ids[1], str(corrupt))]
    corrupt.unlink()
    with pytest.raises(VideoDecodeError, match="does not exist") as err:
        ds[1]
    assert str(corrupt) in str(err.value)
    assert [b.video_id for b in ds.check_videos(decode=True)] == [ids[1]]


def test_truncated_video_is_named_by_items_and_checks(world, tmp_path):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from videos_util import faststart_copy, truncate_file

    out, charades, ids = world
    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(out / "videos" / f"{ids[0]}.mp4", videos / f"{ids[0]}.mp4")
    whole = faststart_copy(str(out / "videos" / f"{ids[1]}.mp4"), str(tmp_path / "whole.mp4"))
    cut = truncate_file(whole, str(videos / f"{ids[1]}.mp4"), 0.7)
    ds = CharadesClips(str(videos), charades, ids[:2], **SMALL)
    with pytest.raises(VideoDecodeError, match=f"{ids[1]}.*truncated or corrupt video"):
        ds[1]
    for decode in (False, True):
        bad = ds.check_videos(decode=decode)
        assert [(b.video_id, b.path) for b in bad] == [(ids[1], cut)]
        assert "missing tail" in bad[0].error


def test_bad_arguments(world):
    out, charades, ids = world
    with pytest.raises(ValueError, match="split"):
        _dataset(world, split="val")
    with pytest.raises(KeyError, match="NOPE1"):
        CharadesClips(str(out / "videos"), charades, ["NOPE1"])
    with pytest.raises(IndexError):
        _dataset(world)[2]
