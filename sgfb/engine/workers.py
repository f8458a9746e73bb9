"""Worker processes that die with the process that started them.

``concurrent.futures.ProcessPoolExecutor`` workers wait on a pipe that every forked worker
also holds open, so when the parent is killed (``kill -9``, OOM killer) they never see EOF
and wait forever. :func:`process_pool` gives each worker two guards: the kernel's parent-death
signal (``PR_SET_PDEATHSIG`` = SIGKILL on Linux) and, everywhere, a daemon thread that exits
the worker as soon as its parent process is gone.
"""
from __future__ import annotations

import concurrent.futures
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from typing import Any, Callable, Optional, Tuple

_PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.5


def _set_parent_death_signal() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # the watchdog thread below still ends the worker


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(1)
        time.sleep(POLL_SECONDS)


def die_with_parent(parent: int) -> None:
    """Make this process end when process ``parent`` ends (call it first in a worker)."""
    _set_parent_death_signal()
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                     name="sgfb-parent-watchdog").start()


def _initialize(parent: int, initializer: Optional[Callable[..., Any]],
                initargs: Tuple[Any, ...]) -> None:
    die_with_parent(parent)
    if initializer is not None:
        initializer(*initargs)


def process_pool(max_workers: int, initializer: Optional[Callable[..., Any]] = None,
                 initargs: Tuple[Any, ...] = (), **kwargs: Any
                 ) -> concurrent.futures.ProcessPoolExecutor:
    """A ``ProcessPoolExecutor`` whose workers end when this process ends, however it ends."""
    return concurrent.futures.ProcessPoolExecutor(
        max_workers=max_workers, initializer=_initialize,
        initargs=(os.getpid(), initializer, initargs), **kwargs)
