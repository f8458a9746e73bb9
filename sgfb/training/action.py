"""Stage 2 end to end (``tools/train_sgfb.py``): banks, clip datasets, the action model,
training (joint, or the two-stage schedule of long-term feature banks: the backbone first,
then the bank head on the frozen backbone) and the Charades evaluation.

Run folder ``OUT``: ``config.yaml``; ``banks/`` (oracle banks, when ``--oracle``);
``backbone/`` and ``head/`` (two-stage) or ``train/`` (joint) with each stage's ``last.pt``,
``metrics.jsonl`` and TensorBoard logs; ``model.pt`` (the final model with its config, class
names, preprocessing and bank settings: all that inference needs); ``metrics.json``; with
``head_seeds`` > 1, ``head_seeds/seed<S>/`` (each further bank head's ``head/`` and
``model.pt``).
"""
from __future__ import annotations

import copy
import dataclasses
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from sgfb.utils.atomic_io import remove_stale_temporaries, write_json
from sgfb.data.action_genome import ActionGenome
from sgfb.data.charades import Charades
from sgfb.data.clip_dataset import CharadesClips, collate_clips
from sgfb.utils.checkpoint import load_checkpoint, save_checkpoint
from sgfb.utils.config import to_dict
from sgfb.utils.distributed import DistInfo, barrier
from sgfb.training.solver import SolverConfig
from sgfb.training.clip_cache import (CachedClips, cached_clip_features, collate_cached,
                                      module_digest)
from sgfb.training.trainer import Trainer
from sgfb.utils.cli import Interrupted
from sgfb.models.action import CHECKPOINT_FORMAT, ActionModel
from sgfb.models.action import build_action_model as build_models_action
from sgfb.feature_bank.provider import BankStore
from sgfb.training.action_config import ActionConfig
from sgfb.evaluation.actions import ActionMetrics, backbone_view_features, evaluate_actions
from sgfb.evaluation.view_features import ViewFeatures
from sgfb.feature_bank.extract import extract_banks
from sgfb.utils.provenance import PROVENANCE_KEY, dataset_kind, training_record

VIDEO_INDEX_DIR = "video_index"  # in the run folder: packet indices shared by all epochs


# ----------------------------------------------------------------------------- data
def load_split(csv: str, classes: str) -> Charades:
    return Charades.load(csv, classes=classes or None)


def video_ids(charades: Charades, videos_dir: str, limit: int) -> List[str]:
    """The split's videos that exist on disk (sorted), at most ``limit`` (0 = all)."""
    ids = sorted(v.id for v in charades)
    ids = [v for v in ids if os.path.exists(os.path.join(videos_dir, v + ".mp4"))]
    return ids[:limit] if limit else ids


def oracle_banks(cfg: ActionConfig, out_dir: str, info: DistInfo, log: Callable) -> str:
    """Ground-truth banks (annotated frames, all scores 1) into ``OUT/banks`` (main process;
    resumable: videos already done are skipped)."""
    if not cfg.data.annotations:
        raise ValueError("--oracle needs data.annotations (the Action Genome annotations)")
    directory = os.path.join(out_dir, "banks")
    if info.is_main:
        ag = ActionGenome.load(cfg.data.annotations, preset="keep_all", fps=cfg.data.fps or None)
        summary = extract_banks(ag, directory, layout=cfg.data.bank_layout, progress=False)
        log(summary.format())
        if summary.failed:
            raise RuntimeError(f"oracle banks failed for {len(summary.failed)} videos")
    barrier(info)
    return directory


def prepare_banks(cfg: ActionConfig, out_dir: str, info: DistInfo, oracle: bool,
                  log: Callable) -> Tuple[str, Optional[BankStore]]:
    """The bank folder (oracle banks built into ``OUT/banks``, or ``data.bank_dir``) and the
    window provider of the clip datasets (None for the backbone-only model)."""
    bank_dir = oracle_banks(cfg, out_dir, info, log) if oracle else cfg.data.bank_dir
    if cfg.model.fbo == "none":
        return bank_dir, None
    if not bank_dir:
        raise ValueError("an FBO model needs banks: pass --oracle or --bank-dir (or --fbo none)")
    return bank_dir, BankStore(bank_dir, cfg.data.bank_window, cfg.data.bank_slots,
                               cfg.data.bank_layout)


