#!/usr/bin/env python
"""Train and evaluate a Scene Graph Feature Bank action model on Charades (stage 2).

    python tools/train_sgfb.py --config configs/sgfb/i3d_nl_r101_charades.yaml --oracle \\
        --fbo nl --out runs/sgfb_oracle_nl data.videos=Charades_v1_480 ...
    torchrun --nproc_per_node=8 tools/train_sgfb.py --config ... --bank-dir banks/ --out ...

Banks: --oracle builds them from the ground-truth graphs of data.annotations (OUT/banks);
--bank-dir uses banks extracted from stage 1's predictions (tools/extract_banks.py);
--fbo none is the backbone-only baseline. --few-shot runs the §5.2 protocol instead (base
backbone, then k-shot heads). --resume continues every stage from its OUT/<stage>/last.pt.
Writes OUT/config.yaml, OUT/model.pt (weights + config + class names + preprocessing) and
OUT/metrics.json (mAP, per-class AP, per-video scores) or OUT/few_shot.json. head_seeds=N
(two-stage) trains the bank head N times on the frozen backbone, seeds head_solver.seed on,
and metrics.json adds each head's mAP and their mean (model.pt is the first head).
"""
from __future__ import annotations

from sgfb.utils.output_paths import check_inputs_exist, check_output_location
from sgfb.utils.cli import positive_int, run_cli, tool_parser
from sgfb.utils.config import resolve_config, save_resolved
from sgfb.training.names import FBOS, SCHEDULES


def parse_args(argv=None):
    p = tool_parser(__doc__)
    p.add_argument("--config", help="YAML file (configs/sgfb/)")
    p.add_argument("--out", required=True, help="run folder")
    banks = p.add_mutually_exclusive_group()
    banks.add_argument("--oracle", action="store_true", help="banks from ground-truth graphs")
    banks.add_argument("--bank-dir", help="banks from predicted graphs")
    p.add_argument("--fbo", choices=FBOS, help="feature-bank operator (default: the config's)")
    p.add_argument("--schedule", choices=SCHEDULES)
    p.add_argument("--init", help="start the backbone from this action checkpoint")
    p.add_argument("--few-shot", action="store_true", help="the few-shot protocol (§5.2)")
    p.add_argument("--few-shot-epochs", type=positive_int, default=50)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("overrides", nargs="*", help="key=value, e.g. solver.lr=0.01")
    return p.parse_intermixed_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from sgfb.training.action_config import ActionConfig     # torch: only after parsing
    from sgfb.utils.distributed import cleanup, init_distributed

    cfg = resolve_config(ActionConfig(), args.config, args.overrides)
    if args.fbo:
        cfg.model.fbo = args.fbo
    if args.schedule:
        cfg.schedule = args.schedule
    if args.bank_dir:
        cfg.data.bank_dir = args.bank_dir
    if args.init:
        cfg.model.init = args.init
    cfg.check()
    check_output_location(args.out, check_inputs_exist(cfg.input_paths()))
    info = init_distributed(cfg.device)
    finished = False
    try:
        save_resolved(cfg, args.out, info.is_main, echo=not args.no_progress)
        log = print if info.is_main else (lambda message: None)
        if args.few_shot:
            from sgfb.training.few_shot import run_few_shot
            result = run_few_shot(cfg, args.out, info, args.oracle, args.resume,
                                  args.few_shot_epochs, not args.no_progress, log)
            if result:
                for k, r in result["shots"].items():
                    print(f"{k}-shot novel-class mAP: {100 * r['mAP']:.2f}")
        else:
            from sgfb.training.action import run_action_training
            result = run_action_training(cfg, args.out, info, args.oracle, args.resume,
                                         not args.no_progress, log)
            if result:
                print(f"fbo={result['fbo']} banks={result['banks']}: mAP {100 * result['mAP']:.2f} "
                      f"over {result['classes_with_positives']} classes, {result['videos']} videos")
                heads = result.get("head_seeds")
                if heads:
                    print(f"{len(heads['seeds'])} bank heads (head_seeds): mean mAP "
                          f"{100 * heads['mean_mAP']:.2f}, min {100 * heads['min_mAP']:.2f}, "
                          f"max {100 * heads['max_mAP']:.2f}")
        finished = True
    finally:
        cleanup(info, finished)
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
