"""Where a tool may write, and what each input's outputs are called.

Two rules keep users' data safe (``docs/reliability.md``):

- an output location is never an input, never inside an input folder, never a folder that
  holds an input, and a folder output is never an existing file; the check runs before
  anything is written (:func:`check_output_location`);
- every input gets its own outputs, named by its path relative to the inputs' common folder
  with its extension kept (``a/clip.mp4`` and ``b/clip.mp4``, or ``x.mp4`` and ``x.avi``,
  never share a name) (:func:`input_names`).
"""
from __future__ import annotations

import os
from typing import Dict, Iterable, List, Optional, Sequence

from sgfb.engine.cli import UserError

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v")


def _real(path: str) -> str:
    return os.path.realpath(os.path.abspath(os.fspath(path)))


def _within(path: str, folder: str) -> bool:
    """``path`` is ``folder`` or lies below it (both resolved)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_output_location(out: str, inputs: Iterable[Optional[str]], what: str = "--out",
                          kind: str = "dir") -> None:
    """Refuse an output location that would write over, into or around an input.

    ``kind`` is ``"dir"`` (the tool writes a folder: an existing file there is refused) or
    ``"file"`` (an existing folder is refused). Inputs that are ``None`` or empty are ignored.
    Raises :class:`~sgfb.engine.cli.UserError` naming both paths.
    """
    target = _real(out)
    if kind == "dir" and os.path.isfile(target):
        raise UserError(f"{what} {out} is an existing file; name a folder for the outputs")
    if kind == "file" and os.path.isdir(target):
        raise UserError(f"{what} {out} is an existing folder; name a file")
    for item in inputs:
        if not item:
            continue
        source = _real(item)
        if target == source:
            raise UserError(f"{what} {out} is the input {item}; outputs never replace inputs")
        if os.path.isdir(source) and _within(target, source):
            raise UserError(f"{what} {out} lies inside the input folder {item}; choose a "
                            "location outside your inputs")
        if _within(source, target):
            raise UserError(f"{what} {out} contains the input {item}; choose a location "
                            "that holds no inputs")


def find_videos(inputs: Sequence[str], extensions: Sequence[str] = VIDEO_EXTENSIONS) -> List[str]:
    """Files as given, folders expanded recursively to their video files (sorted; hidden
    files and folders skipped). A missing path is kept, so it is reported as a failure rather
    than silently dropped. A folder without any video file is an error naming the folder and
    the extensions looked for."""
    out: List[str] = []
    for item in inputs:
        if not os.path.isdir(item):
            out.append(item)
            continue
        found = []
        for root, dirs, files in os.walk(item):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found += [os.path.join(root, f) for f in files
                      if not f.startswith(".") and f.lower().endswith(tuple(extensions))]
        if not found:
            raise UserError(f"{item}: no video files in this folder (looked for "
                            f"{', '.join(extensions)})")
        out += sorted(found)
    seen, unique = set(), []
    for path in out:  # the same file named twice (``a.mp4`` and ``./a.mp4``) runs once
        key = _real(path)
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def input_names(paths: Sequence[str]) -> Dict[str, str]:
    """``{path: name}``: each input's path relative to the deepest folder that holds them all,
    extension kept, ``/``-separated (links are not followed, so the name is the path the user
    gave). Distinct paths get distinct names."""
    absolute = {p: os.path.normpath(os.path.abspath(os.fspath(p))) for p in paths}
    if not absolute:
        return {}
    common = os.path.commonpath([os.path.dirname(a) for a in absolute.values()])
    return {p: os.path.relpath(a, common).replace(os.sep, "/") for p, a in absolute.items()}


def check_inputs_exist(named: Dict[str, object]) -> List[str]:
    """``{"data.annotations": path, "data.charades": [paths], ...}``: every non-empty path
    must exist, else :class:`~sgfb.engine.cli.UserError` naming the key and the path.
    Returns the paths checked (for :func:`check_output_location`)."""
    checked: List[str] = []
    for key, value in named.items():
        for path in ([value] if isinstance(value, str) else list(value or [])):
            if not path:
                continue
            if not os.path.exists(path):
                raise UserError(f"{key}: {path}: no such file or folder")
            checked.append(str(path))
    return checked
