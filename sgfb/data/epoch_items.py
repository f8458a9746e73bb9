"""A dataset read by ``(epoch, index)``, so that one DataLoader serves every epoch of a run:
its worker processes start once (not once per epoch) and keep what they opened (videos,
packet indices), while every item still gets its epoch's randomness (datasets seeded per
``(seed, epoch, index)`` through ``set_epoch``; :mod:`sgfb.training.sampler` makes the
batches)."""
from __future__ import annotations

from typing import Any, Tuple


class EpochItems:
    """``dataset`` indexed by ``(epoch, index)``: ``dataset.set_epoch(epoch)`` (when it has
    one), then ``dataset[index]``; the same item as selecting the epoch in the main process
    before starting an epoch's DataLoader."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset
        self._set_epoch = getattr(dataset, "set_epoch", None)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: Tuple[int, int]) -> Any:
        epoch, index = key
        if self._set_epoch is not None:
            self._set_epoch(epoch)
        return self.dataset[index]
