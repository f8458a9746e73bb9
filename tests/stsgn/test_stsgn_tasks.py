import dataclasses

import pytest
import torch

from sgfb.data.action_genome import ActionGenome, AGFrame, AGObject
from sgfb.data.charades import ActionInstance, Charades, CharadesVideo
from sgfb.stsgn.graphs import FrameGraphs
from sgfb.stsgn.model import ModelConfig, build_stsgn, model_names
from sgfb.stsgn.tasks import build_samples, make_split, split_videos
from sgfb.training.stsgn_loop import TrainConfig, paper_recipe, predict, sample_logits, train

FPS = 10.0


def _frame(video, number, label=7, rel=14, split="train"):
    return AGFrame(key=f"{video}.mp4/{number:06d}.png", video=f"{video}.mp4", frame_number=number,
                   split=split, objects=[AGObject(label, None, True, (rel,))])


@pytest.fixture
def world():
    # AAAAA: frames at t = 0, 1, 2.5, 7 s ; BBBBB: one annotated frame at t = 3 s
    frames = [_frame("AAAAA", n) for n in (1, 11, 26, 71)] + [_frame("BBBBB", 31, label=10)]
    ag = ActionGenome(frames, fps={"AAAAA.mp4": FPS, "BBBBB.mp4": FPS})
    charades = Charades([
        CharadesVideo("AAAAA", 8.0, [ActionInstance(0, 0.0, 2.0), ActionInstance(2, 6.0, 8.0),
                                     ActionInstance(1, 3.0, 4.0)]),
        CharadesVideo("BBBBB", 5.0, [ActionInstance(1, 2.0, 4.0)]),
    ])
    order = list(ag)
    graphs = FrameGraphs.from_scene_graphs([f.scene_graph() for f in order])
    return ag, charades, graphs, {f.key: i for i, f in enumerate(order)}


def _sequences(samples, s):
    seqs = range(int(samples.seq_offsets[s]), int(samples.seq_offsets[s + 1]))
    return [samples.frames[samples.frame_offsets[q]:samples.frame_offsets[q + 1]].tolist()
            for q in seqs]


def test_video_task_slices(world):
    ag, ch, graphs, index = world
    s = build_samples("video", ag, ch, index, window=2.0)
    assert s.ids == ["AAAAA", "BBBBB"] and s.multi_label
    # slices [0,2): t=0,1 ; [2,4): t=2.5 ; [6,8): t=7
    assert _sequences(s, 0) == [[0, 1], [2], [3]]
    assert _sequences(s, 1) == [[4]]  # a video with one annotated frame
    assert s.targets[0].tolist() == [1, 1, 1] and s.targets[1].tolist() == [0, 1, 0]


def test_frame_task_windows(world):
    ag, ch, graphs, index = world
    s = build_samples("frame", ag, ch, index, window=0.0)
    assert [len(_sequences(s, i)[0]) for i in range(len(s))] == [1, 1, 1, 1, 1]
    assert s.targets[:, 0].tolist() == [1, 1, 0, 0, 0]  # c000 in progress at t = 0 and 1 (end 2.0)
    s = build_samples("frame", ag, ch, index, window=3.0)  # +- 1.5 s
    assert _sequences(s, 1) == [[0, 1, 2]] and _sequences(s, 3) == [[3]]


def test_trimmed_task(world):
    ag, ch, graphs, index = world
    s = build_samples("trimmed", ag, ch, index)
    # AAAAA: c000 [0,2] -> t=0,1 ; c002 [6,8] -> t=7 ; c001 [3,4] -> no frame, skipped
    assert s.ids == ["AAAAA#0", "AAAAA#1", "BBBBB#0"] and not s.multi_label
    assert s.targets.tolist() == [0, 2, 1]
    assert _sequences(s, 0) == [[0, 1]]


def test_subset_and_bad_arguments(world):
    ag, ch, graphs, index = world
    s = build_samples("video", ag, ch, index, window=2.0)
    sub = s.subset([1])
    assert sub.ids == ["BBBBB"] and _sequences(sub, 0) == [[4]]
    with pytest.raises(ValueError, match="unknown task"):
        build_samples("clip", ag, ch, index)
    with pytest.raises(ValueError, match="positive"):
        build_samples("video", ag, ch, index, window=0)


