"""Atomic file writes: write to a temporary file beside the target, then rename.

A crash or an exception mid-write never leaves a partial file under the final name (the
temporary file is removed), so long jobs can resume by checking which outputs exist. A kill
(SIGKILL, power loss) can leave a temporary behind: temporaries are named
``.tmp-<pid>-<random><suffix>``, never loaded, and :func:`remove_stale_temporaries` deletes
those whose writing process is gone when the same job starts again.

Files and folders get the permissions a plain ``open`` / ``os.makedirs`` would give under the
current umask (``tempfile`` alone would make them 0600 / 0700).
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from typing import Any, IO, Iterator, List

TEMP_PREFIX = ".tmp-"
_TEMP_NAME = re.compile(r"^(?P<stem>.*)\.tmp-(?:(?P<pid>\d+)-)?[^/]*$")


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def apply_umask(path: str, directory: bool = False) -> None:
    """Give ``path`` the mode a plain ``open`` (0666) or ``mkdir`` (0777) would, minus umask."""
    os.chmod(path, (0o777 if directory else 0o666) & ~current_umask())


def temp_prefix(stem: str = "") -> str:
    """``STEM.tmp-<pid>-``: the pid tells a later run whether the writer is still alive."""
    return f"{stem}{TEMP_PREFIX}{os.getpid()}-"


def _writer_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(directory: str, recursive: bool = False) -> List[str]:
    """Delete the temporaries of interrupted writes in ``directory`` (files or folders named
    ``*.tmp-<pid>-*`` whose process is gone, and unnumbered ``*.tmp-*`` from older versions).
    Returns the paths removed."""
    if not os.path.isdir(directory):
        return []
    if recursive:
        candidates = [os.path.join(root, name) for root, dirs, files in os.walk(directory)
                      for name in dirs + files]
    else:
        candidates = [os.path.join(directory, name) for name in os.listdir(directory)]
    removed = []
    for path in candidates:
        match = _TEMP_NAME.match(os.path.basename(path))
        if match is None or not os.path.lexists(path):
            continue
        pid = match.group("pid")
        if pid is not None and _writer_alive(int(pid)):
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        removed.append(path)
    return sorted(removed)


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """``with atomic_path(out) as tmp: writer(tmp)`` for writers that need a file name (PyAV,
    OpenCV): the file written to ``tmp`` replaces ``path`` when the block ends without error;
    otherwise it is removed."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=temp_prefix(),
                               suffix=os.path.splitext(path)[1])
    os.close(fd)
    try:
        yield tmp
        apply_umask(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_write(path: str, mode: str = "wb", fsync: bool = False) -> Iterator[IO]:
    """``with atomic_write(path) as f: ...`` writes ``path`` all at once or not at all."""
    with atomic_path(path) as tmp:
        with open(tmp, mode, **({} if "b" in mode else {"newline": "", "encoding": "utf-8"})) as f:
            yield f
            if fsync:
                f.flush()
                os.fsync(f.fileno())


@contextlib.contextmanager
def atomic_directory(path: str) -> Iterator[str]:
    """``with atomic_directory(out) as tmp: fill(tmp)``: the folder filled in ``tmp`` replaces
    ``path`` (a temporary sibling renamed into place) when the block ends without error."""
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=temp_prefix(os.path.basename(path)))
    try:
        yield tmp
        apply_umask(tmp, directory=True)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        os.rename(tmp, path)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)


def write_json(path: str, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically. NaN and infinity are refused: they are not
    JSON, and a metric that is NaN is a bug upstream."""
    with atomic_write(path, "w") as f:
        json.dump(data, f, indent=2, allow_nan=False)
