"""Restricted loading of downloaded annotation pickles.

Action Genome ships its annotations as pickles. A pickle can name any importable callable,
so loading an untrusted one with :func:`pickle.load` can run arbitrary code. The unpickler
here admits only plain containers, numbers, strings, bytes and numpy arrays/scalars, and
refuses every other global with an :class:`UnsafePickleError` that names the file and the
global it refused.
"""
from __future__ import annotations

import _compat_pickle
import io
import pickle
from typing import Any, FrozenSet, Tuple

#: (module, name) pairs a data pickle may reference. Everything else is refused.
_ALLOWED_GLOBALS: FrozenSet[Tuple[str, str]] = frozenset({
    # numpy arrays, dtypes and scalars (module moved to numpy._core in numpy 2)
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),  # protocol 5 arrays
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    # protocol-2 pickles written by Python 2 encode bytes through _codecs.encode
    ("_codecs", "encode"),
    # plain containers that have no opcode of their own in older protocols
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "bytearray"),
    ("builtins", "complex"),
    ("collections", "OrderedDict"),
})


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle referenced a global outside the allow-list."""


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BufferedIOBase, source: str) -> None:
        super().__init__(file, encoding="latin1")
        self._source = source

    def find_class(self, module: str, name: str) -> Any:
        # Python 2 names (protocol < 3), mapped the way pickle itself maps them
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        # numpy dtypes of scalars are pickled as e.g. numpy.float64 / numpy.dtypes.Float64DType
        if module == "numpy" and name in _NUMPY_SCALAR_TYPES:
            return super().find_class(module, name)
        if module == "numpy.dtypes" and name.endswith("DType"):
            return super().find_class(module, name)
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise UnsafePickleError(
            f"{self._source}: refusing to load global '{module}.{name}': annotation pickles may "
            "contain only containers, numbers, strings and numpy arrays"
        )


_NUMPY_SCALAR_TYPES = frozenset({
    "bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "longdouble", "complex64", "complex128", "str_", "bytes_",
})


def load_pickle(path: str) -> Any:
    """Load a data pickle from ``path`` without running code from it.

    Raises :class:`UnsafePickleError` when the pickle references anything other than plain
    data, and :class:`pickle.UnpicklingError` (naming the file) when it is not a pickle.
    """
    with open(path, "rb") as f:
        return _load(f, source=path)   # streamed: no copy of the whole file in memory


def loads(data: bytes, source: str = "<bytes>") -> Any:
    """Restricted counterpart of :func:`pickle.loads`; ``source`` names the input in errors."""
    return _load(io.BytesIO(data), source)


def _load(file: io.BufferedIOBase, source: str) -> Any:
    try:
        return _RestrictedUnpickler(file, source).load()
    except UnsafePickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError) as exc:
        raise pickle.UnpicklingError(f"{source}: not a readable data pickle ({exc})") from exc