def test_video_logits_are_max_over_slices(world):
    ag, ch, graphs, index = world
    s = build_samples("video", ag, ch, index, window=2.0)
    torch.manual_seed(0)
    model = build_stsgn(ModelConfig("relmat-max", num_classes=3, hidden=8, channels=8)).eval()
    logits, _ = sample_logits(model, graphs, s, torch.tensor([0, 1]))
    frames, lengths, _, _ = s.batch(torch.tensor([0]))
    per_slice = model(frames, lengths, graphs)
    assert torch.allclose(logits[0], per_slice.max(0).values)


def test_splits_are_seeded_and_disjoint():
    videos = [f"V{i:04d}" for i in range(100)]
    a, b = split_videos(videos, 1), split_videos(videos, 1)
    assert a == b and split_videos(videos, 2) != a
    assert len(a["test"]) == 15 and len(a["val"]) == 15 and len(a["train"]) == 70
    assert not set(a["train"]) & set(a["val"]) and not set(a["val"]) & set(a["test"])


def test_official_split_uses_ag_test_set():
    frames = [_frame(f"T{i:04d}", 1, split="test") for i in range(5)] + \
             [_frame(f"R{i:04d}", 1) for i in range(20)]
    split = make_split(ActionGenome(frames), seed=0)
    assert split["test"] == [f"T{i:04d}" for i in range(5)]
    assert len(split["val"]) == 3 and len(split["train"]) == 17


@pytest.mark.parametrize("name", model_names())
def test_every_model_runs_forward_and_backward(world, name):
    ag, ch, graphs, index = world
    s = build_samples("video", ag, ch, index, window=2.0)
    model = build_stsgn(ModelConfig(name, num_classes=3, hidden=8, channels=12))
    logits, targets = sample_logits(model, graphs, s, torch.tensor([0, 1]))
    assert logits.shape == (2, 3) and torch.isfinite(logits).all()
    torch.nn.functional.binary_cross_entropy_with_logits(logits, targets).backward()
    assert all(p.grad is not None for n, p in model.named_parameters() if "encoder" in n
               and "eps" not in n) or name.startswith("relmat")


def test_unknown_model_name_lists_choices():
    with pytest.raises(ValueError, match="relmat"):
        build_stsgn(ModelConfig("gine-sum-gru"))


def test_fixed_seed_loss_regression(world):
    """Pinned numbers (the paper's model and recipe): a change in layers, batching or the
    training loop shows up here."""
    ag, ch, graphs, index = world
    s = build_samples("frame", ag, ch, index, window=3.0)
    torch.manual_seed(0)
    model = build_stsgn(ModelConfig("gine-person-bigru", num_classes=3, hidden=8, channels=12,
                              dropout=0.0, norm="none", node_dropout=0.0, edge_dropout=0.0,
                              node_init_std=None))
    recipe = dataclasses.replace(paper_recipe(TrainConfig()), batch_size=2, max_epochs=3,
                                 progress=False)
    result = train(model, graphs, s, s, recipe, log=lambda _: None)
    losses = [round(r["train_loss"], 4) for r in result.history]
    _, val_loss = predict(model, graphs, s)
    assert losses == pytest.approx(EXPECTED_LOSSES, abs=2e-4), losses
    assert val_loss < losses[0]


EXPECTED_LOSSES = [0.6551, 0.6490, 0.6448]


def test_fixed_seed_loss_regression_default_recipe(world):
    """Pinned numbers of the default model and recipe (layer norm, dropouts, warm-up, cosine,
    focal loss)."""
    ag, ch, graphs, index = world
    s = build_samples("frame", ag, ch, index, window=3.0)
    torch.manual_seed(0)
    model = build_stsgn(ModelConfig("gine-person-bigru", num_classes=3, hidden=8, channels=12))
    result = train(model, graphs, s, s, TrainConfig(batch_size=2, max_epochs=3, progress=False),
                   log=lambda _: None)
    losses = [round(r["train_loss"], 4) for r in result.history]
    assert losses == pytest.approx(EXPECTED_DEFAULT_LOSSES, abs=2e-4), losses


EXPECTED_DEFAULT_LOSSES = [0.1839, 0.1627, 0.1679]
