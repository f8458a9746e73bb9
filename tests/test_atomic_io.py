import json

import pytest

from sgfb.atomic_io import atomic_write, write_json


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
