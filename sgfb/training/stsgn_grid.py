"""The ST-SGN grid (3 encoders x 3 readouts x 4 reducers, plus RelMat) as markdown tables
in the layout of the paper's Table 1 (one column per reducer) and Table 2 (reducer x T)."""
from __future__ import annotations

import copy
from typing import Callable, Dict, List, Sequence, Tuple

from sgfb.training.stsgn import ExperimentConfig, GraphData, run_experiment
from sgfb.data.charades import Charades

ROWS: List[Tuple[str, str]] = [("RelMat", "relmat")] + [
    (f"{label} {readout.capitalize()}", f"{conv}-{readout}")
    for conv, label in (("cg", "CG"), ("nn", "NN"), ("gine", "GINE"))
    for readout in ("max", "mean", "person")
]
REDUCER_COLUMNS = [("Max", "max"), ("Mean", "mean"), ("GRU", "gru"), ("biGRU", "bigru")]


def run_grid(base: ExperimentConfig, windows: Sequence[float], data: GraphData,
             charades: Charades, split: str = "test", log: Callable[[str], None] = print
             ) -> Dict[Tuple[str, str, float], float]:
    """``(row prefix, reducer, T) -> metric`` (mAP or top-1 on ``split``) for every cell."""
    results = {}
    for _, prefix in ROWS:
        for _, reducer in REDUCER_COLUMNS:
            for window in windows:
                config = copy.deepcopy(base)
                config.model.name = f"{prefix}-{reducer}"
                config.data.window = window
                run = run_experiment(config, log=lambda _: None, data=data, charades=charades)
                metric = "top1" if config.data.task == "trimmed" else "mAP"
                results[(prefix, reducer, window)] = run.metrics[split][metric]
                log(f"{config.model.name} T={window}: {metric}={results[(prefix, reducer, window)]:.4f} "
                    f"({run.seconds:.1f} s)")
    return results


def grid_markdown(results: Dict[Tuple[str, str, float], float], windows: Sequence[float],
                  metric: str, split: str = "test") -> str:
    """Rows as the paper's tables; the best cell of each column in bold."""
    cols = [(name, red, w) for name, red in REDUCER_COLUMNS for w in windows]
    head = ["Model + Readout"] + [name if len(windows) == 1 else f"{name} T={w:g}"
                                  for name, _, w in cols]
    best = {(red, w): max(results[(p, red, w)] for _, p in ROWS) for _, red, w in cols}
    lines = [f"| {' | '.join(head)} |", "|" + "---|" * len(head)]
    for label, prefix in ROWS:
        cells = []
        for _, red, w in cols:
            v = results[(prefix, red, w)]
            cells.append(f"**{v:.3f}**" if v == best[(red, w)] else f"{v:.3f}")
        lines.append(f"| {label} | {' | '.join(cells)} |")
    return "\n".join(lines) + f"\n\n({metric} on the {split} split.)\n"


def run_seeds(base: ExperimentConfig, models: Sequence[str], seeds: Sequence[int],
              data: GraphData, charades: Charades, split: str = "test",
              log: Callable[[str], None] = print) -> Dict[str, List[float]]:
    """``model -> [metric per seed]``: each seed changes the video split and the init."""
    out: Dict[str, List[float]] = {}
    for name in models:
        for seed in seeds:
            config = copy.deepcopy(base)
            config.model.name = name
            config.data.seed = seed
            config.train.seed = seed
            run = run_experiment(config, log=lambda _: None, data=data, charades=charades)
            metric = "top1" if config.data.task == "trimmed" else "mAP"
            out.setdefault(name, []).append(run.metrics[split][metric])
            log(f"{name} seed={seed}: {metric}={out[name][-1]:.4f} ({run.seconds:.1f} s, "
                f"best epoch {min(run.history, key=lambda r: r['val_loss'])['epoch']})")
    return out


def seeds_markdown(results: Dict[str, List[float]], metric: str) -> str:
    import numpy as np
    lines = [f"| model | {metric} mean | std | per seed |", "|---|---|---|---|"]
    for name, values in sorted(results.items(), key=lambda kv: -float(np.mean(kv[1]))):
        lines.append(f"| {name} | {np.mean(values):.4f} | {np.std(values):.4f} | "
                     + ", ".join(f"{v:.4f}" for v in values) + " |")
    return "\n".join(lines) + "\n"
