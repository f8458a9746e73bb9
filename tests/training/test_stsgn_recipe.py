"""The training-recipe keys beyond the paper (issue #15): schedule, losses, selection,
regularisers, and the per-epoch history a run writes."""
import copy
import math

import pytest
import torch
import torch.nn.functional as F

from sgfb.data.action_genome import ActionGenome, AGFrame, AGObject
from sgfb.data.charades import ActionInstance, Charades, CharadesVideo
from sgfb.stsgn.graphs import FrameGraphs
from sgfb.stsgn.model import ModelConfig, build_stsgn
from sgfb.training.stsgn_monitor import part_of, read_history
from sgfb.stsgn.tasks import build_samples
from sgfb.training.stsgn_loop import (TrainConfig, WeightAverage, loss_of, lr_factor,
                                      paper_recipe, positive_weights, train)


def test_lr_warmup_then_cosine():
    cfg = TrainConfig(max_epochs=3, warmup_epochs=1, schedule="cosine")
    # 2 steps per epoch: warm-up 1/2, 2/2, then cosine over the remaining 4 steps
    assert [lr_factor(s, 2, cfg) for s in range(2)] == [0.5, 1.0]
    assert lr_factor(2, 2, cfg) == pytest.approx(1.0)
    assert lr_factor(4, 2, cfg) == pytest.approx(0.5)
    assert lr_factor(6, 2, cfg) == pytest.approx(0.0)
    assert lr_factor(5, 2, paper_recipe(TrainConfig())) == 1.0     # the paper: constant
    # the default: 1 warm-up epoch, then cosine over the other 11 of 12 epochs (22 steps)
    assert lr_factor(5, 2, TrainConfig()) == pytest.approx(0.5 * (1 + math.cos(math.pi * 3 / 22)))


def test_focal_loss_by_hand_and_gamma_zero_is_bce():
    logits, targets = torch.tensor([[0.0, 2.0]]), torch.tensor([[1.0, 0.0]])
    assert loss_of(logits, targets, True, focal_gamma=0.0) == pytest.approx(
        float(F.binary_cross_entropy_with_logits(logits, targets)))
    p = 1 / (1 + math.exp(-2.0))
    expected = (0.5 ** 2 * math.log(2) + p ** 2 * -math.log(1 - p)) / 2
    assert float(loss_of(logits, targets, True, focal_gamma=2.0)) == pytest.approx(expected)


def test_label_smoothing_by_hand():
    logits, targets = torch.tensor([[0.0, 2.0]]), torch.tensor([[1.0, 0.0]])
    soft = torch.tensor([[0.95, 0.05]])          # s = 0.1: y * 0.9 + 0.05
    assert float(loss_of(logits, targets, True, smoothing=0.1)) == pytest.approx(
        float(F.binary_cross_entropy_with_logits(logits, soft)))
    # the focal factor follows the hard label: (1 - p_true) ** 2 with p_true of y = 1 / 0
    p = 1 / (1 + math.exp(-2.0))
    per = F.binary_cross_entropy_with_logits(logits, soft, reduction="none")[0]
    expected = (0.5 ** 2 * float(per[0]) + p ** 2 * float(per[1])) / 2
    assert float(loss_of(logits, targets, True, focal_gamma=2.0, smoothing=0.1)) == pytest.approx(
        expected)
    single = loss_of(torch.tensor([[0.0, 2.0]]), torch.tensor([0]), False, smoothing=0.2)
    assert float(single) == pytest.approx(float(F.cross_entropy(
        torch.tensor([[0.0, 2.0]]), torch.tensor([0]), label_smoothing=0.2)))
    assert paper_recipe(TrainConfig(label_smoothing=0.1)).label_smoothing == 0.0


def test_positive_weights_from_training_counts():
    class S:
        multi_label = True
        targets = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0], [0.0, 1.0, 1.0]])

        def __len__(self):
            return 4
    # negatives / positives: 3/1, 3/1, 0/4 -> at least 1; power 0.5, cap 1.5
    assert positive_weights(S(), 0.5, 1.5).tolist() == pytest.approx([1.5, 1.5, 1.0])
    assert positive_weights(S(), 1.0, 100).tolist() == pytest.approx([3.0, 3.0, 1.0])
    assert positive_weights(S(), 0.0, 100) is None


