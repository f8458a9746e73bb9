"""Atomic file writes: write to a temporary file beside the target, then rename.

A crash or an exception mid-write never leaves a partial file under the final name (the
temporary file is removed), so long jobs can resume by checking which outputs exist.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from typing import Any, Iterator, IO


@contextlib.contextmanager
def atomic_write(path: str, mode: str = "wb", fsync: bool = False) -> Iterator[IO]:
    """``with atomic_write(path) as f: ...`` writes ``path`` all at once or not at all."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    suffix = os.path.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=suffix)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"newline": "", "encoding": "utf-8"})) as f:
            yield f
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json(path: str, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_write(path, "w") as f:
        json.dump(data, f, indent=2)
