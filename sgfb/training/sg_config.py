"""Configuration of stage 1 (``tools/train_sg.py`` / ``tools/test_sg.py``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

from sgfb.detection.config import DetectorConfig
from sgfb.detection.photometric import ColorJitter
from sgfb.training.solver import SolverConfig
from sgfb.relations.head import RelationHeadConfig
from sgfb.relations.losses import RelationLossConfig

STAGES = ("detector", "relations")


@dataclass
class SGDataConfig:
    annotations: str = ""        # AG annotations folder (or object pickle)
    frames: str = ""             # dumped frames: FRAMES/VIDEO.mp4/NNNNNN.png
    preset: str = "filtered"     # frames to train and evaluate on (STTran's filter)
    flip: float = 0.5            # horizontal-flip probability in training
    # colour jitter of training frames (sgfb/detection/photometric.py; 0 = none): brightness,
    # contrast and saturation factors from U(1 - v, 1 + v), hue shift from U(-v, v) turns
    brightness: float = 0.0
    contrast: float = 0.0
    saturation: float = 0.0
    hue: float = 0.0
    max_train_frames: int = 0    # 0 = all (a subset for quick runs)
    max_val_frames: int = 200    # validation frames (from the test split) during training
    max_test_frames: int = 0
    clip_frames: int = 4         # frames per training clip of a temporal head (relations.kind=sttran)

    def color_jitter(self) -> ColorJitter:
        """The training frames' jitter; ``ValueError`` naming the key when out of range."""
        try:
            return ColorJitter(self.brightness, self.contrast, self.saturation, self.hue)
        except ValueError as err:
            raise ValueError(f"data.{err}") from None


@dataclass
class SGConfig:
    data: SGDataConfig = field(default_factory=SGDataConfig)
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    relations: RelationHeadConfig = field(default_factory=RelationHeadConfig)
    loss: RelationLossConfig = field(default_factory=RelationLossConfig)
    detector_solver: SolverConfig = field(default_factory=lambda: SolverConfig(
        optimizer="sgd", lr=0.02, weight_decay=1e-4, max_iters=90000, warmup_iters=1000,
        steps=[60000, 80000], batch_size=2, checkpoint_every=5000, log_every=20,
        eval_every=10000))
    relation_solver: SolverConfig = field(default_factory=lambda: SolverConfig(
        optimizer="sgd", lr=0.01, weight_decay=1e-4, max_iters=30000, warmup_iters=500,
        steps=[20000, 25000], batch_size=4, checkpoint_every=5000, log_every=20,
        eval_every=5000))
    stages: List[str] = field(default_factory=lambda: list(STAGES))
    device: str = "auto"
    test_batch_size: int = 4
    config_name: str = ""            # the YAML file's name (set by resolve_config)

    def check(self) -> None:
        unknown = [s for s in self.stages if s not in STAGES]
        if unknown or not self.stages:
            raise ValueError(f"stages must be a non-empty subset of {STAGES}, got {self.stages}")
        for name in ("annotations", "frames"):
            if not getattr(self.data, name):
                raise ValueError(f"data.{name} is not set")
        self.detector.validate()
        from sgfb.relations.heads import HEAD_KINDS
        if self.relations.kind not in HEAD_KINDS:
            raise ValueError(f"relations.kind={self.relations.kind!r}; choose from "
                             f"{', '.join(HEAD_KINDS)}")
        self.data.color_jitter()
        if self.data.clip_frames < 1:
            raise ValueError(f"data.clip_frames={self.data.clip_frames} must be >= 1")

    def input_paths(self) -> dict:
        """The files and folders this config reads, by key (checked before a run writes)."""
        return {"data.annotations": self.data.annotations, "data.frames": self.data.frames}
