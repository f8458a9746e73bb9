"""Stage 1 end to end (``tools/train_sg.py``; Action Genome paper §4.1, §5.3): train the
detector on AG boxes, then the predicate head (``relations.kind``, any of
:data:`sgfb.relations.heads.HEAD_BUILDERS`) on ground-truth pairs with the detector frozen
(RelDN trains its relation head on a fixed detector), one or both. A temporal head trains on
batches of clips (``data.clip_frames`` consecutive annotated frames of one video; the batch
size counts clips) and is evaluated a whole video at a time.

Run folder ``OUT``: ``config.yaml``; ``detector/`` and ``relations/`` (each stage's
``last.pt`` for ``--resume``, ``metrics.jsonl``, TensorBoard logs); ``model.pt`` (detector,
head, frequency statistics, configs, vocabularies).
"""
from __future__ import annotations

import os
from typing import Callable, Dict, List, Optional, Sequence

import torch
from torch import nn

from sgfb.data.action_genome import ActionGenome
from sgfb.detection.dataset import DetectionFrames, collate
from sgfb.detection.build import build_detector
from sgfb.detection.detector import SGDetector
from sgfb.utils.checkpoint import load_checkpoint, save_checkpoint
from sgfb.utils.config import to_dict
from sgfb.utils.distributed import DistInfo, barrier
from sgfb.training.trainer import Trainer
from sgfb.utils.cli import Interrupted
from sgfb.evaluation.sg_recall import evaluate_recall
from sgfb.relations.frames import (
    SceneGraphClips, SceneGraphFrames, collate_graph_clips, collate_graph_frames,
)
from sgfb.relations.frequency import FrequencyPrior, count_relationships
from sgfb.relations.heads import TRAINED_KINDS, build_relation_head, is_temporal
from sgfb.relations.losses import relation_loss
from sgfb.relations.pairs import pairs_from_ground_truth
from sgfb.relations.predictor import SceneGraphPredictor
from sgfb.training.sg_config import SGConfig
from sgfb.models.scene_graph import detector_channels, scene_graph_state
from sgfb.utils.provenance import dataset_kind, training_record
from sgfb.structures.scene_graph import SceneGraph
from sgfb.data.ag_splits import split_keys
from sgfb.evaluation.sg_prediction import predict_frames


class RelationTraining(nn.Module):
    """The trainable module of the relations stage: a frozen detector (eval mode, no
    gradients) gives the feature maps; the head scores ground-truth person-object pairs."""

    def __init__(self, detector: SGDetector, head: nn.Module, contrastive_weight: float = 0.0,
                 contrastive_margin: float = 0.2) -> None:
        super().__init__()
        self.detector, self.head = detector, head
        self.contrastive_weight, self.contrastive_margin = contrastive_weight, contrastive_margin
        for p in self.detector.parameters():
            p.requires_grad_(False)

    def train(self, mode: bool = True) -> "RelationTraining":
        super().train(mode)
        self.detector.eval()
        return self

    def forward(self, images: Sequence[torch.Tensor], graphs: Sequence[SceneGraph]) -> Dict[str, torch.Tensor]:
        device = next(self.head.parameters()).device
        with torch.no_grad():
            features = self.detector.features([im.to(device) for im in images])
        pairs, targets = pairs_from_ground_truth(graphs)
        logits = self.head(features, pairs.to(device))
        losses = relation_loss(logits, targets.to(device), pairs.frame_index.to(device),
                               pairs.num_frames, self.contrastive_weight, self.contrastive_margin)
        # a batch without pairs still touches every parameter, so DDP's reducer is satisfied
        anchor = sum(p.sum() for p in self.head.parameters()) * 0.0
        return {k: v + anchor for k, v in losses.items()}


def detector_step(model: nn.Module, batch) -> Dict[str, torch.Tensor]:
    images, targets, _ = batch
    device = next(model.parameters()).device
    return model([im.to(device) for im in images],
                 [{k: v.to(device) for k, v in t.items()} for t in targets])


def relation_step(model: nn.Module, batch) -> Dict[str, torch.Tensor]:
    images, graphs, _ = batch
    return model(images, graphs)


def recall_validation(predictor_of: Callable[[nn.Module], SceneGraphPredictor],
                      dataset: SceneGraphFrames, mode: str, batch_size: int,
                      device: torch.device) -> Callable[[nn.Module], Dict[str, float]]:
    """A Trainer ``validate`` callback: R@20/50 (with constraint, video-averaged) on ``dataset``."""
    truth = {k: dataset.ag.scene_graph(k) for k in dataset.keys}

    def validate(model: nn.Module) -> Dict[str, float]:
        predictions = predict_frames(predictor_of(model), dataset, mode, batch_size, device)
        result = evaluate_recall(truth, predictions, "with", (20, 50))
        return {f"{mode}_R@{k}": result.video[k] for k in (20, 50)}

    return validate


