"""Open video readers kept for the life of a process (one per data-loader worker).

A training or test loader reads many clips of the same videos. Re-opening a file for every
clip costs a packet index (demuxing the whole file) and a decoder set-up each time;
:class:`ReaderCache` instead keeps the :class:`~sgfb.data.video.FrameIndex` of every video
it has seen (a few kB each; at most ``max_indices``, least recently used dropped first) and
the most recently used ``max_open`` readers open, so a clip of a known video costs only its
seek and decode. Each use checks the file's size and modification time (one ``stat``), so a
file replaced while the process runs is indexed and opened afresh. A cache is never pickled
(:meth:`__getstate__` returns an empty one), so each DataLoader worker process starts its
own. With ``index_dir`` the indices also go to disk (:mod:`sgfb.data.index_store`): the
trainer's workers live one epoch, and without it every epoch would index every video again.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any, Dict, Optional, Tuple

from sgfb.data.index_store import load_index, save_index
from sgfb.data.video import FrameIndex, VideoReader, index_video, open_video
from sgfb.data.video_index import PathLike


Stamp = Tuple[int, int]  # (size, mtime in ns)


def _stamp(path: str) -> Optional[Stamp]:
    try:
        status = os.stat(path)
    except OSError:
        return None  # index_video / open_video name the problem
    return status.st_size, status.st_mtime_ns


class ReaderCache:
    """Bounded LRU of open :class:`VideoReader` s and of packet indices, keyed by path.

    backend / threads: as :func:`sgfb.data.video.open_video` (a loader's workers decode
    single-threaded: the worker processes already use the cores).
    index_dir: optional folder where indices are stored and looked up first (see
    :mod:`sgfb.data.index_store`).
    """

    def __init__(self, backend: str = "pyav", max_open: int = 8, max_indices: int = 100_000,
                 threads: bool = False, index_dir: Optional[str] = None) -> None:
        if max_open < 1 or max_indices < 1:
            raise ValueError(f"max_open and max_indices must be at least 1, got {max_open} "
                             f"and {max_indices}")
        self.backend = backend
        self.max_open = int(max_open)
        self.max_indices = int(max_indices)
        self.threads = threads
        self.index_dir = index_dir
        self._readers: "OrderedDict[str, VideoReader]" = OrderedDict()
        self._indices: "OrderedDict[str, Tuple[Stamp, FrameIndex]]" = OrderedDict()
        self.opened = 0  # readers created (for tests and benchmarks)
        self.indexed = 0  # files indexed
        self.loaded = 0  # indices read from index_dir

    def index(self, path: PathLike) -> FrameIndex:
        """The packet index of ``path``, computed once."""
        key = os.fspath(path)
        stamp = _stamp(key)
        found = self._indices.get(key)
        if found is not None and found[0] == stamp and stamp is not None:
            self._indices.move_to_end(key)
            return found[1]
        self.discard(key)  # a replaced file: its open reader is stale too
        index = load_index(self.index_dir, key, stamp) if self.index_dir and stamp else None
        if index is not None:
            self.loaded += 1
        else:
            index = index_video(key)
            self.indexed += 1
            if self.index_dir and stamp is not None and stamp == _stamp(key):
                try:
                    save_index(self.index_dir, key, stamp, index)
                except OSError:  # a read-only or full disk only costs the next epoch time
                    pass
        self._indices[key] = (stamp, index)
        if len(self._indices) > self.max_indices:
            self._indices.popitem(last=False)
        return index

    def reader(self, path: PathLike) -> VideoReader:
        """An open reader of ``path`` (do not close it: the cache does)."""
        key = os.fspath(path)
        index = self.index(key)  # drops a stale reader
        found = self._readers.get(key)
        if found is not None:
            self._readers.move_to_end(key)
            return found
        reader = open_video(key, self.backend, index=index, threads=self.threads)
        self.opened += 1
        self._readers[key] = reader
        while len(self._readers) > self.max_open:
            self._readers.popitem(last=False)[1].close()
        return reader

    def discard(self, path: PathLike) -> None:
        """Close ``path``'s reader (after a decoding error its state is unknown); its index
        is kept while the file is unchanged."""
        key = os.fspath(path)
        reader = self._readers.pop(key, None)
        if reader is not None:
            reader.close()

    def close(self) -> None:
        while self._readers:
            self._readers.popitem()[1].close()

    def __len__(self) -> int:
        return len(self._readers)

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["_readers"] = OrderedDict()
        state["_indices"] = OrderedDict()
        state["opened"] = state["indexed"] = state["loaded"] = 0
        return state

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass
