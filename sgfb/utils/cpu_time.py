"""CPU seconds (user + system) for benchmarks and run summaries: CPU time is what a shared
machine's load distorts least, so the benches compare it side by side."""
from __future__ import annotations

import os
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


def stolen_cpu_seconds(stat_path: str = "/proc/stat") -> float | None:
    """CPU seconds the hypervisor has given to other guests while this virtual machine's CPUs
    wanted to run (Linux's ``steal`` column, summed over CPUs, since boot); ``None`` where the
    kernel does not report it. On a cloud VM, a wall time measured while this grows measures
    less than the machine's nominal cores."""
    try:
        with open(stat_path, encoding="ascii") as f:
            fields = f.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK") if fields[0] == "cpu" else None
    except (OSError, ValueError, IndexError):
        return None
