"""Deterministic, resumable batches for one or many processes.

Iteration ``i`` of a run always uses the same samples, whatever happened before it: epoch
``e = i // batches_per_epoch`` is a permutation of the dataset drawn from ``(seed, e)``, its
``b``-th *global* batch is ``perm[b*G:(b+1)*G]`` with ``G = batch_size * world_size``, and
process ``r`` takes the slice ``[r*batch_size:(r+1)*batch_size]`` of it. So a run resumed at
iteration ``i`` sees exactly the batches an uninterrupted run would, and N processes with
batch ``B`` together see the batches of one process with batch ``N*B`` (the last incomplete
global batch of an epoch is dropped so every process takes the same number of steps).

One DataLoader serves a whole run: :meth:`ResumableBatchSampler.item_batches` names every
item ``(epoch, index)`` and :class:`sgfb.data.epoch_items.EpochItems` selects the item's epoch
before reading it, so the worker processes start once per run (not once per epoch) and keep
what they opened (videos, packet indices), while every item still gets its epoch's randomness.
"""
from __future__ import annotations

from typing import Iterator, List, Tuple

import numpy as np


class ResumableBatchSampler:
    def __init__(self, size: int, batch_size: int, rank: int = 0, world_size: int = 1,
                 seed: int = 0, shuffle: bool = True) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} outside world of size {world_size}")
        self.size, self.batch_size = int(size), int(batch_size)
        self.rank, self.world_size = int(rank), int(world_size)
        self.seed, self.shuffle = int(seed), bool(shuffle)
        self.global_batch = self.batch_size * self.world_size
        if self.size < self.global_batch:
            raise ValueError(
                f"dataset of {self.size} samples is smaller than one global batch "
                f"({self.batch_size} per process x {self.world_size} processes)")

    @property
    def batches_per_epoch(self) -> int:
        return self.size // self.global_batch

    def permutation(self, epoch: int) -> np.ndarray:
        if not self.shuffle:
            return np.arange(self.size)
        return np.random.default_rng([self.seed, epoch]).permutation(self.size)

    def _slice(self, perm: np.ndarray, b: int) -> List[int]:
        start = b * self.global_batch + self.rank * self.batch_size
        return perm[start:start + self.batch_size].tolist()

    def batch(self, iteration: int) -> Tuple[int, List[int]]:
        """(epoch, this process's sample indices) of ``iteration``."""
        epoch, b = divmod(int(iteration), self.batches_per_epoch)
        return epoch, self._slice(self.permutation(epoch), b)

    def epoch_batches(self, start_iteration: int, stop_iteration: int) -> Iterator[Tuple[int, List[List[int]]]]:
        """Group iterations ``[start, stop)`` by epoch: yields (epoch, list of batches)."""
        it = int(start_iteration)
        while it < stop_iteration:
            epoch = it // self.batches_per_epoch
            end = min(stop_iteration, (epoch + 1) * self.batches_per_epoch)
            perm = self.permutation(epoch)   # once per epoch, not per batch
            first = epoch * self.batches_per_epoch
            yield epoch, [self._slice(perm, i - first) for i in range(it, end)]
            it = end

    def item_batches(self, start_iteration: int,
                     stop_iteration: int) -> Iterator[List[Tuple[int, int]]]:
        """The batches of iterations ``[start, stop)`` with each item as ``(epoch, index)``,
        for a DataLoader over :class:`EpochItems`."""
        for epoch, batches in self.epoch_batches(start_iteration, stop_iteration):
            for batch in batches:
                yield [(epoch, index) for index in batch]

