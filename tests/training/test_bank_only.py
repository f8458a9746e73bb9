import pytest
import torch

from sgfb.feature_bank.fbo import masked_pool
from sgfb.training.bank_only import BankOnlyConfig, BankOnlyModel, run_bank_only


def test_sequences_become_masked_banks():
    features = torch.arange(12.0).view(6, 2)
    model = BankOnlyModel(features, num_classes=3, pool="max", hidden=4, dropout=0.0)
    seen = {}
    model.classifier.forward = lambda bank, mask: seen.update(bank=bank, mask=mask) or bank[:, 0, :1]
    model(torch.tensor([5, 0, 2, 3]), torch.tensor([1, 3]))
    assert seen["mask"].tolist() == [[True, False, False], [True, True, True]]
    assert seen["bank"][0, 0].tolist() == [10.0, 11.0]
    assert seen["bank"][1].tolist() == [[0.0, 1.0], [4.0, 5.0], [6.0, 7.0]]
    assert masked_pool(seen["bank"], seen["mask"], "max")[0].tolist() == [10.0, 11.0]


def test_bank_only_trains_on_real_graphs_beside_the_stsgn_split(shared_data):
    subset = shared_data / "ag_real_subset"
    if not subset.exists():
        pytest.skip(f"{subset} not found")
    cfg = BankOnlyConfig()
    d = cfg.data
    d.annotations = str(subset)
    d.charades = [str(shared_data / "charades" / "Charades_v1_train.csv")]
    d.fps = str(shared_data / "charades" / "video_fps.json")
    d.task, d.window = "video", 10.0
    cfg.train.max_epochs, cfg.train.progress = 6, False
    result = run_bank_only(cfg, log=lambda m: None)
    test = result["metrics"]["test"]
    # video level: 15 % of the subset's 3,907 videos, one sample each
    assert abs(test["samples"] - 0.15 * 3907) < 30
    assert 0.2 < test["mAP"] < 1.0   # epoch 0 gives 0.05; about 0.44 when fully trained
