"""The data choices a user names on a command line, importable without PyAV or OpenCV (so a
tool's ``--help`` lists them without loading a decoder)."""
from __future__ import annotations

from typing import Tuple

#: Video decoders (``--backend``, :func:`sgfb.data.video.open_video`): ``auto`` (the fastest
#: exact one installed), then the keys of :data:`sgfb.data.video.READERS`, in its order.
BACKENDS: Tuple[str, ...] = ("auto", "torchcodec", "pyav", "decord")
