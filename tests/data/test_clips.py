"""Clip sampling (sgfb.data.clips) and clip transforms (sgfb.data.clip_transforms)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from sgfb.data import clip_transforms as ct
from sgfb.data.charades import ActionInstance, Charades, CharadesVideo
from sgfb.data.clips import clip_center_seconds, clip_labels, clip_span, clip_span_seconds, \
    random_clip, test_clips as make_test_clips, test_starts as make_test_starts


# ---------------------------------------------------------------------- sampling
def test_clip_span():
    assert clip_span(32, 4) == 125
    assert clip_span(1, 4) == 1


def test_random_clip_long_video_covers_every_start_and_keeps_stride():
    # 12 frames, 4 frames at stride 3 span 10: starts 0, 1, 2
    starts = set()
    rng = np.random.default_rng(0)
    for _ in range(200):
        idx = random_clip(12, 4, 3, rng)
        assert idx.dtype == np.int64 and idx.shape == (4,)
        assert np.array_equal(np.diff(idx), [3, 3, 3])
        starts.add(int(idx[0]))
    assert starts == {0, 1, 2}


def test_random_clip_exact_fit_and_short_video_clamped():
    rng = np.random.default_rng(1)
    assert random_clip(10, 4, 3, rng).tolist() == [0, 3, 6, 9]
    assert random_clip(5, 4, 3, rng).tolist() == [0, 3, 4, 4]       # last frame repeats
    assert random_clip(1, 3, 4, rng).tolist() == [0, 0, 0]
    assert random_clip(300, 32, 4, np.random.default_rng(2)).shape == (32,)


def test_random_clip_is_seeded():
    a = random_clip(1000, 8, 4, np.random.default_rng(5))
    b = random_clip(1000, 8, 4, np.random.default_rng(5))
    assert np.array_equal(a, b)


def test_random_clip_rejects_bad_arguments():
    with pytest.raises(ValueError):
        random_clip(0, 4, 2)
    with pytest.raises(ValueError):
        random_clip(10, 4, 0)


def test_test_views_evenly_spaced():
    # 100 frames, span 10: last start 90, 4 views -> starts 0, 30, 60, 90
    clips = make_test_clips(100, 4, 3, num_temporal_views=4)
    assert clips.shape == (4, 4)
    assert clips[:, 0].tolist() == [0, 30, 60, 90]
    assert clips[3].tolist() == [90, 93, 96, 99]
    centres = (clips[:, 0] + clips[:, -1]) / 2
    assert centres.tolist() == [4.5, 34.5, 64.5, 94.5]


def test_test_view_starts_round_half_up_and_single_view_is_centred():
    # last start 5, 3 views: gap 2.5 -> 0, 2.5 -> 3, 5
    assert make_test_starts(15, 4, 3, 3).tolist() == [0, 3, 5]
    # last start 91, 4 views: 0, 30.33, 60.67, 91
    assert make_test_starts(101, 4, 3, 4).tolist() == [0, 30, 61, 91]
    assert make_test_starts(20, 4, 3, 1).tolist() == [5]
    assert make_test_clips(300, 32, 4).shape == (10, 32)


def test_test_views_of_a_short_video_all_cover_it():
    clips = make_test_clips(5, 4, 3, num_temporal_views=3)
    assert clips.tolist() == [[0, 3, 4, 4]] * 3


def test_clip_span_and_centre_seconds():
    assert clip_span_seconds([3, 7, 11], 4.0) == (0.75, 2.75)
    assert clip_span_seconds([0, 3, 4, 4], 2.0) == (0.0, 2.0)
    assert clip_center_seconds([3, 7, 11], 4.0) == 1.75
    with pytest.raises(ValueError):
        clip_span_seconds([], 30.0)


@pytest.fixture
def charades():
    video = CharadesVideo("VID01", 10.0, [ActionInstance(0, 0.0, 2.0),
                                          ActionInstance(1, 5.0, 6.0),
                                          ActionInstance(2, 6.5, 9.0)])
    return Charades([video, CharadesVideo("VID02", 4.0, [])])


def test_clip_labels_inclusive_boundaries(charades):
    # action 0 ends exactly at the clip start, action 1 starts exactly at the clip end
    assert clip_labels(charades, "VID01", 2.0, 5.0).tolist() == [1, 1, 0]
    assert clip_labels(charades, "VID01", 2.01, 4.99).tolist() == [0, 0, 0]
    assert clip_labels(charades, "VID01", 6.2, 6.3).tolist() == [0, 0, 0]
    assert clip_labels(charades, "VID01", 5.5, 7.0, num_classes=5).tolist() == [0, 1, 1, 0, 0]
    assert clip_labels(charades, "VID02.mp4", 0.0, 4.0).tolist() == [0, 0, 0]
    assert clip_labels(charades, "VID01", 0.0, 1.0).dtype == np.float32
    with pytest.raises(ValueError, match="VID01"):
        clip_labels(charades, "VID01", 0.0, 10.0, num_classes=2)


# ---------------------------------------------------------------------- transforms
def _columns(t: int, height: int, width: int) -> np.ndarray:
    """uint8 [T, H, W, 3] whose value is 10 * column (portrait: 10 * row)."""
    frames = np.zeros((t, height, width, 3), np.uint8)
    if width >= height:
        frames[:] = (np.arange(width, dtype=np.uint8) * 10)[None, None, :, None]
    else:
        frames[:] = (np.arange(height, dtype=np.uint8) * 10)[None, :, None, None]
    return frames


IDENTITY = dict(mean=(0.0, 0.0, 0.0), std=(1 / 255, 1 / 255, 1 / 255))  # output = pixel value


def test_default_scale_range_and_resized_size():
    assert ct.default_scale_range(224) == (256, 320)
    assert ct.default_scale_range(112) == (128, 160)
    assert ct.resized_size(240, 320, 256) == (256, 341)
    assert ct.resized_size(320, 240, 256) == (341, 256)
    assert ct.resized_size(64, 64, 32) == (32, 32)


def test_train_transform_shape_range_and_normalisation():
    rng = np.random.default_rng(0)
    frames = np.random.default_rng(1).integers(0, 256, (5, 48, 64, 3), dtype=np.uint8)
    out = ct.train_transform(frames, rng, crop=32, scale_range=(36, 46))
    assert out.shape == (3, 5, 32, 32) and out.dtype == torch.float32
    zeros = ct.train_transform(np.zeros((2, 48, 64, 3), np.uint8), rng, crop=32,
                               scale_range=(36, 46))
    assert torch.allclose(zeros, torch.full_like(zeros, -0.45 / 0.225))
    white = ct.train_transform(np.full((2, 48, 64, 3), 255, np.uint8), rng, crop=32,
                               scale_range=(36, 46))
    assert torch.allclose(white, torch.full_like(white, 0.55 / 0.225))


def test_train_params_sample_the_whole_range():
    rng = np.random.default_rng(0)
    params = [ct.sample_train_params(48, 64, rng, crop=32, scale_range=(32, 34))
              for _ in range(300)]
    assert {p.short_side for p in params} == {32, 33, 34}
    assert {p.flip for p in params} == {False, True}
    assert {p.y for p in params if p.short_side == 32} == {0}          # 32 x 42: y fixed
    assert {p.x for p in params if p.short_side == 32} == set(range(11))


def test_a_crop_at_the_far_edge_of_a_frame_resized_as_decoded_stays_inside():
    # 480x640 at short side 304 is 304x405, but 405 / 304 * 304 rounds below 405: the
    # already-resized frame must not be resized again to 404 under a crop drawn for 405
    assert ct.resized_size(480, 640, 304) == (304, 405)
    rng = np.random.default_rng(0)
    frames = torch.from_numpy(rng.integers(0, 256, (2, 304, 405, 3), dtype=np.uint8))
    params = ct.TrainCropParams(304, 304 - 224, 405 - 224, False)
    out = ct.apply_train_params(frames, params, crop=224, uint8=True)
    assert torch.equal(out, frames[:, 80:, 181:].permute(3, 0, 1, 2))


def test_train_crop_position_and_flip_mirrors():
    frames = _columns(2, 4, 8)
    no_flip = ct.apply_train_params(frames, ct.TrainCropParams(4, 0, 2, False), crop=4, **IDENTITY)
    flip = ct.apply_train_params(frames, ct.TrainCropParams(4, 0, 2, True), crop=4, **IDENTITY)
    assert no_flip.shape == (3, 2, 4, 4)
    assert torch.allclose(no_flip[0, 0, 0], torch.tensor([20.0, 30.0, 40.0, 50.0]))
    assert torch.allclose(flip[0, 0, 0], torch.tensor([50.0, 40.0, 30.0, 20.0]))
    assert torch.equal(flip, torch.flip(no_flip, dims=(-1,)))
    with pytest.raises(ValueError):
        ct.apply_train_params(frames, ct.TrainCropParams(4, 0, 5, False), crop=4)


def test_train_transform_same_seed_same_output():
    frames = np.random.default_rng(3).integers(0, 256, (4, 40, 56, 3), dtype=np.uint8)
    a = ct.train_transform(frames, np.random.default_rng(7), crop=24, scale_range=(28, 36))
    b = ct.train_transform(frames, np.random.default_rng(7), crop=24, scale_range=(28, 36))
    c = ct.train_transform(frames, np.random.default_rng(8), crop=24, scale_range=(28, 36))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert torch.equal(ct.train_transform(torch.from_numpy(frames), np.random.default_rng(7),
                                          crop=24, scale_range=(28, 36)), a)


def test_test_crops_left_centre_right():
    out = ct.test_transform(_columns(2, 4, 8), crop=4, **IDENTITY)  # no resize: short side 4
    assert out.shape == (3, 3, 2, 4, 4)
    rows = out[:, 0, 0, 0]  # [crop, W]
    assert torch.allclose(rows, torch.tensor([[0.0, 10, 20, 30], [20, 30, 40, 50],
                                              [40, 50, 60, 70]]))
    # odd remainder: width 9, crop 4 -> centre offset ceil(5 / 2) = 3
    centre = ct.test_transform(_columns(1, 4, 9), crop=4, **IDENTITY)[1, 0, 0, 0]
    assert torch.allclose(centre, torch.tensor([30.0, 40, 50, 60]))
    single = ct.test_transform(_columns(1, 4, 8), crop=4, num_crops=1, **IDENTITY)
    assert single.shape == (1, 3, 1, 4, 4) and torch.allclose(single[0], out[1, :, :1])


def test_test_crops_top_centre_bottom_for_portrait_frames():
    out = ct.test_transform(_columns(1, 8, 4), crop=4, **IDENTITY)
    cols = out[:, 0, 0, :, 0]  # [crop, H]
    assert torch.allclose(cols, torch.tensor([[0.0, 10, 20, 30], [20, 30, 40, 50],
                                              [40, 50, 60, 70]]))


def test_test_transform_resizes_short_side_to_crop():
    frames = np.random.default_rng(0).integers(0, 256, (3, 48, 80, 3), dtype=np.uint8)
    out = ct.test_transform(frames, crop=24)
    assert out.shape == (3, 3, 3, 24, 24)
    # a constant frame stays constant through resizing
    grey = ct.test_transform(np.full((1, 48, 80, 3), 100, np.uint8), crop=24, **IDENTITY)
    assert torch.allclose(grey, torch.full_like(grey, 100.0))


def test_transforms_reject_bad_frames():
    with pytest.raises(ValueError, match="uint8"):
        ct.test_transform(np.zeros((1, 8, 8, 3), np.float32), crop=4)
    with pytest.raises(ValueError, match=r"\[T, H, W, 3\]"):
        ct.test_transform(np.zeros((8, 8, 3), np.uint8), crop=4)
    with pytest.raises(ValueError):
        ct.train_transform(np.zeros((1, 8, 8, 3), np.uint8), np.random.default_rng(0), crop=8,
                           scale_range=(4, 6))


def test_uint8_resize_of_decoded_frames_equals_the_channels_first_resize():
    frames = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (3, 30, 40, 3),
                                                                dtype=np.uint8))
    tchw = frames.permute(0, 3, 1, 2)  # as decoded: channels-last memory
    got = ct.short_side_resize(tchw, 24)
    expected = torch.nn.functional.interpolate(tchw.contiguous(), size=(24, 32),
                                               mode="bilinear", align_corners=False)
    assert got.dtype == torch.uint8 and got.shape == (3, 3, 24, 32)
    assert torch.equal(got, expected)
    normalised = ct.normalize(got)
    assert normalised.is_contiguous() and normalised.shape == (3, 3, 24, 32)
    assert torch.equal(normalised, ct.normalize(expected))


@pytest.mark.parametrize("flip", [False, True])
def test_normalize_equals_the_plain_formula(flip):
    """The fused normalisation (one conversion, flip folded in) is (x / 255 - mean) / std of
    the (mirrored) frames in [3, T, H, W], to float rounding, per-channel mean and std."""
    frames = torch.from_numpy(np.random.default_rng(3).integers(0, 256, (4, 6, 7, 3),
                                                                dtype=np.uint8))
    tchw = frames.permute(0, 3, 1, 2)[..., 1:5, 2:7]  # a crop view, as the transform gives
    mean, std = (0.4, 0.45, 0.5), (0.2, 0.225, 0.25)
    got = ct.normalize(tchw, mean, std, flip=flip)
    source = tchw.flip(-1) if flip else tchw
    want = (source.permute(1, 0, 2, 3).double() / 255
            - torch.tensor(mean, dtype=torch.float64).view(-1, 1, 1, 1)) \
        / torch.tensor(std, dtype=torch.float64).view(-1, 1, 1, 1)
    assert got.dtype == torch.float32 and got.shape == (3, 4, 4, 5) and got.is_contiguous()
    assert (got.double() - want).abs().max() < 2e-6
    if flip:
        assert torch.equal(got, ct.normalize(tchw, mean, std).flip(-1))


# --------------------------------------------- uint8 crops, normalised on the device
def test_uint8_train_crop_is_the_crop_before_normalisation():
    """Hand-checked: columns 10 * x, crop at x = 2 (no resize): values 20..50, mirrored
    with the flip; [3, T, H, W] in shape, [T, H, W, 3] in memory (channels-last)."""
    frames = _columns(2, 4, 8)
    plain = ct.apply_train_params(frames, ct.TrainCropParams(4, 0, 2, False), crop=4, uint8=True)
    flip = ct.apply_train_params(frames, ct.TrainCropParams(4, 0, 2, True), crop=4, uint8=True)
    assert plain.dtype == torch.uint8 and plain.shape == (3, 2, 4, 4)
    assert plain[:, :, :, :].flatten(0, 2).tolist() == [[20, 30, 40, 50]] * 24
    assert flip.flatten(0, 2).tolist() == [[50, 40, 30, 20]] * 24
    assert plain.stride() == (1, 4 * 4 * 3, 4 * 3, 3)
    assert plain.permute(1, 2, 3, 0).is_contiguous()


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("short_side", [24, 28])  # no resize / bilinear resize
def test_uint8_train_crop_normalised_equals_the_loader_output_exactly(flip, short_side):
    """normalize_clips(uint8 crop) is the float transform bit for bit on the CPU: the same
    float32 scale and offset, multiply then subtract, on the same pixels."""
    frames = np.random.default_rng(4).integers(0, 256, (3, 24, 40, 3), dtype=np.uint8)
    params = ct.TrainCropParams(short_side, 1, 3, flip)
    mean, std = (0.4, 0.45, 0.5), (0.2, 0.225, 0.25)
    want = ct.apply_train_params(frames, params, crop=20, mean=mean, std=std)
    crop = ct.apply_train_params(frames, params, crop=20, uint8=True)
    got = ct.normalize_clips(crop, mean, std)
    assert got.dtype == torch.float32 and got.is_contiguous() and torch.equal(got, want)
    batch = torch.stack([crop.permute(1, 2, 3, 0)] * 2).permute(0, 4, 1, 2, 3)  # collated
    assert torch.equal(ct.normalize_clips(batch, mean, std), torch.stack([want, want]))
    # and the float result is (x / 255 - mean) / std within one float32 rounding (2.4e-7
    # at |x| <= 2.5) plus the rounding of the constants
    exact = (crop.double() / 255 - torch.tensor(mean, dtype=torch.float64).view(3, 1, 1, 1)) \
        / torch.tensor(std, dtype=torch.float64).view(3, 1, 1, 1)
    assert (got.double() - exact).abs().max() < 1e-6


def test_uint8_train_transform_draws_the_same_choices():
    frames = np.random.default_rng(3).integers(0, 256, (4, 40, 56, 3), dtype=np.uint8)
    want = ct.train_transform(frames, np.random.default_rng(7), crop=24, scale_range=(28, 36))
    crop = ct.train_transform(frames, np.random.default_rng(7), crop=24, scale_range=(28, 36),
                              uint8=True)
    assert torch.equal(ct.normalize_clips(crop), want)
    transform = ct.ClipTransform(train=True, crop=24, scale_range=(28, 36), uint8=True)
    assert torch.equal(transform(frames, np.random.default_rng(7)), crop)


@pytest.mark.parametrize("num_crops", [1, 3])
def test_uint8_test_crops_normalised_equal_the_float_test_transform(num_crops):
    frames = np.random.default_rng(5).integers(0, 256, (3, 48, 80, 3), dtype=np.uint8)
    want = ct.test_transform(frames, crop=24, num_crops=num_crops)
    crops = ct.ClipTransform(train=False, crop=24, num_crops=num_crops, uint8=True)(frames)
    assert crops.dtype == torch.uint8 and crops.shape == (num_crops, 3, 3, 24, 24)
    assert crops.permute(0, 2, 3, 4, 1).is_contiguous()  # channels-last, as decoded
    assert torch.equal(ct.normalize_clips(crops), want)
    # hand-checked positions: columns 10 * x, width 8, crop 4 -> x = 0, 2, 4
    left_centre_right = ct.test_transform(_columns(1, 4, 8), crop=4, uint8=True)
    assert left_centre_right[:, 0, 0, 0].tolist() == [[0, 10, 20, 30], [20, 30, 40, 50],
                                                      [40, 50, 60, 70]]


def test_normalize_clips_rejects_float_and_wrong_channels():
    with pytest.raises(ValueError, match="uint8"):
        ct.normalize_clips(torch.zeros(3, 2, 4, 4))
    with pytest.raises(ValueError, match=r"\[\.\.\., 3, T, H, W\]"):
        ct.normalize_clips(torch.zeros(2, 4, 4, 4, dtype=torch.uint8))
