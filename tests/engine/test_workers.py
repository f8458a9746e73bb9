"""Pool workers die with their parent: kill -9 of the parent leaves no orphan behind."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

POOL_SCRIPT = textwrap.dedent("""
    import concurrent.futures, os, sys, time
    from sgfb.engine.workers import process_pool

    def nap(seconds):
        time.sleep(seconds)
        return os.getpid()

    if __name__ == "__main__":
        guarded = sys.argv[1] == "guarded"
        pool = (process_pool(2) if guarded
                else concurrent.futures.ProcessPoolExecutor(max_workers=2))
        first = pool.submit(nap, 0.0).result()          # one idle worker ...
        pool.submit(nap, 600)                           # ... and one busy for 10 minutes
        time.sleep(1.0)
        print(" ".join(str(p) for p in pool._processes), flush=True)
        time.sleep(600)
""")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")                       # a zombie has ended


def _kill_parent_and_watch(tmp_path, mode: str, wait: float):
    script = tmp_path / "pool.py"
    script.write_text(POOL_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), mode], stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    workers = [int(p) for p in proc.stdout.readline().split()]
    assert len(workers) == 2 and all(_alive(p) for p in workers)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.time() + wait
    while time.time() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    return workers


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_within_seconds_of_a_kill_9_of_their_parent(tmp_path):
    workers = _kill_parent_and_watch(tmp_path, "guarded", wait=10.0)
    assert [p for p in workers if _alive(p)] == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_plain_pool_would_leave_orphans(tmp_path):
    """The control: without the guard the same kill leaves both workers running."""
    workers = _kill_parent_and_watch(tmp_path, "plain", wait=2.0)
    try:
        assert all(_alive(p) for p in workers)
    finally:
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
