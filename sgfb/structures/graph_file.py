"""A video's scene graphs in one compact file (``.npz``, no pickled objects).

The frames' arrays are concatenated and indexed by offsets (CSR layout), so a file holds
any number of frames in a handful of arrays and loads with ``allow_pickle=False``:

- ``frame_keys`` ``[F]`` str; ``person`` ``[F]`` (-1: none); ``image_size`` ``[F, 2]`` (-1: unknown);
  ``has_boxes`` ``[F]`` bool;
- ``node_offsets`` ``[F + 1]``; ``labels`` ``[sum N]``; ``scores`` ``[sum N]``; ``boxes`` ``[sum N, 4]``;
- ``pair_offsets`` ``[F + 1]``; ``pair_objects`` ``[sum P]`` (frame-local node index);
  ``relations`` ``[sum P, 26]``.

A file may hold one video (``VIDEO.npz``, one per video in a folder) or a whole test set
(one file, ``tools/test_sg.py --save-graphs graphs.npz``): the layout is the same.
:func:`load_graph_table` / :func:`load_graph_source` read either a file or a folder of files.

Files are written atomically (temporary file, then rename), so a crash never leaves a
half-written file under the final name.
"""
from __future__ import annotations

import glob
import os
import zipfile
from typing import Dict, Iterable, Mapping

import numpy as np

from sgfb.atomic_io import atomic_write
from sgfb.structures.graph_table import GraphTable
from sgfb.structures.scene_graph import SceneGraph

FORMAT_VERSION = 1


def save_graphs(path: str, graphs: Iterable[SceneGraph] | Mapping[str, SceneGraph]) -> None:
    """Write ``graphs`` (in order) to ``path``. Every graph needs a ``frame_key``."""
    items = list(graphs.values()) if isinstance(graphs, Mapping) else list(graphs)
    keys = []
    for i, g in enumerate(items):
        if not g.frame_key:
            raise ValueError(f"{path}: graph {i} has no frame_key")
        keys.append(g.frame_key)
    if len(set(keys)) != len(keys):
        raise ValueError(f"{path}: duplicate frame keys")
    save_graph_table(path, GraphTable.from_graphs(items))


def save_graph_table(path: str, table: GraphTable) -> None:
    """Write a :class:`GraphTable` (frame keys must be unique and non-empty)."""
    arrays = dict(format_version=np.array(FORMAT_VERSION), **table.to_arrays())
    with atomic_write(path) as f:
        np.savez_compressed(f, **arrays)


def read_graph_file(path: str) -> GraphTable:
    """One file written by :func:`save_graphs` as a :class:`GraphTable`."""
    try:
        with np.load(path, allow_pickle=False) as z:
            a = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{path}: not a scene-graph file ({exc})") from exc
    version = int(a.get("format_version", -1))
    if version != FORMAT_VERSION:
        raise ValueError(f"{path}: scene-graph file version {version}, expected {FORMAT_VERSION}")
    try:
        table = GraphTable.from_arrays(a)
    except KeyError as exc:
        raise ValueError(f"{path}: scene-graph file lacks the array {exc}") from None
    table.validate(path)
    return table


def load_graph_table(path: str) -> GraphTable:
    """A graph file, or every ``*.npz`` graph file of a folder (one per video), as one
    :class:`GraphTable`; a frame key found twice is an error naming both files."""
    if not os.path.isdir(path):
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path}: no such scene-graph file or folder")
        return read_graph_file(path)
    paths = sorted(glob.glob(os.path.join(path, "*.npz")))
    if not paths:
        raise FileNotFoundError(f"{path}: no scene-graph files (*.npz) here")
    tables = [read_graph_file(p) for p in paths]
    table = GraphTable.concat(tables)
    keys, counts = np.unique(table.keys, return_counts=True)
    if (counts > 1).any():
        dup = str(keys[counts > 1][0])
        owners = [p for p, t in zip(paths, tables) if dup in set(t.keys.tolist())]
        raise ValueError(f"{path}: frame {dup!r} appears in more than one file: {owners}")
    return table


def load_graph_source(path: str) -> Dict[str, SceneGraph]:
    """Frame key -> SceneGraph of a graph file or a folder of per-video graph files."""
    return load_graph_table(path).graphs()


def load_graphs(path: str) -> Dict[str, SceneGraph]:
    """Read a file written by :func:`save_graphs`: frame key -> SceneGraph, in saved order."""
    return read_graph_file(path).graphs()
