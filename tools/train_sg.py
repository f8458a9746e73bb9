#!/usr/bin/env python
"""Train stage 1: the Faster R-CNN detector, then the RelDN-style predicate head (or one).

    python tools/train_sg.py --config configs/sg/r101_fpn_ag.yaml --out runs/sg \\
        data.annotations=ActionGenome/annotations data.frames=ActionGenome/frames \\
        detector.weights=weights/coco_r101_fpn_sgfb.pt
    torchrun --nproc_per_node=8 tools/train_sg.py --config ... --out runs/sg
    python tools/train_sg.py --config ... --out runs/sg --resume      # continue after a stop

Stages: `stages=[detector,relations]` (default), `stages=[relations]` reuses OUT/model.pt's
detector. Batches are per process (the global batch is N times larger under torchrun).
Mixed precision on GPU (`detector_solver.amp`, `relation_solver.amp`). Checkpoints:
OUT/<stage>/last.pt every `checkpoint_every` iterations, at the end and on SIGTERM;
OUT/model.pt is what tools/test_sg.py and tools/infer.py read. TensorBoard: OUT/<stage>/tb.
"""
from __future__ import annotations

from sgfb.utils.cli import run_cli, tool_parser
from sgfb.utils.output_paths import check_inputs_exist, check_output_location
from sgfb.utils.config import resolve_config, save_resolved


def main(argv=None) -> int:
    p = tool_parser(__doc__)
    p.add_argument("--config", help="YAML file (configs/sg/)")
    p.add_argument("--out", required=True, help="run folder")
    p.add_argument("--resume", action="store_true", help="continue from OUT/<stage>/last.pt")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("overrides", nargs="*", help="key=value, e.g. relation_solver.lr=0.005")
    args = p.parse_intermixed_args(argv)
    from sgfb.training.sg_config import SGConfig     # torch: only after parsing
    from sgfb.utils.distributed import cleanup, init_distributed

    cfg = resolve_config(SGConfig(), args.config, args.overrides)
    cfg.check()
    check_output_location(args.out, check_inputs_exist(cfg.input_paths()))
    info = init_distributed(cfg.device)
    finished = False
    try:
        save_resolved(cfg, args.out, info.is_main, echo=not args.no_progress)
        from sgfb.training.sg import run_sg_training
        path = run_sg_training(cfg, args.out, info, args.resume, not args.no_progress,
                               print if info.is_main else (lambda m: None))
        if info.is_main:
            print(f"scene-graph model: {path}")
        finished = True
    finally:
        cleanup(info, finished)
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
