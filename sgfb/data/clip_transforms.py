"""Spatial transforms of video clips for action recognition (PySlowFast / LFB protocol).

Input: frames as decoded by :class:`sgfb.data.video.VideoReader`, uint8 ``[T, H, W, 3]`` RGB
(numpy or torch). Output: float32 ``[3, T, crop, crop]`` (channels first, then time),
normalised as ``(x / 255 - mean) / std``; or, with ``normalize=False``, the same crops as
uint8 ``[3, T, crop, crop]`` before the float conversion (resized, cropped and flipped
exactly alike), stored channels-last (``[T, crop, crop, 3]`` in memory, as decoded: no
transposing copy on the loader's CPU), for the model to normalise on its device with
:func:`normalize_clips` (``data.normalize_on_device``; DALI / FFCV-style loaders hand out
uint8 the same way). ``normalize_clips(uint8 crop) == normalize(crop)`` bit for bit on the
CPU (same float32 operations in the same order, tested); on any IEEE device it differs at
most by one float32 rounding (2.4e-7) if a compiler fuses the multiply and the subtract.

- Training (:func:`train_transform`): resize so the short side is an integer drawn uniformly
  from ``[scale_min, scale_max]`` (default ``[256, 320]`` for crop 224;
  :func:`default_scale_range` scales it for other crops), crop ``crop x crop`` at a uniformly
  random position, mirror left-right with probability ``flip_prob`` (0.5), normalise.
- Testing (:func:`test_transform`): resize so the short side is ``crop``, take 3 crops along
  the long side (left / centre / right for landscape frames, top / centre / bottom for
  portrait ones), normalise: ``[3, 3, T, crop, crop]``.

Resizing is bilinear with half-pixel centres (``align_corners=False``, no antialiasing, as
PySlowFast), done on uint8 (rounded to integers; at most 1 grey level from float resizing,
4x faster and 4x less memory); the long side becomes ``floor(long * short_new / short)``.
All randomness comes from an explicit ``numpy.random.Generator``, so a seed fixes the output.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F

Frames = Union[np.ndarray, torch.Tensor]

#: PySlowFast's Charades / Kinetics normalisation (of values in [0, 1]).
DEFAULT_MEAN = (0.45, 0.45, 0.45)
DEFAULT_STD = (0.225, 0.225, 0.225)


def default_scale_range(crop: int) -> Tuple[int, int]:
    """Short-side jitter range for ``crop``: ``[256, 320] * crop / 224`` rounded
    (224 -> (256, 320), 112 -> (128, 160), 32 -> (37, 46))."""
    return int(round(256 * crop / 224)), int(round(320 * crop / 224))


@dataclass(frozen=True)
class TrainCropParams:
    """The random choices of one training transform: resized short side, crop corner in the
    resized frame (``y``, ``x``), and whether to mirror."""

    short_side: int
    y: int
    x: int
    flip: bool


def _to_tchw(frames: Frames) -> torch.Tensor:
    """uint8 ``[T, H, W, 3]`` -> uint8 ``[T, 3, H, W]`` (a view where possible)."""
    tensor = torch.from_numpy(np.ascontiguousarray(frames)) if isinstance(frames, np.ndarray) \
        else frames
    if tensor.ndim != 4 or tensor.shape[-1] != 3:
        raise ValueError(f"frames must be [T, H, W, 3] RGB, got shape {tuple(tensor.shape)}")
    if tensor.dtype != torch.uint8:
        raise ValueError(f"frames must be uint8, got {tensor.dtype}")
    if tensor.shape[0] == 0:
        raise ValueError("a clip needs at least one frame, got T = 0")
    return tensor.permute(0, 3, 1, 2)


def resized_size(height: int, width: int, short_side: int) -> Tuple[int, int]:
    """``(H', W')`` with the short side ``short_side`` and the long one
    ``floor(long * short_side / short)`` (PySlowFast's rule)."""
    if short_side < 1:
        raise ValueError(f"short_side must be positive, got {short_side}")
    if width <= height:
        return int(math.floor(height / width * short_side)), short_side
    return short_side, int(math.floor(width / height * short_side))


def short_side_resize(frames_tchw: torch.Tensor, short_side: int) -> torch.Tensor:
    """Resize ``[T, C, H, W]`` (uint8 or float) so its short side is ``short_side``."""
    height, width = frames_tchw.shape[-2:]
    if min(height, width) == short_side:
        # already at this short side (e.g. resized as decoded): recomputing the long side
        # from the resized frame could lose a pixel to float rounding (405 / 304 * 304 <
        # 405), shrinking it under a crop drawn for the first size
        return frames_tchw
    size = resized_size(height, width, short_side)
    # uint8 frames as decoded ([T, H, W, 3] viewed as [T, 3, H, W]) are channels-last in
    # memory: PyTorch's vectorised uint8 kernel takes them as they are (5x faster than on a
    # channels-first copy, same numbers); the result stays channels-last.
    if frames_tchw.dtype == torch.uint8:
        frames_tchw = frames_tchw.contiguous(memory_format=torch.channels_last)
    return F.interpolate(frames_tchw, size=size, mode="bilinear", align_corners=False)


def uniform_crop_offset(length: int, crop: int, position: int) -> int:
    """Offset of crop ``position`` (0 first, 1 centre, 2 last) along a side of ``length``:
    0, ``ceil((length - crop) / 2)``, ``length - crop``."""
    if crop > length:
        raise ValueError(f"crop {crop} is larger than the frame side {length}")
    if position not in (0, 1, 2):
        raise ValueError(f"crop position must be 0, 1 or 2, got {position}")
    return (0, int(math.ceil((length - crop) / 2)), length - crop)[position]


def uniform_crop(frames_tchw: torch.Tensor, crop: int, position: int) -> torch.Tensor:
    """Square ``crop`` of ``[T, C, H, W]``: centred on the short side; along the long side
    at ``position`` 0 (left / top), 1 (centre) or 2 (right / bottom)."""
    height, width = frames_tchw.shape[-2:]
    if height > width:
        y = uniform_crop_offset(height, crop, position)
        x = uniform_crop_offset(width, crop, 1)
    else:
        y = uniform_crop_offset(height, crop, 1)
        x = uniform_crop_offset(width, crop, position)
    return frames_tchw[..., y:y + crop, x:x + crop]


def _scale_offset(mean: Sequence[float], std: Sequence[float],
                  device: Optional[torch.device] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """float32 ``[C, 1, 1, 1]`` ``1 / (255 std)`` and ``mean / std`` (computed in float64):
    ``(x / 255 - mean) / std == x * scale - offset``."""
    std_t = torch.as_tensor(std, dtype=torch.float64).view(-1, 1, 1, 1)
    mean_t = torch.as_tensor(mean, dtype=torch.float64).view(-1, 1, 1, 1)
    scale = (1.0 / (255.0 * std_t)).to(torch.float32)
    offset = (mean_t / std_t).to(torch.float32)
    return scale.to(device), offset.to(device)


def normalize(frames_tchw: torch.Tensor, mean: Sequence[float] = DEFAULT_MEAN,
              std: Sequence[float] = DEFAULT_STD, flip: bool = False) -> torch.Tensor:
    """uint8 ``[T, 3, H, W]`` -> float32 ``[3, T, H, W]``, ``(x / 255 - mean) / std``,
    mirrored left-right when ``flip``.

    Computed as ``x * (1 / (255 std)) - mean / std`` in one conversion straight into the
    channels-first layout (the flip folded into it): 1.5x faster than a flip copy, a permute
    copy and three passes, equal up to float rounding (at most 5e-7 here)."""
    x = frames_tchw.permute(1, 0, 2, 3)
    if flip:
        x = x.flip(-1)
    x = x.to(torch.float32, memory_format=torch.contiguous_format)
    scale, offset = _scale_offset(mean, std)
    return x.mul_(scale).sub_(offset).contiguous()


def arrange_uint8(frames_tchw: torch.Tensor, flip: bool = False) -> torch.Tensor:
    """uint8 ``[T, 3, H, W]`` -> uint8 ``[3, T, H, W]`` (mirrored left-right when ``flip``):
    the pixels :func:`normalize` converts, left in channels-last memory (``[T, H, W, 3]``,
    one row copy of the crop; 4x cheaper than a channels-first copy)."""
    x = frames_tchw.permute(0, 2, 3, 1)  # [T, H, W, 3]
    if flip:
        x = x.flip(2)
    return x.contiguous().permute(3, 0, 1, 2)


def normalize_clips(clips: torch.Tensor, mean: Sequence[float] = DEFAULT_MEAN,
                    std: Sequence[float] = DEFAULT_STD) -> torch.Tensor:
    """uint8 ``[..., 3, T, H, W]`` (any memory layout, any device) -> float32 contiguous
    ``[..., 3, T, H, W]``, ``(x / 255 - mean) / std`` on the clips' device: the second half
    of :func:`normalize` (same constants, same operations in the same order), for uint8
    clips from a loader with ``normalize=False``."""
    if clips.dtype != torch.uint8:
        raise ValueError(f"normalize_clips takes uint8 clips, got {clips.dtype}")
    if clips.ndim < 4 or clips.shape[-4] != len(mean):
        raise ValueError(f"clips must be [..., {len(mean)}, T, H, W], got "
                         f"{tuple(clips.shape)}")
    scale, offset = _scale_offset(mean, std, clips.device)
    x = clips.to(torch.float32, memory_format=torch.contiguous_format)
    return x.mul_(scale).sub_(offset)


def sample_train_params(height: int, width: int, rng: np.random.Generator, crop: int = 224,
                        scale_range: Optional[Tuple[int, int]] = None,
                        flip_prob: float = 0.5) -> TrainCropParams:
    """Draw the short side (integer, uniform in ``scale_range``, both ends included), the
    crop corner (uniform) and the flip for a ``height x width`` clip."""
    lo, hi = default_scale_range(crop) if scale_range is None else scale_range
    if not crop <= lo <= hi:
        raise ValueError(f"scale range ({lo}, {hi}) must satisfy crop ({crop}) <= min <= max")
    short_side = int(rng.integers(lo, hi + 1))
    new_h, new_w = resized_size(height, width, short_side)
    y = int(rng.integers(0, new_h - crop + 1))
    x = int(rng.integers(0, new_w - crop + 1))
    flip = bool(rng.random() < flip_prob)
    return TrainCropParams(short_side, y, x, flip)


def apply_train_params(frames: Frames, params: TrainCropParams, crop: int = 224,
                       mean: Sequence[float] = DEFAULT_MEAN,
                       std: Sequence[float] = DEFAULT_STD, uint8: bool = False) -> torch.Tensor:
    """The training transform with given choices: uint8 ``[T, H, W, 3]`` -> float32
    ``[3, T, crop, crop]`` (``uint8``: the uint8 crop, see :func:`arrange_uint8`)."""
    x = short_side_resize(_to_tchw(frames), params.short_side)
    height, width = x.shape[-2:]
    if params.y + crop > height or params.x + crop > width or min(params.y, params.x) < 0:
        raise ValueError(f"crop {crop} at (y={params.y}, x={params.x}) leaves the resized "
                         f"{height}x{width} frame")
    x = x[..., params.y:params.y + crop, params.x:params.x + crop]
    if uint8:
        return arrange_uint8(x, flip=params.flip)
    return normalize(x, mean, std, flip=params.flip)


def train_transform(frames: Frames, rng: np.random.Generator, crop: int = 224,
                    scale_range: Optional[Tuple[int, int]] = None, flip_prob: float = 0.5,
                    mean: Sequence[float] = DEFAULT_MEAN,
                    std: Sequence[float] = DEFAULT_STD, uint8: bool = False) -> torch.Tensor:
    """Scale jitter, random crop, random flip, normalise: uint8 ``[T, H, W, 3]`` ->
    float32 ``[3, T, crop, crop]`` (``uint8``: not normalised, uint8 ``[3, T, crop, crop]``;
    the same random draws)."""
    height, width = _to_tchw(frames).shape[-2:]
    params = sample_train_params(height, width, rng, crop, scale_range, flip_prob)
    return apply_train_params(frames, params, crop, mean, std, uint8)


def test_transform(frames: Frames, crop: int = 224, num_crops: int = 3,
                   mean: Sequence[float] = DEFAULT_MEAN,
                   std: Sequence[float] = DEFAULT_STD, uint8: bool = False) -> torch.Tensor:
    """Short side to ``crop``, then ``num_crops`` (3: first / centre / last along the long
    side; 1: centre) square crops: uint8 ``[T, H, W, 3]`` -> float32
    ``[num_crops, 3, T, crop, crop]`` (``uint8``: the uint8 crops, channels-last)."""
    if num_crops not in (1, 3):
        raise ValueError(f"num_crops must be 1 or 3, got {num_crops}")
    x = short_side_resize(_to_tchw(frames), crop)
    positions = (1,) if num_crops == 1 else (0, 1, 2)
    if uint8:  # [crops, T, crop, crop, 3] in memory
        return torch.stack([uniform_crop(x, crop, p).permute(0, 2, 3, 1) for p in positions]) \
            .permute(0, 4, 1, 2, 3)
    return torch.stack([normalize(uniform_crop(x, crop, p), mean, std) for p in positions])


test_transform.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


@dataclass(frozen=True)
class ClipTransform:
    """The transform of one split with its settings, for a Dataset.

    ``__call__(frames, rng)``: training -> ``[3, T, crop, crop]``;
    testing (``rng`` unused) -> ``[num_crops, 3, T, crop, crop]``; float32 normalised, or
    with ``uint8`` the uint8 pixels before normalisation (:func:`normalize_clips` finishes
    them).
    """

    train: bool
    crop: int = 224
    scale_range: Optional[Tuple[int, int]] = None
    flip_prob: float = 0.5
    num_crops: int = 3
    mean: Tuple[float, ...] = DEFAULT_MEAN
    std: Tuple[float, ...] = DEFAULT_STD
    uint8: bool = False

    def __call__(self, frames: Frames,
                 rng: Optional[np.random.Generator] = None) -> torch.Tensor:
        if self.train:
            if rng is None:
                raise ValueError("the training transform needs a numpy Generator")
            return train_transform(frames, rng, self.crop, self.scale_range, self.flip_prob,
                                   self.mean, self.std, self.uint8)
        return test_transform(frames, self.crop, self.num_crops, self.mean, self.std,
                              self.uint8)

    def sample(self, height: int, width: int, rng: np.random.Generator) -> TrainCropParams:
        """The training draws for a ``height x width`` clip, before it is decoded (the same
        draws, in the same order, as ``__call__``), so the decoder can resize each frame to
        ``resized_size(height, width, params.short_side)`` as it goes."""
        return sample_train_params(height, width, rng, self.crop, self.scale_range,
                                   self.flip_prob)

    def apply(self, frames: Frames, params: TrainCropParams) -> torch.Tensor:
        """The training transform with drawn ``params``; ``frames`` at full size or already
        resized to the drawn short side (then the resize is skipped)."""
        return apply_train_params(frames, params, self.crop, self.mean, self.std, self.uint8)
