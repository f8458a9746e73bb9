"""CPU seconds (user + system) for benchmarks and run summaries: CPU time is what a shared
machine's load distorts least, so the benches compare it side by side."""
from __future__ import annotations

import resource


def _seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def own_cpu_seconds() -> float:
    """This process's CPU time."""
    return _seconds(resource.RUSAGE_SELF)


def children_cpu_seconds() -> float:
    """The CPU time of this process's children that have exited and been waited for
    (DataLoader workers, process pools, subprocesses)."""
    return _seconds(resource.RUSAGE_CHILDREN)


def cpu_seconds() -> float:
    """This process's CPU time plus its finished children's."""
    return own_cpu_seconds() + children_cpu_seconds()
