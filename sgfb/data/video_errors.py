"""The error every video reader raises, and plain-language descriptions of decoder errors.

FFmpeg (through PyAV) reports failures as ``[Errno 1094995529] Invalid data found when
processing input: 'x.mp4'``; the number is an FFmpeg tag that means nothing to a user.
:func:`describe_decoder_error` turns such errors into a short sentence saying what is wrong
with the file, so that messages read ``x.mp4: cannot read video: the file is corrupt or not
a video (FFmpeg found invalid data)``.
"""
from __future__ import annotations

from typing import Dict


class VideoDecodeError(RuntimeError):
    """A video could not be opened or decoded; the message names the file and the reason."""


# PyAV error class name -> what it means for a video file given by a user.
_MEANINGS: Dict[str, str] = {
    "InvalidDataError": "the file is corrupt or not a video (FFmpeg found invalid data)",
    "EOFError": "the file ends unexpectedly (truncated?)",
    "FileNotFoundError": "the file does not exist",
    "PermissionError": "permission denied",
    "IsADirectoryError": "it is a directory, not a video file",
    "DecoderNotFoundError": "its codec has no decoder in this FFmpeg build",
    "DemuxerNotFoundError": "its container format is unknown to this FFmpeg build",
    "PatchWelcomeError": "it uses a codec feature this FFmpeg build does not implement",
    "MemoryError": "out of memory while decoding",
}


def describe_decoder_error(err: BaseException) -> str:
    """A sentence (no errno, no file name) describing ``err`` raised by PyAV, decord or the OS.

    >>> import av
    >>> describe_decoder_error(av.error.InvalidDataError(1094995529, "Invalid data"))
    'the file is corrupt or not a video (FFmpeg found invalid data)'
    """
    for cls in type(err).__mro__:
        if cls.__name__ in _MEANINGS and cls.__module__.startswith(("av", "builtins")):
            return _MEANINGS[cls.__name__]
    reason = getattr(err, "strerror", None)
    if not reason:
        reason = str(err).strip() or type(err).__name__
        if reason.startswith("[Errno"):  # "[Errno N] text: 'file'" -> "text"
            reason = reason.split("]", 1)[-1].rsplit(": '", 1)[0].strip()
    return reason[0].lower() + reason[1:] if reason[:2] != reason[:2].upper() else reason