class ClassSubset(torch.utils.data.Dataset):
    """A clip dataset whose labels keep only ``classes`` (in that order): few-shot base or
    novel training."""

    def __init__(self, dataset: CharadesClips, classes: Sequence[int]) -> None:
        self.dataset, self.classes = dataset, torch.as_tensor(list(classes))

    def __len__(self) -> int:
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        self.dataset.set_epoch(epoch)

    def __getitem__(self, index: int) -> Dict[str, Any]:
        item = dict(self.dataset[index])
        item["labels"] = item["labels"][self.classes]
        return item


def clip_dataset(cfg: ActionConfig, charades: Charades, ids: Sequence[str], split: str,
                 banks: Optional[BankStore], index_dir: Optional[str] = None) -> CharadesClips:
    """index_dir: where the videos' packet indices are kept across epochs (the DataLoader
    workers live one epoch; :mod:`sgfb.data.index_store`)."""
    d, b = cfg.data, cfg.model.backbone
    return CharadesClips(d.videos, charades, ids, fps=d.fps or None, num_frames=b.num_frames,
                         stride=b.sampling_rate, crop=b.crop_size,
                         scale_range=(d.scale_min, d.scale_max),
                         split=split, num_temporal_views=d.test_views,
                         num_spatial_crops=d.test_crops, seed=cfg.solver.seed,
                         bank_provider=banks, mean=cfg.model.backbone.mean,
                         std=cfg.model.backbone.std, prepared_dir=d.prepared_videos or None,
                         backend=d.video_backend, index_dir=index_dir,
                         normalize=not d.normalize_on_device)


# ---------------------------------------------------------------------------- model
def build_action_model(cfg: ActionConfig, num_classes: int, fbo: Optional[str] = None) -> ActionModel:
    return build_models_action(cfg.model.backbone, cfg.data.bank_layout, num_classes,
                               fbo=cfg.model.fbo if fbo is None else fbo, dropout=cfg.model.dropout)


def load_backbone_from(model: ActionModel, path: str) -> None:
    """Start from the backbone of an action checkpoint (``model.pt`` or a stage's
    ``last.pt``) — e.g. the backbone-only run, shared by every FBO variant."""
    state = load_checkpoint(path)["model"]
    backbone = {k[len("backbone."):]: v for k, v in state.items() if k.startswith("backbone.")}
    if not backbone:
        raise ValueError(f"{path}: no backbone weights in this checkpoint")
    missing, unexpected = model.backbone.load_state_dict(backbone, strict=False)
    if missing or unexpected:
        raise ValueError(f"{path}: backbone does not match the config (missing {missing[:5]}, "
                         f"unexpected {unexpected[:5]})")


def action_step(model: torch.nn.Module, batch: Dict[str, Any]) -> Dict[str, torch.Tensor]:
    """Sigmoid + binary cross-entropy, mean over the batch and the classes (§5.1). A batch of
    cached clip features (:func:`~sgfb.training.clip_cache.collate_cached`) goes through the
    model's forward as ``features``, so DDP still averages the head's gradients."""
    device = next(p for p in model.parameters()).device
    bank = batch["bank"].to(device) if "bank" in batch else None
    mask = batch["bank_mask"].to(device) if "bank_mask" in batch else None
    if "features" in batch:
        logits = model(None, bank, mask, features=batch["features"].to(device))
    else:
        logits = model(batch["frames"].to(device, non_blocking=True), bank, mask)
    return {"bce": F.binary_cross_entropy_with_logits(
        logits.float(), batch["labels"].to(device).float())}


def preprocessing(cfg: ActionConfig) -> Dict[str, Any]:
    """The backbone's clip preprocessing, and where the clips are normalised:
    ``normalize_on_device`` true means the model was fed uint8 crops and normalised them
    itself (the float input is the same either way; inference follows it)."""
    return {**cfg.model.backbone.preprocessing(),
            "normalize_on_device": bool(cfg.data.normalize_on_device)}


