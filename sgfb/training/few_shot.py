"""Few-shot action recognition on Charades (Action Genome paper §5.2).

The 157 classes are split (seeded, written to ``OUT/few_shot_split.json``) into 137 base and
20 novel classes. A backbone is trained on every training video of the base classes (labels
restricted to them; the backbone-only model, shared by all variants as in the paper); then,
for each k, a model of the chosen FBO is trained on k videos per novel class with that
backbone frozen (50 epochs by default) and evaluated on the test videos that contain a novel
class: mAP over the novel classes.
"""
from __future__ import annotations

import copy
import os
from typing import Any, Callable, Dict, Optional

from sgfb.utils.atomic_io import write_json
from sgfb.utils.checkpoint import save_checkpoint
from sgfb.utils.distributed import DistInfo, barrier
from sgfb.evaluation.few_shot import few_shot_split, k_shot_videos, save_split, videos_with_classes
from sgfb.training.action_config import ActionConfig
from sgfb.evaluation.actions import evaluate_actions
from sgfb.training.action import (ClassSubset, StageRun, checkpoint_state, clip_dataset,
                                  open_action_run, train_action_model, video_ids)


def run_few_shot(cfg: ActionConfig, out_dir: str, info: DistInfo, oracle: bool = False,
                 resume: bool = False, epochs: int = 50, progress: bool = True,
                 log: Callable[[str], None] = print) -> Optional[Dict[str, Any]]:
    bank_dir, banks, train_split, test_split = open_action_run(cfg, out_dir, info, oracle, log)
    num_classes = train_split.num_classes
    base, novel = few_shot_split(num_classes, cfg.few_shot.num_novel, cfg.few_shot.seed)
    if info.is_main:
        save_split(os.path.join(out_dir, "few_shot_split.json"), base, novel, cfg.few_shot.seed)
    names = [train_split.class_name(c) for c in range(num_classes)]
    all_train = video_ids(train_split, cfg.data.videos, cfg.data.max_train_videos)
    test_ids = videos_with_classes(test_split, video_ids(test_split, cfg.data.videos,
                                                         cfg.data.max_test_videos), novel)

    # 1. the shared backbone, trained on the base classes (no bank)
    base_ids = videos_with_classes(train_split, all_train, base)
    if not base_ids or not test_ids:
        raise ValueError(f"few-shot needs training videos of the base classes and test videos of "
                         f"the novel ones; found {len(base_ids)} and {len(test_ids)}")
    base_cfg = copy.deepcopy(cfg)
    base_cfg.model.fbo = "none"
    base_set = ClassSubset(clip_dataset(base_cfg, train_split, base_ids, "train", None), base)
    log(f"few-shot: {len(base)} base / {len(novel)} novel classes; backbone on "
        f"{len(base_ids)} base videos")
    base_model = train_action_model(
        base_cfg, os.path.join(out_dir, "base"), info, base_set, len(base),
        [names[c] for c in base], resume, classes=list(base), progress=progress, log=log,
        stages=[StageRun("train", cfg.solver, "none", False)])
    base_checkpoint = os.path.join(out_dir, "base", "model.pt")
    if info.is_main:
        save_checkpoint(base_checkpoint, checkpoint_state(base_model, base_cfg,
                                                          [names[c] for c in base], list(base)))
    barrier(info)

    # 2. k-shot heads on the frozen backbone
    results: Dict[str, Any] = {"fbo": cfg.model.fbo, "banks": "oracle" if oracle else bank_dir or None,
                               "base_classes": list(base), "novel_classes": list(novel),
                               "test_videos": len(test_ids), "shots": {}}
    for k in cfg.few_shot.shots:
        ids = k_shot_videos(train_split, all_train, novel, k, seed=cfg.few_shot.seed)
        if not ids:
            raise ValueError(f"{cfg.data.train_csv}: no training video has a novel class")
        head_cfg = copy.deepcopy(cfg)
        head_cfg.model.init = base_checkpoint
        solver = copy.deepcopy(cfg.head_solver)
        solver.batch_size = max(1, min(solver.batch_size, len(ids) // info.world_size))
        solver.max_iters = max(1, epochs * len(ids) // (solver.batch_size * info.world_size))
        solver.steps = [int(solver.max_iters * 0.8)]
        solver.warmup_iters = min(solver.warmup_iters, solver.max_iters // 10)
        train_set = ClassSubset(clip_dataset(head_cfg, train_split, ids, "train", banks), novel)
        log(f"{k}-shot: {len(ids)} training videos, {solver.max_iters} iterations")
        model = train_action_model(
            head_cfg, os.path.join(out_dir, f"{k}shot"), info, train_set, len(novel),
            [names[c] for c in novel], resume, classes=list(novel), progress=progress, log=log,
            stages=[StageRun("head", solver, cfg.model.fbo, True)])
        metrics = evaluate_actions(model, clip_dataset(head_cfg, test_split, test_ids, "test",
                                                       banks),
                                   info.device, cfg.eval_batch_size, cfg.workers,
                                   classes=list(novel), progress=progress, info=info)
        if info.is_main:
            results["shots"][str(k)] = {"train_videos": len(ids), "mAP": metrics.mAP,
                                        **{kk: v for kk, v in metrics.as_dict(
                                            [names[c] for c in novel]).items() if kk != "mAP"}}
            log(f"{k}-shot novel-class mAP: {100 * metrics.mAP:.2f}")
        barrier(info)
    if not info.is_main:
        return None
    write_json(os.path.join(out_dir, "few_shot.json"), results)
    return results
