"""The ``torchcodec`` backend: PyTorch's FFmpeg-based decoder (timestamp-exact seeking; CPU,
and NVDEC on CUDA machines). Uses the system FFmpeg libraries (``make sysdeps``).

Frames are fetched by presentation time (``get_frames_played_at``) at the timestamps of our
packet index, and each returned frame's timestamp is checked, so indices mean the same as
with every other backend. torchcodec applies rotation metadata itself. Files it would index
differently (frame count disagreeing with ours), files without timestamps and truncated files
(``allow_truncated``) are refused with :class:`VideoDecodeError`; ``backend="auto"`` then
falls back to PyAV.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from sgfb.data.video_reader import BatchVideoReader
from sgfb.data.video_errors import VideoDecodeError, describe_decoder_error
from sgfb.data.video_index import FrameIndex


class TorchCodecVideoReader(BatchVideoReader):
    """torchcodec decoding in exact seek mode (see the module docstring)."""

    backend = "torchcodec"

    def __init__(self, path: str, index: FrameIndex, threads: int = 1,
                 data: Optional[bytes] = None) -> None:
        super().__init__(path, index, data)
        try:
            from torchcodec.decoders import VideoDecoder
        except (ImportError, OSError, RuntimeError) as err:  # no package / no FFmpeg libraries
            raise ImportError(f"torchcodec cannot be loaded: {err}") from err

        if index.pts is None:
            raise VideoDecodeError(f"{path}: the packets carry no timestamps; torchcodec "
                                   f"fetches frames by time, use backend='pyav'")
        if index.damage is not None:
            raise VideoDecodeError(f"{path}: {index.damage}; torchcodec would decode past "
                                   f"the cut, use backend='pyav'")
        try:
            self._decoder = VideoDecoder(data if data is not None else path, seek_mode="exact", dimension_order="NHWC",
                                         num_ffmpeg_threads=threads)
            count = self._decoder.metadata.num_frames
        except Exception as err:  # torchcodec raises RuntimeError / ValueError
            raise VideoDecodeError(f"{path}: torchcodec cannot open the video: "
                                   f"{describe_decoder_error(err)}") from err
        if count != index.num_frames:
            self.close()
            raise VideoDecodeError(
                f"{path}: torchcodec counts {count} frames but the container holds "
                f"{index.num_frames} displayable frames; use backend='pyav'")
        tb = index.time_base
        self._seconds = index.pts.astype(np.float64) * (tb.numerator / tb.denominator)

    def _decode_batch(self, indices: np.ndarray) -> np.ndarray:
        wanted = self._seconds[indices]
        try:
            # a microsecond past the timestamp: float rounding never lands on the previous frame
            batch = self._decoder.get_frames_played_at((wanted + 1e-6).tolist())
        except Exception as err:
            raise VideoDecodeError(
                f"{self._path}: torchcodec failed to decode frames "
                f"{int(indices.min())}..{int(indices.max())}: "
                f"{describe_decoder_error(err)}") from err
        got = batch.pts_seconds.numpy()
        if not np.allclose(got, wanted, rtol=0, atol=1e-6):
            bad = int(np.flatnonzero(~np.isclose(got, wanted, rtol=0, atol=1e-6))[0])
            raise VideoDecodeError(
                f"{self._path}: torchcodec returned the frame at {got[bad]:.6f} s for frame "
                f"{int(indices[bad])} at {wanted[bad]:.6f} s; the file is damaged")
        return batch.data.numpy()

    def close(self) -> None:
        self._decoder = None
