"""Test views scored from their backbone features, computed once (sgfb.evaluation
.view_features), on a tiny synthetic Charades world (2 videos of 3 s)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import Subset

from sgfb.backbone.config import BackboneConfig
from sgfb.data.clip_dataset import CharadesClips
from sgfb.evaluation.actions import backbone_view_features, evaluate_actions, view_scores
from sgfb.evaluation.view_features import CachedViews, compute_view_features
from sgfb.feature_bank.window import query_window
from sgfb.models.action import build_action_model
from sgfb.utils.distributed import DistInfo

CPU = torch.device("cpu")
BANK_TIMES = np.arange(0.0, 3.0, 0.5)
BANK_FEATURES = np.random.default_rng(0).random((6, 875), dtype=np.float32)


def bank_provider(video_id, centre):
    return query_window(BANK_TIMES, BANK_FEATURES, centre, 1.0, 4)


def views_of(world, **kwargs):
    out, charades, ids = world
    return CharadesClips(str(out / "videos"), charades, ids, num_frames=4, stride=8, crop=32,
                         split="test", num_temporal_views=3, num_spatial_crops=3,
                         fps=str(out / "charades" / "video_fps.json"), **kwargs)


def model(fbo="nl", seed=0):
    torch.manual_seed(seed)
    backbone = BackboneConfig(arch="i3d_small", num_frames=4, sampling_rate=8, crop_size=32)
    net = build_action_model(backbone, "paper", 18, fbo=fbo)
    net.freeze_backbone()
    return net


def test_features_are_each_crops_backbone_feature_with_the_views_keys(clips_world):
    views, net = views_of(clips_world), model()
    cached = compute_view_features(net, views, CPU, "digest", batch_size=4, progress=False)
    assert cached.features.shape == (6, 3, net.backbone.out_dim)
    assert cached.backbone == "digest" and cached.center_time.dtype == torch.float64
    for index in range(len(views)):
        item = views[index]
        with torch.no_grad():
            expected = net.backbone(item["frames"])               # [crops, D]
        torch.testing.assert_close(cached.features[index], expected, rtol=1e-5, atol=1e-6)
        assert cached.video_ids[index] == item["video_id"]
        assert cached.center_time[index].item() == item["center_time"]
    assert net.training            # left as it was found


@pytest.mark.parametrize("fbo", ["nl", "mean", "none"])
def test_a_head_scores_the_cached_views_exactly_as_the_decoded_ones(clips_world, fbo):
    banks = None if fbo == "none" else bank_provider
    views = views_of(clips_world, bank_provider=banks)
    first = model(fbo, 0)
    cached = compute_view_features(first, views, CPU, "", batch_size=4, progress=False)
    second = model(fbo, 1)         # another head on the same backbone: the same features serve
    second.backbone.load_state_dict(first.backbone.state_dict())
    for net in (first, second):
        ids, decoded = view_scores(net, views, CPU, batch_size=4, progress=False)
        cached_ids, scored = view_scores(net, CachedViews(cached, banks), CPU, batch_size=4,
                                         progress=False)
        assert cached_ids == ids and np.array_equal(scored, decoded)
        want = evaluate_actions(net, views, CPU, batch_size=4, progress=False)
        got = evaluate_actions(net, views, CPU, batch_size=4, progress=False, views=cached)
        assert got.mAP == want.mAP and np.array_equal(got.scores, want.scores)
    assert not np.array_equal(view_scores(first, views, CPU, 4, progress=False)[1],
                              view_scores(second, views, CPU, 4, progress=False)[1])


def test_a_bank_head_reads_each_views_bank_window(clips_world):
    calls = []

    def recording(video_id, centre):
        calls.append((video_id, centre))
        return bank_provider(video_id, centre)

    views = views_of(clips_world, bank_provider=recording)
    cached = compute_view_features(model(), views, CPU, "", batch_size=4, progress=False)
    assert calls == []             # the features need no bank
    view_scores(model(), CachedViews(cached, recording), CPU, batch_size=4, progress=False)
    assert calls == list(zip(cached.video_ids, cached.center_time.tolist()))


def test_each_process_computes_the_features_of_its_share_of_the_views(clips_world):
    views, net = views_of(clips_world), model()
    whole = compute_view_features(net, views, CPU, "", batch_size=2, progress=False)
    for rank in range(2):
        info = DistInfo(rank=rank, world_size=2, local_rank=rank, device=CPU)
        share = backbone_view_features(net, views, CPU, "", batch_size=2, progress=False,
                                       info=info)
        assert share.video_ids == whole.video_ids[rank::2]
        own = compute_view_features(net, Subset(views, range(rank, 6, 2)), CPU, "",
                                    batch_size=2, progress=False)
        assert torch.equal(share.features, own.features)


def test_no_views_give_empty_features_and_scores(clips_world):
    views, net = views_of(clips_world), model("none")
    cached = compute_view_features(net, Subset(views, []), CPU, "", progress=False)
    assert cached.video_ids == [] and len(cached.features) == 0
    ids, scores = view_scores(net, CachedViews(cached), CPU, progress=False, num_classes=18)
    assert ids == [] and scores.shape == (0, 18)
