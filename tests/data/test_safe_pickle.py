import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest

from sgfb.data.safe_pickle import UnsafePickleError, load_pickle, loads


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/sgfb_pwned",))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_plain_data_round_trips(protocol):
    data = {
        "a.mp4/000001.png": [{"class": "cup/glass/bottle", "bbox": (1.0, 2.0, 3.0, 4.0),
                               "visible": True, "set": {"x"}, "f": frozenset({1})}],
        "arr": np.arange(6, dtype=np.float32).reshape(2, 3),
        "scalar": np.float64(2.5), "n": None, "b": b"xy", "od": OrderedDict(a=1),
    }
    out = loads(pickle.dumps(data, protocol=protocol))
    np.testing.assert_array_equal(out["arr"], data["arr"])
    assert out["arr"].dtype == np.float32
    assert out["a.mp4/000001.png"] == data["a.mp4/000001.png"]
    assert out["scalar"] == 2.5 and out["od"] == {"a": 1} and out["b"] == b"xy"


def test_malicious_pickle_is_refused_and_does_not_run(tmp_path):
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"x": _Evil()}))
    if os.path.exists("/tmp/sgfb_pwned"):
        os.unlink("/tmp/sgfb_pwned")
    with pytest.raises(UnsafePickleError, match=r"evil\.pkl.*(posix|os)\.system"):
        load_pickle(str(path))
    assert not os.path.exists("/tmp/sgfb_pwned")


def test_object_dtype_arrays_cannot_smuggle_callables():
    payload = pickle.dumps(np.array([_Evil()], dtype=object))
    with pytest.raises(UnsafePickleError):
        loads(payload)


def test_garbage_names_the_file(tmp_path):
    path = tmp_path / "broken.pkl"
    path.write_bytes(b"\x80\x04not a pickle at all")
    with pytest.raises(pickle.UnpicklingError, match="broken.pkl"):
        load_pickle(str(path))
