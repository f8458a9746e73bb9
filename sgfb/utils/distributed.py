"""Process-group set-up for ``torchrun`` (env:// rendezvous) and one-process runs alike.

``torchrun --nproc_per_node=N tools/train_sg.py ...`` sets ``RANK``, ``WORLD_SIZE`` and
``LOCAL_RANK``; without them the run is a single process and nothing is initialised. The
backend is NCCL when the run uses CUDA and gloo otherwise, so the same script (and our tests)
run distributed on CPU.
"""
from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from typing import Any, List

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def resolve_device(device: str, local_rank: int = 0) -> torch.device:
    """``auto`` = the process's GPU when CUDA is available, else CPU."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("device=cuda but CUDA is not available")
        return torch.device("cuda", local_rank)
    if device != "cpu" and not device.startswith("cuda:"):
        raise ValueError(f"device must be auto, cpu, cuda or cuda:N, got {device!r}")
    return torch.device(device)


def init_distributed(device: str = "auto") -> DistInfo:
    """Join the process group torchrun describes (if any) and pick this process's device."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = resolve_device(device, local_rank)
    if world_size > 1 and not dist.is_initialized():
        if dev.type == "cuda":
            torch.cuda.set_device(dev)
        # every rank shares the test-set evaluation (gather_objects), so no rank waits long
        # for another: PyTorch's usual 30 minutes, SGFB_DIST_TIMEOUT_MIN to change it
        minutes = float(os.environ.get("SGFB_DIST_TIMEOUT_MIN", "30"))
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo", init_method="env://",
                                timeout=datetime.timedelta(minutes=minutes))
    return DistInfo(rank=rank, world_size=world_size, local_rank=local_rank, device=dev)


def barrier(info: DistInfo) -> None:
    if info.distributed:
        dist.barrier()


def gather_objects(obj: Any, info: DistInfo) -> List[Any]:
    """Every process's ``obj`` (picklable), in rank order, on every process; ``[obj]`` in a
    one-process run."""
    if not info.distributed:
        return [obj]
    out: List[Any] = [None] * info.world_size
    dist.all_gather_object(out, obj)
    return out


def mean_across_processes(values: dict, info: DistInfo) -> dict:
    """Average a dict of floats over all processes (identity in a one-process run)."""
    if not info.distributed or not values:
        return dict(values)
    keys = sorted(values)
    backend_device = info.device if info.device.type == "cuda" else torch.device("cpu")
    t = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64, device=backend_device)
    dist.all_reduce(t)
    t /= info.world_size
    return dict(zip(keys, t.tolist()))


def cleanup(info: DistInfo, finished: bool = False) -> None:
    """Leave the process group. ``finished``: this process ended its work normally, so it
    first waits for the others (the main process writes the run's last files after the last
    collective) and no process tears its connections down while another still uses them;
    after an error it leaves at once, since a peer may never arrive."""
    if info.distributed and dist.is_initialized():
        if finished:
            dist.barrier()
        dist.destroy_process_group()