def test_paper_recipe_turns_everything_off():
    cfg = paper_recipe(TrainConfig(select="val_mAP", warmup_epochs=2, schedule="cosine",
                                   loss="focal", pos_weight_power=1.0, lr=5e-3))
    assert (cfg.select, cfg.warmup_epochs, cfg.schedule, cfg.loss, cfg.pos_weight_power,
            cfg.lr, cfg.weight_decay) == ("val_loss", 0.0, "constant", "bce", 0.0, 1e-3, 1e-3)


def test_layer_parts():
    assert part_of("encoder.convs.0.nn.weight") == "encoder.convs.0"
    assert part_of("encoder.node_embedding.weight") == "encoder.node_embedding"
    assert part_of("classifier.weight") == "classifier"
    assert part_of("reducer.forward_gru.weight_ih_l0") == "reducer.forward_gru"


def _world():
    frames, videos = [], []
    for v in range(6):
        vid = f"V{v:04d}"
        for n in (1, 11, 21):
            frames.append(AGFrame(key=f"{vid}.mp4/{n:06d}.png", video=f"{vid}.mp4",
                                  frame_number=n, split="train",
                                  objects=[AGObject(5 + v % 2, None, True, (14 + v % 2,))]))
        videos.append(CharadesVideo(vid, 3.0, [ActionInstance(v % 2, 0.0, 3.0)]))
    ag = ActionGenome(frames, fps={f"V{v:04d}.mp4": 10.0 for v in range(6)})
    order = list(ag)
    graphs = FrameGraphs.from_scene_graphs([f.scene_graph() for f in order])
    return build_samples("frame", ag, Charades(videos), {f.key: i for i, f in enumerate(order)}, 0.0), graphs


def test_history_is_written_and_selection_follows_val_map(tmp_path):
    samples, graphs = _world()
    torch.manual_seed(0)
    model = build_stsgn(ModelConfig("gine-person-bigru", num_classes=2, hidden=8, channels=12))
    cfg = TrainConfig(lr=1e-3, batch_size=4, max_epochs=4, patience=10, progress=False,
                      select="val_mAP",
                      warmup_epochs=1, schedule="cosine", loss="focal", pos_weight_power=1.0,
                      grad_clip=1.0)
    result = train(model, graphs, samples, samples, cfg, log=lambda _: None, out_dir=str(tmp_path))
    rows = read_history(str(tmp_path / "history.jsonl"))
    assert [r["epoch"] for r in rows] == [0, 1, 2, 3]
    for key in ("train_loss", "train_mAP", "val_loss", "val_mAP", "lr", "grad/classifier",
                "grad/encoder.convs.0", "act/encoder", "act/reducer", "weight/classifier"):
        assert all(math.isfinite(r[key]) for r in rows), key
    best = max(range(4), key=lambda e: (rows[e]["val_mAP"], -e))
    assert result.best_epoch == best
    assert rows[0]["lr"] == pytest.approx(1e-3 / 5)   # 18 samples / 4 = 5 warm-up steps: 1/5
    assert any(p.name.startswith("events") for p in (tmp_path / "tb").iterdir())


def test_weight_average_by_hand():
    model = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(1.0)
    ema = WeightAverage(model, 0.75)
    for w in (3.0, 5.0):
        with torch.no_grad():
            model.weight.fill_(w)
        ema.after_step()
    # 0.75 * 1 + 0.25 * 3 = 1.5; 0.75 * 1.5 + 0.25 * 5 = 2.375
    assert float(ema.average.weight) == pytest.approx(2.375)
    assert float(model.weight.detach()) == 5.0 and not ema.average.weight.requires_grad
    with pytest.raises(ValueError, match="ema_decay"):
        WeightAverage(model, 1.0)


