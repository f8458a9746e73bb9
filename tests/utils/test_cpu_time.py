import os
import resource
import subprocess
import sys
from types import SimpleNamespace

from sgfb.utils import cpu_time
from sgfb.utils.cpu_time import (children_cpu_seconds, cpu_seconds, own_cpu_seconds,
                                 stolen_cpu_seconds)


def test_user_plus_system_of_self_and_children(monkeypatch):
    usage = {resource.RUSAGE_SELF: SimpleNamespace(ru_utime=1.5, ru_stime=0.25),
             resource.RUSAGE_CHILDREN: SimpleNamespace(ru_utime=3.0, ru_stime=0.125)}
    monkeypatch.setattr(cpu_time.resource, "getrusage", usage.__getitem__)
    assert own_cpu_seconds() == 1.75
    assert children_cpu_seconds() == 3.125
    assert cpu_seconds() == 4.875


def test_a_child_counts_once_it_has_exited_and_own_work_does_not():
    kids = children_cpu_seconds()
    sum(i * i for i in range(1_000_000))
    assert children_cpu_seconds() == kids
    subprocess.run([sys.executable, "-c", "sum(i * i for i in range(3_000_000))"], check=True)
    assert children_cpu_seconds() - kids > 0.05


def test_stolen_seconds_read_the_steal_column_of_proc_stat(tmp_path):
    ticks = os.sysconf("SC_CLK_TCK")
    stat = tmp_path / "stat"
    stat.write_text(f"cpu  500 0 20 9000 3 0 1 {5 * ticks} 0 0\ncpu0 250 0 10 4500 1 0 0 1 0 0\n")
    assert stolen_cpu_seconds(str(stat)) == 5.0
    stat.write_text("cpu  500 0 20 9000\n")                  # an old kernel: no steal column
    assert stolen_cpu_seconds(str(stat)) is None
    assert stolen_cpu_seconds(str(tmp_path / "missing")) is None
    here = stolen_cpu_seconds()
    assert here is None or here >= 0.0