def checkpoint_meta(cfg: ActionConfig, class_names: List[str], has_fbo: bool,
                    classes: Optional[List[int]] = None) -> Dict[str, Any]:
    """What a checkpoint carries besides the weights, so inference needs no other file."""
    return {
        "format": CHECKPOINT_FORMAT,
        "config": to_dict(cfg),
        "class_names": class_names,
        "classes": classes,   # Charades indices of the outputs when a subset (few-shot)
        "preprocessing": preprocessing(cfg),
        "bank": {"layout": cfg.data.bank_layout, "window": cfg.data.bank_window,
                 "slots": cfg.data.bank_slots, "fbo": has_fbo},
    }


def checkpoint_state(model: ActionModel, cfg: ActionConfig, class_names: List[str],
                     classes: Optional[List[int]] = None,
                     provenance: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """``provenance``: :func:`sgfb.utils.provenance.training_record` (left out when None)."""
    state = {"model": model.state_dict(),
             **checkpoint_meta(cfg, class_names, model.head.fbo is not None, classes)}
    if provenance is not None:
        state[PROVENANCE_KEY] = provenance
    return state


def action_training_record(cfg: ActionConfig, train_videos: int) -> Dict[str, Any]:
    """The training record of an action model: the data kind follows the AG annotations
    (banks, oracle) or, without them, the videos folder's dataset."""
    source = cfg.data.annotations or os.path.dirname(os.path.abspath(cfg.data.videos))
    kind = dataset_kind(source) if cfg.data.annotations else \
        dataset_kind(os.path.join(source, "annotations"))
    return training_record(cfg.config_name, kind, train_videos, "videos", source)


# ------------------------------------------------------------------------- training
@dataclass
class StageRun:
    name: str
    solver: SolverConfig
    fbo: str
    freeze_backbone: bool


def plan_stages(cfg: ActionConfig) -> List[StageRun]:
    fbo = cfg.model.fbo
    if cfg.schedule == "joint" or fbo == "none":
        return [StageRun("train", cfg.solver, fbo, False)]
    stages = [] if cfg.model.init else [StageRun("backbone", cfg.solver, "none", False)]
    return stages + [StageRun("head", cfg.head_solver, fbo, True)]


def train_action_model(cfg: ActionConfig, out_dir: str, info: DistInfo, train_set,
                       num_classes: int, class_names: List[str], resume: bool = False,
                       classes: Optional[List[int]] = None, progress: bool = True,
                       log: Callable[[str], None] = print,
                       stages: Optional[List[StageRun]] = None,
                       start: Optional[ActionModel] = None) -> ActionModel:
    """Train through ``stages`` (default :func:`plan_stages`); returns the final model (on
    ``info.device``). ``start``: a model whose backbone the first stage starts from, instead
    of ``cfg.model.init``'s."""
    model: Optional[ActionModel] = start
    for stage in stages or plan_stages(cfg):
        previous = model
        torch.manual_seed(stage.solver.seed)   # the same initial weights on every process
        model = build_action_model(cfg, num_classes, fbo=stage.fbo)
        if previous is not None:
            model.backbone.load_state_dict(previous.backbone.state_dict())
        elif cfg.model.init:
            load_backbone_from(model, cfg.model.init)
        if stage.freeze_backbone:
            model.freeze_backbone()
        log(f"stage {stage.name!r}: fbo={stage.fbo}, backbone "
            f"{'frozen' if stage.freeze_backbone else 'trained'}, {stage.solver.max_iters} iterations")
        stage_dir = os.path.join(out_dir, stage.name)
        stage_set, collate, solver = train_set, collate_clips, stage.solver
        if stage.freeze_backbone and cfg.head_cache_clips:
            stage_set = cached_train_set(cfg, model, train_set, stage_dir, info, log)
            collate = collate_cached
            solver = dataclasses.replace(solver, num_workers=0)   # the items are in memory
        trainer = Trainer(model, action_step, stage_set, collate, solver, stage_dir, info,
                          extra_state=checkpoint_meta(cfg, class_names, stage.fbo != "none", classes),
                          progress=progress, log=log)
        if trainer.train(resume=resume).interrupted:
            raise Interrupted(f"stage {stage.name!r} stopped; resume with --resume ({out_dir})")
    assert model is not None
    return model


def cached_train_set(cfg: ActionConfig, model: ActionModel, train_set, stage_dir: str,
                     info: DistInfo, log: Callable[[str], None]) -> CachedClips:
    """The head stage's training items over the frozen backbone's features of
    ``cfg.head_cache_clips`` clips per training video (:mod:`sgfb.training.clip_cache`),
    kept in ``cfg.head_cache_dir`` (default the stage's folder)."""
    clips = train_set.dataset if isinstance(train_set, ClassSubset) else train_set
    if not isinstance(clips, CharadesClips):
        raise TypeError(f"head_cache_clips needs a CharadesClips training set, got "
                        f"{type(clips).__name__}")
    model.to(info.device)
    cache = cached_clip_features(model, clips, cfg.head_cache_clips,
                                 cfg.head_cache_dir or stage_dir, cfg.head_solver.batch_size,
                                 cfg.head_solver.num_workers, info, log)
    classes = train_set.classes.tolist() if isinstance(train_set, ClassSubset) else None
    return CachedClips(cache, clips.bank_provider, classes)


def open_action_run(cfg: ActionConfig, out_dir: str, info: DistInfo, oracle: bool,
                    log: Callable[[str], None]):
    """What every action run starts with (full training and few-shot alike): the config
    checked, the run folder, the banks, and the train and test splits of the CSVs."""
    cfg.check()
    os.makedirs(out_dir, exist_ok=True)
    bank_dir, banks = prepare_banks(cfg, out_dir, info, oracle, log)
    return (bank_dir, banks, load_split(cfg.data.train_csv, cfg.data.classes),
            load_split(cfg.data.test_csv, cfg.data.classes))


def run_action_training(cfg: ActionConfig, out_dir: str, info: DistInfo, oracle: bool = False,
                        resume: bool = False, progress: bool = True,
                        log: Callable[[str], None] = print) -> Optional[Dict[str, Any]]:
    """Train and evaluate one model; returns the metrics (main process) or None."""
    bank_dir, banks, train_split, test_split = open_action_run(cfg, out_dir, info, oracle, log)
    train_ids = video_ids(train_split, cfg.data.videos, cfg.data.max_train_videos)
    test_ids = video_ids(test_split, cfg.data.videos, cfg.data.max_test_videos)
    if not train_ids or not test_ids:
        raise ValueError(f"{cfg.data.videos}: no videos of {cfg.data.train_csv} / "
                         f"{cfg.data.test_csv} found there")
    if banks is not None and info.is_main:
        missing = banks.missing(train_ids + test_ids)
        if missing:
            log(f"{len(missing)} videos have no bank in {bank_dir} (empty windows), e.g. {missing[:3]}")
    class_names = [train_split.class_name(c) for c in range(train_split.num_classes)]
    index_dir = os.path.join(out_dir, VIDEO_INDEX_DIR)
    if info.is_main:  # what killed workers were writing
        remove_stale_temporaries(index_dir)
    train_set = clip_dataset(cfg, train_split, train_ids, "train", banks, index_dir=index_dir)
    model = train_action_model(cfg, out_dir, info, train_set, train_split.num_classes,
                               class_names, resume, progress=progress, log=log)
    if info.is_main:
        save_checkpoint(os.path.join(out_dir, "model.pt"), checkpoint_state(
            model, cfg, class_names, provenance=action_training_record(cfg, len(train_ids))))
    # every process scores its share of the test views (no process idles at a barrier)
    test_set = clip_dataset(cfg, test_split, test_ids, "test", banks)
    views = None
    if trains_more_heads(cfg):    # the views are decoded and the backbone run once, not N times
        views = backbone_view_features(model, test_set, info.device, module_digest(model.backbone),
                                       cfg.eval_batch_size, cfg.workers, progress, info)
        log(f"test views decoded once for the {cfg.head_seeds} bank heads: the frozen "
            f"backbone's features of {len(views.video_ids)} views (this process's share)")
    metrics = evaluate_actions(model, test_set, info.device, cfg.eval_batch_size, cfg.workers,
                               progress=progress, info=info, views=views)
    more = more_head_seeds(cfg, out_dir, info, model, train_set, test_set, class_names,
                           len(train_ids), resume, progress, log, views)
    if not info.is_main:
        return None
    result = summarise(cfg, metrics, class_names, oracle, bank_dir)
    if more:
        result["head_seeds"] = head_seed_summary([(cfg.head_solver.seed, metrics.mAP)] + more)
    write_json(os.path.join(out_dir, "metrics.json"), result)
    return result


def trains_more_heads(cfg: ActionConfig) -> bool:
    """Whether ``head_seeds`` asks for more bank heads and the run has a frozen backbone
    for them."""
    return cfg.head_seeds > 1 and any(s.freeze_backbone for s in plan_stages(cfg))


def more_head_seeds(cfg: ActionConfig, out_dir: str, info: DistInfo, first: ActionModel,
                    train_set, test_set: CharadesClips, class_names: List[str],
                    train_videos: int, resume: bool, progress: bool,
                    log: Callable[[str], None],
                    views: Optional[ViewFeatures] = None) -> List[Tuple[int, float]]:
    """``cfg.head_seeds - 1`` more bank heads, seeds ``head_solver.seed + 1`` on, each on the
    frozen backbone of the ``first`` model and its training items (the same clips: one clip
    cache), into ``OUT/head_seeds/seed<S>/`` (``head/``, ``model.pt``); returns ``(seed,
    test mAP)`` of each, scored on ``views`` (that backbone's test view features) when
    given."""
    if cfg.head_seeds > 1 and not trains_more_heads(cfg):
        log(f"head_seeds={cfg.head_seeds} ignored: this run trains no bank head on a frozen "
            f"backbone (schedule {cfg.schedule}, fbo {cfg.model.fbo})")
        return []
    scores = []
    for k in range(1, cfg.head_seeds):
        head_cfg = copy.deepcopy(cfg)
        head_cfg.head_solver.seed = seed = cfg.head_solver.seed + k
        head_cfg.head_cache_dir = cfg.head_cache_dir or os.path.join(out_dir, "head")
        head_dir = os.path.join(out_dir, "head_seeds", f"seed{seed}")
        stage = plan_stages(head_cfg)[-1]          # the bank head, with this seed's solver
        log(f"bank head {k + 1} of {cfg.head_seeds} (head_solver.seed={seed}) -> {head_dir}")
        try:
            model = train_action_model(head_cfg, head_dir, info, train_set,
                                       test_set.num_classes, class_names, resume,
                                       progress=progress, log=log, stages=[stage], start=first)
        except Interrupted:
            raise Interrupted(f"bank head seed {seed} stopped; resume with --resume "
                              f"({out_dir})") from None
        if info.is_main:
            save_checkpoint(os.path.join(head_dir, "model.pt"), checkpoint_state(
                model, head_cfg, class_names,
                provenance=action_training_record(head_cfg, train_videos)))
        if views is not None and module_digest(model.backbone) != views.backbone:
            raise RuntimeError(f"bank head seed {seed}: its backbone is not the frozen one "
                               f"the test view features came from")
        metrics = evaluate_actions(model, test_set, info.device, cfg.eval_batch_size,
                                   cfg.workers, progress=progress, info=info, views=views)
        log(f"bank head seed {seed}: mAP {metrics.mAP:.4f}")
        scores.append((seed, metrics.mAP))
    return scores


def head_seed_summary(scores: Sequence[Tuple[int, float]]) -> Dict[str, Any]:
    """metrics.json's ``head_seeds``: each head's seed and test mAP, their mean and range."""
    maps = [m for _, m in scores]
    return {"seeds": [s for s, _ in scores], "mAP": maps, "mean_mAP": sum(maps) / len(maps),
            "min_mAP": min(maps), "max_mAP": max(maps)}


def summarise(cfg: ActionConfig, metrics: ActionMetrics, class_names: List[str], oracle: bool,
              bank_dir: str) -> Dict[str, Any]:
    return {"fbo": cfg.model.fbo, "banks": "oracle" if oracle else (bank_dir or None),
            "backbone": cfg.model.backbone.arch, "schedule": cfg.schedule,
            **metrics.as_dict(class_names),
            "per_video": {v: s.tolist() for v, s in zip(metrics.video_ids, metrics.scores)}}
