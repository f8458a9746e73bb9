"""ST-SGN checkpoints (``tools/train_stsgn.py``): the format they carry and the model they
hold, rebuilt from the stored model config."""
from __future__ import annotations

from typing import Dict

from sgfb.stsgn.model import STSGN, ModelConfig, build_stsgn
from sgfb.utils.checkpoint import load_checkpoint

CHECKPOINT_FORMAT = "sgfb.stsgn/1"


def load_model(path: str) -> tuple[STSGN, Dict]:
    ckpt = load_checkpoint(path, format=CHECKPOINT_FORMAT)
    model = build_stsgn(ModelConfig(**ckpt["model_config"]))
    model.load_state_dict(ckpt["state_dict"])
    return model.eval(), ckpt
