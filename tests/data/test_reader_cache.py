"""sgfb.data.reader_cache: one index per video for the process, bounded open readers."""
from __future__ import annotations

import os
import pickle
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from videos_util import read_pattern, write_pattern_video  # noqa: E402

from sgfb.data.reader_cache import ReaderCache  # noqa: E402
from sgfb.data.video import VideoDecodeError, open_video  # noqa: E402

BACKENDS = ["pyav"]
try:
    from torchcodec.decoders import VideoDecoder  # noqa: F401
    BACKENDS.append("torchcodec")
except (ImportError, OSError, RuntimeError):
    pass


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("cache")
    return [write_pattern_video(root / f"v{i}.mp4", 30 + 5 * i, 25) for i in range(3)]


def _patterns(frames):
    return [read_pattern(frame) for frame in frames]


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_video_indexed_once_and_readers_reused(paths, backend):
    cache = ReaderCache(backend, max_open=2)
    a = cache.reader(paths[0])
    assert cache.reader(paths[0]) is a and a.backend == backend
    assert _patterns(a.get_frames([20, 3, 9])) == [20, 3, 9]
    cache.reader(paths[1])
    cache.reader(paths[2])  # evicts paths[0], the least recently used
    assert len(cache) == 2 and cache.opened == 3 and cache.indexed == 3
    again = cache.reader(paths[0])
    assert again is not a and cache.opened == 4 and cache.indexed == 3  # index kept
    assert _patterns(again.get_frames([29, 0])) == [29, 0]
    assert cache.index(paths[0]) is again.index
    cache.close()
    assert len(cache) == 0


def test_frames_equal_a_fresh_reader(paths):
    cache = ReaderCache("pyav", max_open=1)
    reads = [(0, [5, 9, 13]), (1, [30, 31]), (0, [1, 2, 3]), (0, [28, 29]), (2, [0, 39])]
    for which, wanted in reads:
        with open_video(paths[which], "pyav") as fresh:
            np.testing.assert_array_equal(cache.reader(paths[which]).get_frames(wanted),
                                          fresh.get_frames(wanted))


def test_discard_closes_the_reader_but_keeps_the_index(paths):
    cache = ReaderCache("pyav")
    first = cache.reader(paths[1])
    cache.discard(paths[1])
    cache.discard("never-opened.mp4")
    assert len(cache) == 0 and cache.reader(paths[1]) is not first and cache.indexed == 1


def test_a_replaced_file_is_indexed_and_opened_again(paths, tmp_path):
    path = str(tmp_path / "v.mp4")
    shutil.copy(paths[0], path)
    cache = ReaderCache("pyav")
    old = cache.reader(path)
    assert old.num_frames == 30
    shutil.copy(paths[2], path + ".new")
    os.replace(path + ".new", path)
    os.utime(path, ns=(1, 1))  # a different mtime even on a coarse clock
    new = cache.reader(path)
    assert new is not old and new.num_frames == 40 and cache.indexed == 2
    assert _patterns(new.get_frames([39])) == [39]
    os.unlink(path)
    with pytest.raises(VideoDecodeError, match="does not exist"):
        cache.reader(path)


def test_pickled_cache_is_empty(paths):
    cache = ReaderCache("pyav", max_open=3)
    cache.reader(paths[0])
    copy = pickle.loads(pickle.dumps(cache))
    assert len(copy) == 0 and copy.opened == 0 and copy.indexed == 0 and copy.max_open == 3
    assert _patterns(copy.reader(paths[0]).get_frames([7])) == [7] and copy.indexed == 1


def test_bad_bounds():
    with pytest.raises(ValueError, match="at least 1"):
        ReaderCache("pyav", max_open=0)
