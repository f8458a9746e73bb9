"""AdamW is built with the fused kernel on CPU, updates like the default one, and the
benchmark that measures it runs."""
from __future__ import annotations

import importlib.util
import os

import torch

from sgfb.training.solver import SolverConfig, build_optimizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_adamw_is_fused_on_cpu_and_steps_like_the_default():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3))
    twin = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3))
    twin.load_state_dict(model.state_dict())
    cfg = SolverConfig(optimizer="adamw", lr=0.01, weight_decay=0.1)
    fused = build_optimizer(model.parameters(), cfg)
    default = torch.optim.AdamW(twin.parameters(), lr=0.01, weight_decay=0.1)
    assert fused.defaults["fused"] is True and not default.defaults["fused"]
    x = torch.randn(8, 5)
    for _ in range(5):
        for net, opt in ((model, fused), (twin, default)):
            opt.zero_grad()
            net(x).square().mean().backward()
            opt.step()
    for a, b in zip(model.parameters(), twin.parameters()):
        assert torch.allclose(a, b, atol=1e-6)
        assert not torch.equal(a, torch.zeros_like(a))


def test_sgd_is_unchanged():
    params = [torch.nn.Parameter(torch.ones(3))]
    opt = build_optimizer(params, SolverConfig(optimizer="sgd", lr=0.1))
    assert isinstance(opt, torch.optim.SGD) and not opt.defaults.get("fused")


def test_the_benchmark_compares_both_kernels_on_one_model():
    spec = importlib.util.spec_from_file_location(
        "optimizer_step", os.path.join(ROOT, "bench", "optimizer_step.py"))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.compare(torch.nn.Linear(30, 20), steps=2, rounds=2)
    assert result["tensors"] == 2 and result["parameters"] == 620
    assert result["default"] > 0 and result["fused"] > 0
    assert result["max weight difference"] < 1e-5
