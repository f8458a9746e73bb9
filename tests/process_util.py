"""Killing a training process part-way, for the resume tests."""
import os
import signal
import time

from sgfb.utils.checkpoint import load_checkpoint


def kill_once_saved(proc, last, iteration: int, timeout: float = 300.0) -> int:
    """SIGKILL ``proc`` as soon as its checkpoint ``last`` holds ``iteration`` or a later one
    (or after ``timeout`` seconds); returns the iteration ``last`` holds then."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(last) and load_checkpoint(str(last))["iteration"] >= iteration:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return load_checkpoint(str(last))["iteration"]
