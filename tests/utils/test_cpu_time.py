import resource
import subprocess
import sys
from types import SimpleNamespace

from sgfb.utils import cpu_time
from sgfb.utils.cpu_time import children_cpu_seconds, cpu_seconds, own_cpu_seconds


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
