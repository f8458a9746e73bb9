"""sgfb.data.index_store and ReaderCache(index_dir=...): packet indices reused across
processes (the trainer's DataLoader workers live one epoch) only for the very same file."""
from __future__ import annotations

import dataclasses
import os
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from videos_util import read_pattern, write_pattern_video  # noqa: E402

from sgfb.data.index_store import index_file, load_index, save_index  # noqa: E402
from sgfb.data.reader_cache import ReaderCache  # noqa: E402
from sgfb.data.video import index_video  # noqa: E402


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return write_pattern_video(tmp_path_factory.mktemp("store") / "v.mp4", 40, 25)


def _stamp(path):
    status = os.stat(path)
    return status.st_size, status.st_mtime_ns


def _same(a, b):
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            assert x is not None and y is not None and x.dtype == y.dtype \
                and np.array_equal(x, y), field.name
        else:
            assert x == y, field.name


def test_saved_index_loads_equal(video, tmp_path):
    index = index_video(video)
    written = save_index(str(tmp_path), video, _stamp(video), index)
    assert written == index_file(str(tmp_path), video) and os.path.isfile(written)
    assert os.listdir(tmp_path) == [os.path.basename(written)]  # no temporary left
    _same(load_index(str(tmp_path), video, _stamp(video)), index)


def test_index_without_pts_and_with_damage_round_trips(video, tmp_path):
    index = dataclasses.replace(index_video(video), pts=None, damage="cut off at packet 7",
                                output_rate=None, rotation=90)
    save_index(str(tmp_path), video, _stamp(video), index)
    loaded = load_index(str(tmp_path), video, _stamp(video))
    assert loaded.pts is None and loaded.damage == "cut off at packet 7"
    assert loaded.output_rate is None and loaded.rotation == 90


def test_changed_or_other_file_is_not_loaded(video, tmp_path):
    size, mtime = _stamp(video)
    save_index(str(tmp_path), video, (size, mtime), index_video(video))
    assert load_index(str(tmp_path), video, (size + 1, mtime)) is None
    assert load_index(str(tmp_path), video, (size, mtime + 1)) is None
    assert load_index(str(tmp_path), str(tmp_path / "other.mp4"), (size, mtime)) is None
    assert load_index(str(tmp_path / "missing"), video, (size, mtime)) is None
    with open(index_file(str(tmp_path), video), "wb") as f:  # a corrupt store file
        f.write(b"not an npz")
    assert load_index(str(tmp_path), video, (size, mtime)) is None


def test_reader_cache_reuses_stored_index_in_a_new_process_copy(video, tmp_path):
    first = ReaderCache("pyav", index_dir=str(tmp_path))
    frames = first.reader(video).get_frames([0, 17, 39])
    assert (first.indexed, first.loaded) == (1, 0)
    # a DataLoader worker of the next epoch: the cache arrives pickled, empty
    second = pickle.loads(pickle.dumps(first))
    again = second.reader(video).get_frames([0, 17, 39])
    assert (second.indexed, second.loaded) == (0, 1)
    assert [read_pattern(f) for f in again] == [read_pattern(f) for f in frames] == [0, 17, 39]
    assert np.array_equal(np.asarray(again), np.asarray(frames))


def test_reader_cache_reindexes_a_replaced_file(tmp_path):
    path = write_pattern_video(tmp_path / "r.mp4", 30, 25)
    store = str(tmp_path / "index")
    ReaderCache("pyav", index_dir=store).index(path)
    write_pattern_video(tmp_path / "r.mp4", 45, 25)  # replaced: other size and mtime
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10**9))
    cache = ReaderCache("pyav", index_dir=store)
    assert cache.index(path).num_frames == 45 and (cache.indexed, cache.loaded) == (1, 0)