def detector_frames(ag: ActionGenome, frames: str, keys: List[str], cfg: SGConfig) -> DetectionFrames:
    return DetectionFrames(ag, frames, keys, flip_prob=cfg.data.flip,
                           seed=cfg.detector_solver.seed, color_jitter=cfg.data.color_jitter())


def run_sg_training(cfg: SGConfig, out_dir: str, info: DistInfo, resume: bool = False,
                    progress: bool = True, log: Callable[[str], None] = print) -> str:
    """Train the configured stages; returns the path of ``OUT/model.pt``."""
    cfg.check()
    ag = ActionGenome.load(cfg.data.annotations, preset=cfg.data.preset)
    train_keys = split_keys(ag, "train", cfg.data.max_train_frames)
    val_keys = split_keys(ag, "test", cfg.data.max_val_frames)
    counts, pair_counts = count_relationships(ag.scene_graph(k) for k in train_keys)
    log(f"{len(train_keys)} training frames, {len(val_keys)} validation frames "
        f"({ag.source}, preset {cfg.data.preset!r})")
    provenance = training_record(cfg.config_name, dataset_kind(cfg.data.annotations),
                                 len(train_keys), "frames", cfg.data.annotations)
    torch.manual_seed(cfg.detector_solver.seed)   # the same initial weights on every process
    detector = build_detector(cfg.detector)
    model_path = os.path.join(out_dir, "model.pt")
    if "detector" not in cfg.stages:
        if not os.path.exists(model_path):
            raise FileNotFoundError(f"{model_path}: training only the relations stage needs a "
                                    "trained detector there (run the detector stage first)")
        detector.load_state_dict(load_checkpoint(model_path)["detector"])
    config = to_dict(cfg)

    if "detector" in cfg.stages:
        # the detector's validation: SGDet recall with the frequency prior as predicate head,
        # i.e. how well its boxes and classes serve the scene-graph task
        prior = FrequencyPrior.from_counts(counts, pair_counts, cfg.relations.frequency_eps)
        validate = recall_validation(
            lambda m: SceneGraphPredictor(m, prior.to(next(m.parameters()).device)).eval(),
            SceneGraphFrames(ag, cfg.data.frames, val_keys), "sgdet", cfg.test_batch_size,
            info.device)
        trainer = Trainer(detector, detector_step, detector_frames(ag, cfg.data.frames, train_keys, cfg),
                          collate, cfg.detector_solver, os.path.join(out_dir, "detector"), info,
                          extra_state={"config": config}, validate=validate, progress=progress,
                          log=log)
        if trainer.train(resume=resume).interrupted:
            raise Interrupted(f"detector training stopped; resume with --resume ({out_dir})")
        if info.is_main:
            save_checkpoint(model_path, scene_graph_state(detector, cfg.detector, None,
                                                          cfg.relations, counts, pair_counts, config,
                                                          provenance))
        barrier(info)

    head: Optional[nn.Module] = None
    if "relations" in cfg.stages and cfg.relations.kind in TRAINED_KINDS:
        torch.manual_seed(cfg.relation_solver.seed)
        head = build_relation_head(cfg.relations, detector_channels(detector), counts, pair_counts)
        module = RelationTraining(detector, head, cfg.loss.contrastive_weight,
                                  cfg.loss.contrastive_margin)
        train_set = SceneGraphFrames(ag, cfg.data.frames, train_keys, flip_prob=cfg.data.flip,
                                     seed=cfg.relation_solver.seed,
                                     color_jitter=cfg.data.color_jitter())
        collate_fn = collate_graph_frames
        if is_temporal(head):     # batches of clips: relation_solver.batch_size clips
            train_set, collate_fn = SceneGraphClips(train_set, cfg.data.clip_frames), collate_graph_clips
        val_set = SceneGraphFrames(ag, cfg.data.frames, val_keys)
        validate = recall_validation(
            lambda m: SceneGraphPredictor(m.detector, m.head).eval(), val_set, "predcls",
            cfg.test_batch_size, info.device)
        trainer = Trainer(module, relation_step, train_set, collate_fn,
                          cfg.relation_solver, os.path.join(out_dir, "relations"), info,
                          extra_state={"config": config}, validate=validate, progress=progress,
                          log=log)
        if trainer.train(resume=resume).interrupted:
            raise Interrupted(f"relation training stopped; resume with --resume ({out_dir})")
    if info.is_main:
        save_checkpoint(model_path, scene_graph_state(detector.cpu(), cfg.detector,
                                                      head.cpu() if head is not None else None,
                                                      cfg.relations, counts, pair_counts, config,
                                                          provenance))
    barrier(info)
    return model_path
