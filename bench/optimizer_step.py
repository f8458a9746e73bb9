#!/usr/bin/env python
"""Benchmark: one AdamW step, PyTorch's default implementation vs the fused kernel (what
``sgfb.training.solver.build_optimizer`` now builds), on the parameters of the demo's models:
the stage-1 detector (configs/sg/demo_synthetic.yaml) and the stage-2 action model
(configs/sgfb/demo_synthetic.yaml), with random gradients.

The two optimisers step in alternating rounds (so a change in machine load hits both); the
script prints the median seconds per step of each and their ratio, checks that after the same
steps both hold the same weights (to float rounding), and runs with one torch thread, as the
demo's training processes do.

    python bench/optimizer_step.py --steps 20 --rounds 5
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Dict, List

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sgfb.detection.build import build_detector  # noqa: E402
from sgfb.training.action import build_action_model  # noqa: E402
from sgfb.training.action_config import ActionConfig  # noqa: E402
from sgfb.training.sg_config import SGConfig  # noqa: E402
from sgfb.utils.config import apply_mapping, load_yaml  # noqa: E402


def demo_models() -> Dict[str, torch.nn.Module]:
    sg = apply_mapping(SGConfig(), load_yaml(os.path.join(ROOT, "configs/sg/demo_synthetic.yaml")))
    action = apply_mapping(ActionConfig(),
                           load_yaml(os.path.join(ROOT, "configs/sgfb/demo_synthetic.yaml")))
    return {"demo detector": build_detector(sg.detector),
            "demo action model": build_action_model(action, num_classes=157)}


def time_steps(optimizer: torch.optim.Optimizer, steps: int) -> float:
    started = time.perf_counter()
    for _ in range(steps):
        optimizer.step()
    return (time.perf_counter() - started) / steps


def compare(model: torch.nn.Module, steps: int, rounds: int) -> Dict[str, float]:
    params = [p for p in model.parameters() if p.requires_grad]
    twins = [torch.nn.Parameter(p.detach().clone()) for p in params]
    generator = torch.Generator().manual_seed(0)
    for p, q in zip(params, twins):
        p.grad = torch.randn(p.shape, generator=generator)
        q.grad = p.grad.clone()
    default = torch.optim.AdamW(params, lr=1e-3, weight_decay=1e-4)
    fused = torch.optim.AdamW(twins, lr=1e-3, weight_decay=1e-4, fused=True)
    times: Dict[str, List[float]] = {"default": [], "fused": []}
    for _ in range(rounds):
        times["default"].append(time_steps(default, steps))
        times["fused"].append(time_steps(fused, steps))
    gap = max(float((p - q).detach().abs().max()) for p, q in zip(params, twins))
    return {"tensors": len(params), "parameters": sum(p.numel() for p in params),
            "default": statistics.median(times["default"]),
            "fused": statistics.median(times["fused"]), "max weight difference": gap}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="steps per round")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread; median of {args.rounds} rounds of "
          f"{args.steps} steps")
    for name, model in demo_models().items():
        r = compare(model, args.steps, args.rounds)
        print(f"{name}: {r['tensors']} tensors, {r['parameters'] / 1e6:.1f} M parameters; "
              f"default {r['default'] * 1e3:.1f} ms/step, fused {r['fused'] * 1e3:.1f} ms/step, "
              f"fused/default {r['fused'] / r['default']:.2f}x; weights after "
              f"{args.steps * args.rounds} steps differ by at most {r['max weight difference']:.1e}")


if __name__ == "__main__":
    main()
