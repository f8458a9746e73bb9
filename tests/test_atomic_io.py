import json
import os
import stat

import pytest

from sgfb.atomic_io import (atomic_directory, atomic_path, atomic_write,
                            remove_stale_temporaries, write_json)


def test_failed_write_leaves_neither_target_nor_temporary(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError):
        with atomic_write(str(target), "w") as f:
            f.write("half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_write_replaces_whole_file(tmp_path):
    target = tmp_path / "sub" / "m.json"
    write_json(str(target), {"a": 1})
    write_json(str(target), {"b": 2})
    assert json.loads(target.read_text()) == {"b": 2}
    assert [p.name for p in target.parent.iterdir()] == ["m.json"]


@pytest.fixture
def umask():
    def set_mask(mask):
        os.umask(mask)
    old = os.umask(0o022)
    os.umask(old)
    yield set_mask
    os.umask(old)


@pytest.mark.parametrize("mask,file_mode,dir_mode", [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700),
                                                     (0o002, 0o664, 0o775)])
def test_outputs_respect_the_umask(tmp_path, umask, mask, file_mode, dir_mode):
    umask(mask)
    write_json(str(tmp_path / "a.json"), {"a": 1})
    with atomic_path(str(tmp_path / "b.mp4")) as tmp:
        open(tmp, "wb").close()
    with atomic_directory(str(tmp_path / "frames")) as folder:
        open(os.path.join(folder, "1.png"), "wb").close()
    assert stat.S_IMODE(os.stat(tmp_path / "a.json").st_mode) == file_mode
    assert stat.S_IMODE(os.stat(tmp_path / "b.mp4").st_mode) == file_mode
    assert stat.S_IMODE(os.stat(tmp_path / "frames").st_mode) == dir_mode


def test_atomic_directory_replaces_the_folder_whole_or_not_at_all(tmp_path):
    target = tmp_path / "VIDEO.mp4"
    with atomic_directory(str(target)) as folder:
        open(os.path.join(folder, "old.png"), "wb").close()
    with pytest.raises(RuntimeError):
        with atomic_directory(str(target)) as folder:
            open(os.path.join(folder, "new.png"), "wb").close()
            raise RuntimeError("killed")
    assert sorted(os.listdir(tmp_path)) == ["VIDEO.mp4"]
    assert os.listdir(target) == ["old.png"]


def test_nan_is_refused_rather_than_written_as_invalid_json(tmp_path):
    with pytest.raises(ValueError):
        write_json(str(tmp_path / "m.json"), {"mAP": float("nan")})
    assert list(tmp_path.iterdir()) == []


def test_stale_temporaries_of_dead_writers_are_removed(tmp_path):
    dead = tmp_path / ".tmp-999999999-abc.pt"           # no such process
    legacy = tmp_path / ".tmp-k3j4.pt"                   # written before pids were recorded
    frames = tmp_path / "VIDEO.mp4.tmp-999999999-x"      # an interrupted frame folder
    live = tmp_path / f".tmp-{os.getpid()}-def.pt"       # a write in progress: kept
    for path in (dead, legacy, live, tmp_path / "model.pt", tmp_path / "notes.tmp"):
        path.write_bytes(b"partial")
    frames.mkdir()
    (frames / "000001.png").write_bytes(b"x")
    removed = remove_stale_temporaries(str(tmp_path))
    assert removed == sorted(str(p) for p in (dead, legacy, frames))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "model.pt",
                                                                 "notes.tmp"])
    assert remove_stale_temporaries(str(tmp_path / "absent")) == []