def test_ema_weights_are_evaluated_and_kept():
    samples, graphs = _world()
    cfg = dict(lr=1e-2, batch_size=4, max_epochs=2, patience=10, progress=False,
               eval_train=False)
    torch.manual_seed(0)
    start = build_stsgn(ModelConfig("relmat-max", num_classes=2, hidden=8, channels=12))
    initial = {k: v.clone() for k, v in start.state_dict().items()}
    plain, averaged = copy.deepcopy(start), copy.deepcopy(start)
    train(plain, graphs, samples, samples, TrainConfig(**cfg), log=lambda _: None)
    # an average that hardly moves: the kept weights stay at the initial ones, the raw ones not
    torch.manual_seed(0)
    train(averaged, graphs, samples, samples, TrainConfig(**cfg, ema_decay=1 - 1e-9),
          log=lambda _: None)
    w = "classifier.weight"
    assert torch.allclose(averaged.state_dict()[w], initial[w], atol=1e-6)
    assert not torch.allclose(plain.state_dict()[w], initial[w], atol=1e-3)
    assert paper_recipe(TrainConfig(ema_decay=0.99)).ema_decay == 0.0


def test_unknown_recipe_value_is_named():
    samples, graphs = _world()
    model = build_stsgn(ModelConfig("relmat-max", num_classes=2, hidden=8, channels=12))
    with pytest.raises(ValueError, match="train.loss"):
        train(model, graphs, samples, samples, TrainConfig(loss="dice", progress=False))


@pytest.mark.parametrize("name", ["gine-person-max", "relmat-max"])
def test_node_dropout_one_removes_every_object(name):
    samples, graphs = _world()
    frames, lengths = torch.tensor([0, 3]), torch.tensor([1, 1])
    torch.manual_seed(0)
    model = build_stsgn(ModelConfig(name, num_classes=2, hidden=8, channels=12, dropout=0.0,
                              node_dropout=1.0))
    model.train()
    dropped = model.encoder(frames, graphs)
    # without objects both frames look the same (the graphs differ in their object only)
    assert torch.allclose(dropped[0], dropped[1])
    model.eval()   # at evaluation nothing is dropped
    kept = model.encoder(frames, graphs)
    assert not torch.allclose(kept[0], kept[1])


def test_layer_norm_and_embed_dropout_are_optional():
    samples, graphs = _world()
    model = build_stsgn(ModelConfig("nn-mean-bigru", num_classes=2, hidden=8, channels=12,
                              norm="layer", embed_dropout=0.5))
    assert isinstance(model.frame_norm, torch.nn.LayerNorm)
    assert model(torch.tensor([0, 1, 2]), torch.tensor([3]), graphs).shape == (1, 2)
    with pytest.raises(ValueError, match="model.norm"):
        build_stsgn(ModelConfig("nn-mean-bigru", norm="batch"))


def test_node_init_std():
    torch.manual_seed(0)
    small = build_stsgn(ModelConfig("gine-person-bigru", channels=512, node_init_std=0.1))
    paper = build_stsgn(ModelConfig("gine-person-bigru", channels=512, node_init_std=None))
    assert float(small.encoder.node_embedding.weight.detach().std()) == pytest.approx(0.1, rel=0.05)
    assert float(paper.encoder.node_embedding.weight.detach().std()) == pytest.approx(1.0, rel=0.05)


def test_paper_config_file_restores_the_papers_settings():
    from pathlib import Path
    from sgfb.utils.config import apply_mapping, load_yaml
    from sgfb.training.stsgn import ExperimentConfig
    config = apply_mapping(ExperimentConfig(), load_yaml(
        str(Path(__file__).resolve().parents[2] / "configs" / "stsgn" / "paper.yaml")))
    paper = paper_recipe(TrainConfig())
    for key in ("lr", "weight_decay", "batch_size", "patience", "max_epochs", "select",
                "warmup_epochs", "schedule", "loss", "pos_weight_power", "grad_clip"):
        assert getattr(config.train, key) == getattr(paper, key), key
    m = config.model
    assert (m.channels, m.norm, m.node_dropout, m.edge_dropout, m.embed_dropout,
            m.node_init_std, config.data.window) == (None, "none", 0.0, 0.0, 0.0, None, 0.0)
    assert build_stsgn(m).encoder.channels == 900
