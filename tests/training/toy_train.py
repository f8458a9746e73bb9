"""A toy regression trained with sgfb.training.trainer.Trainer; run by the trainer tests as a script
(``python toy_train.py OUT BATCH ITERS [--resume]``) or under ``torchrun``."""
import sys

import torch
from torch import nn

from sgfb.utils.distributed import cleanup, init_distributed
from sgfb.training.solver import SolverConfig
from sgfb.training.trainer import Trainer


class Points(torch.utils.data.Dataset):
    def __init__(self, n=24):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 4, generator=g)
        self.y = self.x @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.1

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def build(dropout=0.3):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Dropout(dropout), nn.Linear(8, 1))


def step(model, batch):
    x, y = batch
    return {"mse": ((model(x).squeeze(1) - y) ** 2).mean()}


def main(argv):
    out, batch, iters = argv[0], int(argv[1]), int(argv[2])
    sleep = float(argv[argv.index("--sleep") + 1]) if "--sleep" in argv else 0.0
    info = init_distributed("cpu")
    solver = SolverConfig(optimizer="sgd", lr=0.05, max_iters=iters, warmup_iters=2,
                          steps=[iters // 2], batch_size=batch, checkpoint_every=1,
                          log_every=1, amp=False)

    def slow_step(model, b):
        if sleep:
            import time
            time.sleep(sleep)
        return step(model, b)

    trainer = Trainer(build(0.0 if "--no-dropout" in argv else 0.3), slow_step, Points(), torch.utils.data.default_collate, solver,
                      out, info, extra_state={"config": {"toy": 1}}, progress=False,
                      log=lambda m: None)
    trainer.train(resume="--resume" in argv)
    cleanup(info)


if __name__ == "__main__":
    main(sys.argv[1:])
