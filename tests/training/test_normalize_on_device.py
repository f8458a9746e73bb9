"""data.normalize_on_device: the loader hands out uint8 crops and the action model normalises
them on its device. The model's input, the training loss, the evaluation scores and
inference must be those of the float path (bit for bit on the CPU), and checkpoints record
the choice so inference prepares clips the same way."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from sgfb.data.clip_transforms import test_transform
from sgfb.evaluation.actions import view_scores
from sgfb.inference.video_actions import SGFBActionModel
from sgfb.training.action import action_step, build_action_model, checkpoint_state
from sgfb.training.action_config import ActionConfig

MEAN, STD = [0.4, 0.45, 0.5], [0.2, 0.225, 0.25]


def _config(on_device: bool) -> ActionConfig:
    cfg = ActionConfig()
    b = cfg.model.backbone
    b.arch, b.num_frames, b.sampling_rate, b.crop_size = "i3d_small", 4, 2, 32
    b.mean, b.std = list(MEAN), list(STD)
    cfg.model.fbo = "max"
    cfg.data.normalize_on_device = on_device
    return cfg


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_action_model(_config(True), num_classes=5).eval()


def _clips(batch: int = 2, crops: int = 0):
    """Random uint8 crops [B, (crops,) 3, T, 32, 32], channels-last in memory as the loader
    gives them, and the same crops normalised by the float transform's formula."""
    frames = torch.from_numpy(np.random.default_rng(1).integers(
        0, 256, (batch, max(crops, 1), 4, 32, 32, 3), dtype=np.uint8))
    raw = frames.permute(0, 1, 5, 2, 3, 4)
    floats = torch.stack([test_transform(c.numpy(), 32, 1, MEAN, STD)[0]
                          for c in frames.flatten(0, 1)]).view(raw.shape)
    if not crops:
        raw, floats = raw[:, 0], floats[:, 0]
    return raw, floats


def test_the_model_normalises_uint8_clips_as_the_loader_would(model):
    raw, floats = _clips()
    assert raw.dtype == torch.uint8 and not raw.is_contiguous()
    assert torch.equal(model.normalize_input(raw), floats)
    assert model.normalize_input(floats) is floats  # float clips are already normalised
    bank, mask = torch.randn(2, 8, 875), torch.ones(2, 8, dtype=torch.bool)
    with torch.no_grad():
        assert torch.equal(model(raw, bank, mask), model(floats, bank, mask))
    # mean and std are not weights: the state dict (old checkpoints) is unchanged
    assert model.mean == tuple(MEAN) and not any(k in ("mean", "std") for k in model.state_dict())


def test_training_step_and_evaluation_views_match_the_float_path(model):
    raw, floats = _clips()
    batch = {"labels": torch.tensor([[1.0, 0, 0, 1, 0], [0, 1, 0, 0, 0]]),
             "bank": torch.randn(2, 8, 875), "bank_mask": torch.ones(2, 8, dtype=torch.bool)}
    with torch.no_grad():
        assert torch.equal(action_step(model, {**batch, "frames": raw})["bce"],
                           action_step(model, {**batch, "frames": floats})["bce"])
    raw_views, float_views = _clips(crops=3)

    class Views(torch.utils.data.Dataset):
        num_classes = 5

        def __init__(self, frames):
            self.frames = frames

        def __len__(self):
            return 2

        def __getitem__(self, i):
            return {"frames": self.frames[i], "labels": torch.zeros(5), "video_id": "v",
                    "view": i, "center_time": 1.0, "frame_indices": torch.arange(4),
                    "bank": batch["bank"][i], "bank_mask": batch["bank_mask"][i]}

    cpu = torch.device("cpu")
    ids, got = view_scores(model, Views(raw_views), cpu, batch_size=2, progress=False)
    _, want = view_scores(model, Views(float_views), cpu, batch_size=2, progress=False)
    assert ids == ["v", "v"] and np.array_equal(got, want)


def test_checkpoints_record_it_and_inference_prepares_clips_the_same_way(model):
    prepared = [np.random.default_rng(i).integers(0, 256, (4, 32, 48, 3), dtype=np.uint8)
                for i in range(2)]
    features = {}
    for on_device in (False, True):
        state = checkpoint_state(model, _config(on_device), [f"c{i}" for i in range(5)])
        assert state["preprocessing"]["normalize_on_device"] is on_device
        action = SGFBActionModel("model.pt", torch.device("cpu"), views=2, crops=3,
                                 state=state)
        assert action.normalize_on_device is on_device
        seen = []
        original = action.model.normalize_input
        action.model.normalize_input = lambda x: (seen.append(x.dtype), original(x))[1]
        features[on_device] = action.clip_features(prepared, 3)
        assert seen == [torch.uint8 if on_device else torch.float32]
    assert features[True].shape == (2, 3, action.model.backbone.out_dim)
    assert torch.equal(features[True], features[False])


def test_a_checkpoint_without_the_key_normalises_on_the_cpu(model):
    state = checkpoint_state(model, _config(False), [f"c{i}" for i in range(5)])
    del state["preprocessing"]["normalize_on_device"]  # written before the option existed
    assert SGFBActionModel("old.pt", torch.device("cpu"), state=state).normalize_on_device is False
