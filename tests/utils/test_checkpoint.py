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


def test_format_tag_is_checked_and_old_kind_key_still_read(tmp_path):
    from sgfb.utils.checkpoint import checkpoint_format

    new, old, bare = tmp_path / "new.pt", tmp_path / "old.pt", tmp_path / "bare.pt"
    save_checkpoint(str(new), {"format": "sgfb.action/1"})
    save_checkpoint(str(old), {"kind": "sgfb.scene_graph/1"})   # before the one key
    save_checkpoint(str(bare), {"model": {}})
    assert load_checkpoint(str(new), format="sgfb.action/1") == {"format": "sgfb.action/1"}
    assert checkpoint_format(load_checkpoint(str(old), format="sgfb.scene_graph/1")) \
        == "sgfb.scene_graph/1"
    assert load_checkpoint(str(new), format=("sgfb.stsgn/1", "sgfb.action/1"))
    with pytest.raises(ValueError, match=r"new\.pt: checkpoint format 'sgfb\.action/1', "
                                         r"expected sgfb\.stsgn/1 or sgfb\.scene_graph/1"):
        load_checkpoint(str(new), format=("sgfb.stsgn/1", "sgfb.scene_graph/1"))
    with pytest.raises(ValueError, match=r"bare\.pt: checkpoint format None, expected"):
        load_checkpoint(str(bare), format="sgfb.action/1")
    assert checkpoint_format({"format": 3}) is None
