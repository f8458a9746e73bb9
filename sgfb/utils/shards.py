"""Split a tool's inputs across machines: ``torchrun`` ranks or ``--shard I/N``.

A cluster shares one dataset by running the same command on every machine (or process):
each takes the inputs of its shard and writes their outputs where a one-process run would,
so the union of the shards' outputs is the one-process run's, file for file. The
assignment is stable: the inputs (video names, paths) are sorted and input ``k`` of the
sorted list belongs to shard ``k mod N`` (round robin, so long and short videos spread
evenly whatever their names); it depends only on the set of inputs and ``N``.

The shard comes from ``--shard I/N`` (``I`` counted from 0, as ranks are) or, without it,
from the ``RANK`` and ``WORLD_SIZE`` variables ``torchrun`` sets. Per-run files (summaries,
reports, metrics) are named by shard (:meth:`Shard.name`) so the shards never overwrite
each other's.
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Callable, Iterable, List, Mapping, Optional, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(f"shard {self.index}/{self.count}: need 0 <= I < N")

    @property
    def sharded(self) -> bool:
        return self.count > 1

    def select(self, items: Iterable[T], key: Callable[[T], str] = str) -> List[T]:
        """This shard's items: sorted by ``key``, every ``count``-th from ``index``."""
        ordered = sorted(items, key=key)
        return ordered[self.index::self.count]

    def name(self, filename: str) -> str:
        """``filename`` of a per-run file, named by shard: ``summary.json`` ->
        ``summary.shard0-of-2.json`` (unchanged for a one-process run)."""
        if not self.sharded:
            return filename
        directory, base = os.path.split(filename)
        stem, ext = os.path.splitext(base)
        return os.path.join(directory, f"{stem}.shard{self.index}-of-{self.count}{ext}")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """argparse type of ``--shard I/N``."""
    try:
        index, count = (int(part) for part in text.split("/"))
        return Shard(index, count)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected I/N with 0 <= I < N (e.g. 0/4 for the first of 4 shards), got {text!r}")


def add_shard_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--shard", type=parse_shard, default=None, metavar="I/N",
                        help="process only shard I of N of the inputs (I from 0), for runs "
                             "split across machines; default: the torchrun rank "
                             "(RANK/WORLD_SIZE), else all inputs")


def resolve_shard(shard: Optional[Shard] = None,
                  environ: Optional[Mapping[str, str]] = None) -> Shard:
    """``--shard`` when given, else ``RANK`` of ``WORLD_SIZE`` (torchrun), else all inputs.
    Both at once must agree on N (a --shard of a torchrun job would leave shards unrun)."""
    env = os.environ if environ is None else environ
    world = env.get("WORLD_SIZE")
    from_env = None
    if world is not None:
        try:
            from_env = Shard(int(env.get("RANK", "0")), int(world))
        except ValueError:
            raise ValueError(f"RANK={env.get('RANK')!r} WORLD_SIZE={world!r}: not a valid "
                             "rank of the world size") from None
    if shard is None:
        return from_env or Shard()
    if from_env is not None and from_env.sharded and from_env != shard:
        raise ValueError(f"--shard {shard} disagrees with torchrun's RANK/WORLD_SIZE "
                         f"{from_env}; give one or the other")
    return shard
