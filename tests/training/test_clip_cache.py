"""The head stage's cache of frozen-backbone clip features (sgfb.training.clip_cache) on a
tiny synthetic Charades world (2 videos of 3 s)."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from sgfb.backbone.config import BackboneConfig
from sgfb.data.clip_dataset import CharadesClips, collate_clips
from sgfb.feature_bank.window import query_window
from sgfb.models.action import build_action_model
from sgfb.training import clip_cache
from sgfb.training.action import action_step
from sgfb.training.action_config import ActionConfig
from sgfb.training.clip_cache import CachedClips, cache_key, cache_path, cached_clip_features, \
    collate_cached, compute_clip_features, load_clip_features, module_digest
from sgfb.utils.checkpoint import load_checkpoint, save_checkpoint
from sgfb.utils.distributed import DistInfo

CPU = DistInfo(rank=0, world_size=1, local_rank=0, device=torch.device("cpu"))
BANK_TIMES = np.arange(0.0, 3.0, 0.5)
BANK_FEATURES = np.random.default_rng(0).random((6, 875), dtype=np.float32)


def bank_provider(video_id, centre):
    return query_window(BANK_TIMES, BANK_FEATURES, centre, 1.0, 4)


@pytest.fixture(scope="module")
def world(clips_world):
    return clips_world


def clips(world, **kwargs):
    out, charades, _ = world
    args = dict(num_frames=4, stride=8, crop=32, scale_range=(36, 44), seed=3,
                fps=str(out / "charades" / "video_fps.json"))
    args.update(kwargs)
    return CharadesClips(str(out / "videos"), charades, sorted(charades.videos), **args)


def frozen_model(seed=0):
    torch.manual_seed(seed)
    backbone = BackboneConfig(arch="i3d_small", num_frames=4, sampling_rate=8, crop_size=32)
    model = build_action_model(backbone, "paper", 18, fbo="nl")
    model.freeze_backbone()
    return model


def test_cached_features_are_the_frozen_backbones_features_of_each_epochs_clips(world):
    dataset, model = clips(world), frozen_model()
    cache = compute_clip_features(model, dataset, 3, batch_size=4, workers=0,
                                  device=torch.device("cpu"))
    assert cache.features.shape == (6, model.backbone.out_dim)
    assert cache.labels.shape == (6, 18) and cache.center_time.dtype == torch.float64
    for epoch in range(3):
        dataset.set_epoch(epoch)
        for index in range(2):
            item, row = dataset[index], epoch * 2 + index
            with torch.no_grad():
                expected = model.backbone(item["frames"][None])[0]
            torch.testing.assert_close(cache.features[row], expected, rtol=1e-5, atol=1e-6)
            assert torch.equal(cache.labels[row], item["labels"])
            assert cache.center_time[row].item() == item["center_time"]
            assert cache.video_ids[row] == item["video_id"]
    # the epochs drew different clips
    assert len({round(t, 6) for t in cache.center_time.tolist()}) > 2


def test_a_cached_step_is_the_step_on_decoded_clips(world):
    dataset, model = clips(world, bank_provider=bank_provider), frozen_model()
    model.eval()   # no dropout: the two losses are comparable exactly
    cache = compute_clip_features(model, dataset, 1, batch_size=2, workers=0,
                                  device=torch.device("cpu"))
    cached = collate_cached([CachedClips(cache, bank_provider)[i] for i in range(2)])
    decoded = collate_clips([dataset[0], dataset[1]])
    assert torch.equal(cached["bank"], decoded["bank"])
    torch.testing.assert_close(action_step(model, cached)["bce"],
                               action_step(model, decoded)["bce"], rtol=1e-5, atol=1e-7)


def test_cached_items_read_their_banks_and_keep_a_class_subset(world):
    cache = compute_clip_features(frozen_model(), clips(world), 2, batch_size=4, workers=0,
                                  device=torch.device("cpu"))
    items = CachedClips(cache)
    items.set_epoch(1)
    plain = items[1]
    assert set(plain) == {"features", "labels", "video_id", "center_time"}
    assert torch.equal(plain["features"], cache.features[3])
    subset = CachedClips(cache, bank_provider, classes=[5, 0, 17])
    subset.set_epoch(1)
    item = subset[1]
    bank, mask = bank_provider(cache.video_ids[3], cache.center_time[3].item())
    assert np.array_equal(item["bank"].numpy(), bank) and item["bank"].dtype == torch.float32
    assert np.array_equal(item["bank_mask"].numpy(), mask) and item["bank_mask"].dtype == torch.bool
    assert item["labels"].tolist() == cache.labels[3, [5, 0, 17]].tolist()
    batch = collate_cached([CachedClips(cache, bank_provider)[i] for i in range(2)])
    assert batch["features"].shape == (2, cache.features.shape[1])
    assert batch["bank"].shape == (2, 4, 875) and batch["bank_mask"].shape == (2, 4)


def test_cached_epochs_are_the_clip_datasets_epochs_then_repeat(world):
    dataset = clips(world)
    cache = compute_clip_features(frozen_model(), dataset, 3, batch_size=4, workers=0,
                                  device=torch.device("cpu"))
    items = CachedClips(cache)
    assert len(items) == len(dataset) == 2 and cache.videos == 2
    for epoch in range(7):
        items.set_epoch(epoch)
        dataset.set_epoch(epoch % 3)
        for index in range(2):
            assert items.row(index) == (epoch % 3) * 2 + index
            assert items[index]["center_time"] == dataset[index]["center_time"]
    with pytest.raises(IndexError, match="out of range"):
        items[2]


def test_the_cache_is_written_once_and_read_back(world, tmp_path, monkeypatch):
    dataset, model = clips(world), frozen_model()
    logs = []
    first = cached_clip_features(model, dataset, 2, str(tmp_path), 4, 0, CPU, logs.append)
    path = cache_path(str(tmp_path), first.key)
    assert os.listdir(tmp_path) == [os.path.basename(path)] and "->" in logs[-1]

    def fail(*args, **kwargs):
        raise AssertionError("computed again")
    monkeypatch.setattr(clip_cache, "compute_clip_features", fail)
    again = cached_clip_features(model, dataset, 2, str(tmp_path), 4, 0, CPU, logs.append)
    assert "from" in logs[-1] and again.video_ids == first.video_ids
    assert again.clips_per_video == 2 and again.videos == 2
    assert torch.equal(again.features, first.features)
    assert torch.equal(again.center_time, first.center_time)
    assert load_clip_features(path, "another key") is None
    older = load_checkpoint(path)
    older["format"] = "sgfb.clip_features/1"
    save_checkpoint(path, older)
    assert load_clip_features(path, first.key) is None     # another format: made again
    assert load_clip_features(str(tmp_path / "absent.pt"), first.key) is None


def test_the_key_follows_the_backbone_and_the_clips(world):
    dataset, model = clips(world), frozen_model()
    key = cache_key(model.backbone, dataset, 2)
    assert cache_key(frozen_model().backbone, clips(world), 2) == key      # same inputs
    assert cache_key(model.backbone, dataset, 3) != key
    assert cache_key(model.backbone, clips(world, seed=4), 2) != key
    assert cache_key(model.backbone, clips(world, crop=24), 2) != key
    assert cache_key(model.backbone, clips(world, fps=None), 2) != key
    out, charades, _ = world
    one_video = CharadesClips(str(out / "videos"), charades, sorted(charades.videos)[:1],
                              num_frames=4, stride=8, crop=32, scale_range=(36, 44), seed=3,
                              fps=str(out / "charades" / "video_fps.json"))
    assert cache_key(model.backbone, one_video, 2) != key
    changed = frozen_model()
    with torch.no_grad():
        next(changed.backbone.parameters()).view(-1)[0] += 1e-3
    assert cache_key(changed.backbone, dataset, 2) != key
    # the head's weights are not part of it: heads on one backbone share the cache
    other_head = frozen_model()
    with torch.no_grad():
        other_head.head.classifier.weight.add_(1.0)
    assert cache_key(other_head.backbone, dataset, 2) == key


def test_module_digest_sees_values_shapes_and_dtypes():
    a = torch.nn.Linear(2, 2)
    digest = module_digest(a)
    assert module_digest(a) == digest
    with torch.no_grad():
        a.bias[0] += 1
    assert module_digest(a) != digest
    assert module_digest(torch.nn.Linear(2, 2).double()) != module_digest(torch.nn.Linear(2, 2))


def test_bad_settings_are_refused(world):
    with pytest.raises(ValueError, match="clips_per_video"):
        compute_clip_features(frozen_model(), clips(world), 0, 2, 0, torch.device("cpu"))
    cfg = ActionConfig()
    cfg.data.videos = cfg.data.train_csv = cfg.data.test_csv = "x"
    cfg.head_cache_clips = -1
    with pytest.raises(ValueError, match="head_cache_clips"):
        cfg.check()
