"""Configuration of stage 2 (``tools/train_sgfb.py``): data, model, solvers, schedule.

YAML files in ``configs/sgfb/`` set these fields; ``key=value`` overrides on the command
line follow (:mod:`sgfb.utils.config`). The resolved config is saved with every run and
inside every checkpoint.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import List

from sgfb.backbone.config import BackboneConfig
from sgfb.training.names import FBOS, SCHEDULES
from sgfb.training.solver import SolverConfig


@dataclass
class ActionDataConfig:
    videos: str = ""                 # folder of VIDEO.mp4
    prepared_videos: str = ""        # tools/prepare_videos.py output, read where current
    # decoder of training/test clips: pyav | auto (torchcodec when installed) | torchcodec |
    # decord; pyav is the default because it was the cheaper exact one for 32x4 clips
    # (docs/benchmarks.md, training data loader)
    video_backend: str = "pyav"
    # true (default): the loader hands out uint8 crops (resized, cropped, flipped as usual)
    # and the model normalises them, (x / 255 - mean) / std, on its device before the
    # backbone: less loader CPU per clip and 4x fewer bytes from the workers to the GPU; the
    # same model input (docs/benchmarks.md, training data loader). false: float32 clips
    # out of the loader, as PySlowFast. Recorded in checkpoints (their preprocessing), so
    # inference prepares clips the same way; checkpoints without the record mean false.
    normalize_on_device: bool = True
    train_csv: str = ""              # Charades_v1_train.csv
    test_csv: str = ""               # Charades_v1_test.csv
    classes: str = ""                # Charades_v1_classes.txt
    fps: str = ""                    # video_fps.json (AG frame times); "" = decoder's rate
    annotations: str = ""            # AG annotations, for --oracle banks
    bank_dir: str = ""               # banks from predicted graphs (tools/extract_banks.py)
    bank_layout: str = "paper"       # 875-d (paper) or 910-d (full)
    bank_window: float = math.inf    # seconds centred on the clip; inf = the whole video
    bank_slots: int = 32             # window entries (sub-sampled / zero-padded)
    # clip length, stride and crop are the backbone's (model.backbone.num_frames,
    # sampling_rate, crop_size), so checkpoints carry them as preprocessing
    scale_min: int = 256
    scale_max: int = 320
    test_views: int = 10
    test_crops: int = 3
    max_train_videos: int = 0        # 0 = all (a subset for quick runs)
    max_test_videos: int = 0


@dataclass
class ActionModelConfig:
    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    fbo: str = "nl"                  # mean | max | nl | none (backbone only)
    dropout: float = 0.3
    init: str = ""                   # an action checkpoint whose backbone starts this run


@dataclass
class FewShotConfig:
    num_novel: int = 20
    seed: int = 0
    shots: List[int] = field(default_factory=lambda: [1, 5, 10])


@dataclass
class ActionConfig:
    data: ActionDataConfig = field(default_factory=ActionDataConfig)
    model: ActionModelConfig = field(default_factory=ActionModelConfig)
    solver: SolverConfig = field(default_factory=lambda: SolverConfig(
        optimizer="sgd", lr=0.02, weight_decay=1e-4, max_iters=24000, warmup_iters=1000,
        steps=[16000, 20000], batch_size=4, checkpoint_every=1000, log_every=20))
    head_solver: SolverConfig = field(default_factory=lambda: SolverConfig(
        optimizer="sgd", lr=0.02, weight_decay=1e-4, max_iters=6000, warmup_iters=200,
        steps=[4000, 5000], batch_size=4, checkpoint_every=1000, log_every=20))
    schedule: str = "joint"          # joint | two_stage (backbone first, then the bank head)
    # the head stage on cached clip features: this many training clips per video go through
    # the frozen backbone once, and the head trains on their features (each iteration then
    # costs the head alone; sgfb/training/clip_cache.py); 0: every head iteration decodes
    # and runs fresh clips
    head_cache_clips: int = 0
    head_cache_dir: str = ""         # where that cache is kept ("" = the head stage's folder);
    #                                  runs on one backbone (predicted, oracle banks) share it
    # train the bank head this many times on the one frozen backbone, with head_solver.seed,
    # +1, ... (the extra heads in OUT/head_seeds/seed<S>/); metrics.json adds each head's
    # test mAP and their mean; model.pt is the first. On a small test set one head's mAP
    # moves with its seed (docs/sgfb.md). Runs without a bank head on a frozen backbone
    # (joint, fbo none) say they ignore it, so one config serves the backbone-only run too;
    # the few-shot protocol (--few-shot) trains its own heads and does not read it
    head_seeds: int = 1
    few_shot: FewShotConfig = field(default_factory=FewShotConfig)
    device: str = "auto"
    eval_batch_size: int = 2
    workers: int = 2
    config_name: str = ""            # the YAML file's name (set by resolve_config)

    def check(self) -> None:
        if self.model.fbo not in FBOS:
            raise ValueError(f"model.fbo must be one of {FBOS}, got {self.model.fbo!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if self.head_cache_clips < 0:
            raise ValueError(f"head_cache_clips must be 0 (off) or more, got "
                             f"{self.head_cache_clips}")
        if self.head_seeds < 1:
            raise ValueError(f"head_seeds must be 1 or more, got {self.head_seeds}")
        for name in ("videos", "train_csv", "test_csv"):
            if not getattr(self.data, name):
                raise ValueError(f"data.{name} is not set")

    def input_paths(self) -> dict:
        """The files and folders this config reads, by key (checked before a run writes)."""
        d = self.data
        return {"data.videos": d.videos, "data.prepared_videos": d.prepared_videos,
                "data.train_csv": d.train_csv,
                "data.test_csv": d.test_csv, "data.classes": d.classes, "data.fps": d.fps,
                "data.annotations": d.annotations, "data.bank_dir": d.bank_dir,
                "model.init": self.model.init}
