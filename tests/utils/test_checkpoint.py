import os
import pickle

import pytest
import torch

from sgfb.utils.checkpoint import load_checkpoint, save_checkpoint


def test_round_trip(tmp_path):
    state = {"model": {"w": torch.arange(4.0)}, "config": {"lr": 0.1, "classes": ["a", "b"]},
             "iteration": 7}
    path = tmp_path / "sub" / "ckpt.pt"
    save_checkpoint(str(path), state)
    out = load_checkpoint(str(path))
    assert torch.equal(out["model"]["w"], state["model"]["w"])
    assert out["config"] == state["config"] and out["iteration"] == 7
    assert [p.name for p in path.parent.iterdir()] == ["ckpt.pt"]


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/sgfb_ckpt_pwned",))


def test_code_in_a_checkpoint_is_not_run(tmp_path):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        torch.save({"x": _Evil()}, f, pickle_module=pickle)
    with pytest.raises(RuntimeError, match="evil.pt"):
        load_checkpoint(str(path))
    assert not os.path.exists("/tmp/sgfb_ckpt_pwned")


def test_missing_and_truncated(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        load_checkpoint(str(tmp_path / "nope.pt"))
    path = tmp_path / "cut.pt"
    save_checkpoint(str(path), {"w": torch.zeros(1000)})
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(RuntimeError, match="cut.pt"):
        load_checkpoint(str(path))
