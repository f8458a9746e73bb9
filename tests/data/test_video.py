"""sgfb.data.video: frame counts, rates, exact frame identity, clamping, backends, bad files."""
from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Dict

import av
import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from videos_util import (pattern_frame, psnr, read_pattern, truncate_file,  # noqa: E402
                         write_pattern_video)

from sgfb.data import video as video_module  # noqa: E402
from sgfb.data.video import VideoDecodeError, index_video, open_video  # noqa: E402

N = 40
RATES = {"24": 24, "25": 25, "29.97": Fraction(30000, 1001), "30": 30}

BACKENDS = ["pyav"]
try:
    import decord  # noqa: F401
    BACKENDS.append("decord")
except ImportError:  # decord has wheels for x86_64 only
    pass
try:
    from torchcodec.decoders import VideoDecoder  # noqa: F401
    BACKENDS.append("torchcodec")
except (ImportError, OSError, RuntimeError):  # not installed, or no system FFmpeg libraries
    pass


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Dict[str, str]:
    """H.264 pattern videos (B-frames, keyframe every 12) at each rate, N frames each."""
    root = tmp_path_factory.mktemp("videos")
    return {name: write_pattern_video(root / f"v{name}.mp4", N, rate)
            for name, rate in RATES.items()}


@pytest.fixture(scope="module")
def leading_b_video(tmp_path_factory) -> str:
    """MPEG-4 part 2 with B-frames: keyframes followed by frames shown before them."""
    path = write_pattern_video(tmp_path_factory.mktemp("mpeg4") / "m.mp4", N, 25, codec="mpeg4")
    assert index_video(path).leading_pictures, "precondition: encoder made no leading B-frames"
    return path


def patterns(frames: np.ndarray) -> list:
    return [read_pattern(frame) for frame in frames]


def test_backend_names_are_the_readers_and_auto():
    """The torch-free list the tools offer (sgfb.data.names) names exactly the readers."""
    assert video_module.BACKENDS == ("auto",) + tuple(video_module.READERS) == \
        ("auto", "torchcodec", "pyav", "decord")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("rate", list(RATES))
def test_counts_rates_and_frame_identity(videos, rate, backend):
    with open_video(videos[rate], backend=backend) as video:
        assert video.backend == backend
        assert video.num_frames == N
        assert video.fps == pytest.approx(float(Fraction(RATES[rate])), abs=1e-9)
        assert (video.width, video.height) == (96, 64)
        assert video.duration == pytest.approx(N / video.fps)
        times = video.timestamps()
        assert times.dtype == np.float64 and times.shape == (N,)
        np.testing.assert_allclose(times, np.arange(N) / video.fps, rtol=0, atol=1e-6)
        everything = video.get_frames(range(N))
        assert everything.shape == (N, 64, 96, 3) and everything.dtype == np.uint8
        assert patterns(everything) == list(range(N))
        wanted = [33, 2, 2, 17, 0, 39, 12, 11]
        assert patterns(video.get_frames(wanted)) == wanted


def test_29_97_reports_exact_ntsc_rate(videos):
    assert open_video(videos["29.97"], "pyav").fps == 30000 / 1001


@pytest.mark.parametrize("backend", BACKENDS)
def test_pixels_are_close_to_the_source(videos, backend):
    with open_video(videos["25"], backend) as video:
        frame = video.get_frames([7])[0]
    assert psnr(frame, pattern_frame(7)) > 30


@pytest.mark.skipif(len(BACKENDS) < 2, reason="decord not installed")
def test_backends_agree(videos):
    indices = [39, 0, 13, 12, 25, 1, 38]
    for path in videos.values():
        with open_video(path, "pyav") as a, open_video(path, "decord") as b:
            assert a.num_frames == b.num_frames
            np.testing.assert_allclose(a.timestamps(), b.timestamps())
            fa, fb = a.get_frames(indices), b.get_frames(indices)
            assert np.abs(fa.astype(int) - fb.astype(int)).max() <= 2  # decoder rounding only
            assert [x for x, _ in a.iter_frames(indices)] == [x for x, _ in b.iter_frames(indices)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_clip_clamps_past_the_end(videos, backend):
    with open_video(videos["30"], backend) as video:
        assert patterns(video.clip(35, 4, stride=2)) == [35, 37, 39, 39]
        assert patterns(video.clip(0, 3)) == [0, 1, 2]
        assert video.clip(5, 0).shape == (0, 64, 96, 3)
        with pytest.raises(IndexError, match="clip start"):
            video.clip(N, 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_iter_frames_streams_distinct_indices_in_order(videos, backend):
    with open_video(videos["24"], backend) as video:
        stream = video.iter_frames([30, 5, 5, 12])
        assert not isinstance(stream, (list, tuple, np.ndarray))
        got = [(index, read_pattern(frame)) for index, frame in stream]
    assert got == [(5, 5), (12, 12), (30, 30)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_resize_and_out_of_range(videos, backend):
    with open_video(videos["25"], backend) as video:
        small = video.get_frames([3, 4], size=(48, 32))
        assert small.shape == (2, 32, 48, 3)
        full = video.get_frames([3])[0]
        np.testing.assert_array_equal(small[0], cv2.resize(full, (48, 32),
                                                           interpolation=cv2.INTER_AREA))
        linear = video.get_frames([4, 3, 4], size=(40, 26), interpolation="bilinear")
        assert linear.shape == (3, 26, 40, 3)
        np.testing.assert_array_equal(linear[1], cv2.resize(full, (40, 26),
                                                            interpolation=cv2.INTER_LINEAR))
        np.testing.assert_array_equal(linear[0], linear[2])
        area = video.get_frames([3], size=(40, 26))[0]  # averaging: another filter
        assert not np.array_equal(linear[1], area)
        with pytest.raises(ValueError, match="interpolation must be one of"):
            video.get_frames([3], size=(48, 32), interpolation="cubic")
        assert video.get_frames([]).shape == (0, 64, 96, 3)
        with pytest.raises(IndexError, match=r"v25\.mp4.*frame index 40"):
            video.get_frames([0, N])


def test_pyav_random_access_seeks_backwards_and_forwards(videos):
    with open_video(videos["29.97"], "pyav") as video:
        for wanted in ([38], [1], [25, 26], [0], [13], [39, 0]):
            assert patterns(video.get_frames(wanted)) == wanted


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "decord"])
def test_leading_b_frames_are_refused_by_decord_and_read_by_the_others(leading_b_video,
                                                                       backend):
    with open_video(leading_b_video, backend) as video:
        assert video.num_frames == N
        wanted = [3, 12, 13, 25, 38, 0]
        assert patterns(video.get_frames(wanted)) == wanted
        assert patterns(video.get_frames(range(N))) == list(range(N))
    if "decord" in BACKENDS:
        with pytest.raises(VideoDecodeError, match="m.mp4.*leading B-frames"):
            open_video(leading_b_video, "decord")


def test_auto_prefers_torchcodec_and_never_picks_decord(videos, leading_b_video):
    expected = "torchcodec" if "torchcodec" in BACKENDS else "pyav"
    assert open_video(videos["25"]).backend == expected
    assert open_video(leading_b_video).backend == expected


def test_unknown_backend():
    with pytest.raises(ValueError, match="torchcodec"):
        open_video("x.mp4", backend="opencv")


# --- broken files ---------------------------------------------------------------------------

def _broken(kind: str, root: Path, good_end: str, good_faststart: str) -> str:
    path = root / f"{kind}.mp4"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "corrupt":
        path.write_bytes(np.random.default_rng(0).integers(0, 256, 20000, np.uint8).tobytes())
    elif kind == "truncated_moov_at_end":
        truncate_file(good_end, str(path))
    elif kind == "truncated_faststart":
        truncate_file(good_faststart, str(path))
    return str(path)


@pytest.fixture(scope="module")
def broken_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("broken")
    end = write_pattern_video(root / "good_end.mp4", 60, 25)
    faststart = write_pattern_video(root / "good_fs.mp4", 60, 25, faststart=True)
    return root, end, faststart


@pytest.mark.parametrize("backend", BACKENDS + ["auto"])
@pytest.mark.parametrize("kind", ["missing", "empty", "corrupt", "truncated_moov_at_end"])
def test_unreadable_files_raise_naming_the_file(broken_root, kind, backend):
    path = _broken(kind, *broken_root)
    with pytest.raises(VideoDecodeError, match=kind):
        open_video(path, backend)


@pytest.mark.parametrize("backend", BACKENDS + ["auto"])
@pytest.mark.parametrize("kind", ["missing", "empty", "corrupt", "truncated_moov_at_end"])
def test_decoder_errors_are_sentences_not_errno(broken_root, kind, backend):
    with pytest.raises(VideoDecodeError) as caught:
        open_video(_broken(kind, *broken_root), backend)
    message = str(caught.value)
    assert "Errno" not in message and "1094995529" not in message
    expected = {"missing": "does not exist", "empty": "empty (0 bytes)",
                "corrupt": "corrupt or not a video", "truncated_moov_at_end": "corrupt or not a video"}
    assert expected[kind] in message


@pytest.mark.parametrize("backend", BACKENDS + ["auto"])
def test_truncated_file_is_an_error_naming_file_and_missing_tail(broken_root, backend):
    path = _broken("truncated_faststart", *broken_root)
    with pytest.raises(VideoDecodeError,
                       match=r"truncated_faststart\.mp4: truncated or corrupt video \(missing tail"
                             r".*only the first \d+ of the 60 frames listed in its header"):
        open_video(path, backend)
    with pytest.raises(VideoDecodeError, match="truncated_faststart"):
        index_video(path)


@pytest.mark.parametrize("backend", BACKENDS + ["auto"])
def test_allow_truncated_reads_only_the_intact_prefix(broken_root, backend):
    path = _broken("truncated_faststart", *broken_root)
    if backend in ("decord", "torchcodec"):  # only PyAV stops at the cut
        with pytest.raises(VideoDecodeError, match="truncated_faststart"):
            open_video(path, backend, allow_truncated=True)
        return
    with open_video(path, backend, allow_truncated=True) as video:
        assert video.backend == "pyav"
        assert 0 < video.num_frames < 60
        assert video.index.damage.startswith("missing tail: the file ends inside packet")
        assert [(i, read_pattern(f)) for i, f in video.iter_frames(range(video.num_frames))] \
            == [(i, i) for i in range(video.num_frames)]
        with pytest.raises(IndexError, match="truncated_faststart"):
            video.get_frames([59])


@pytest.mark.parametrize("fraction", [0.1, 0.4, 0.7, 0.97])
def test_ffmpeg_made_file_with_intact_header_and_cut_tail_fails_by_name(ffmpeg, tmp_path,
                                                                        fraction):
    good = str(tmp_path / "good.mp4")
    subprocess.run([ffmpeg, "-v", "error", "-f", "lavfi", "-i",
                    "testsrc=size=96x64:rate=25:duration=3", "-pix_fmt", "yuv420p",
                    "-movflags", "+faststart", good], check=True)
    assert index_video(good).num_frames == 75 and index_video(good).damage is None
    cut = truncate_file(good, str(tmp_path / "cut_tail.mp4"), fraction)
    header_intact = fraction * os.path.getsize(good) > open(good, "rb").read().find(b"mdat")
    expected = (r"cut_tail\.mp4: truncated or corrupt video \(missing tail.*of the 75 frames "
                r"listed in its header" if header_intact
                else r"cut_tail\.mp4: cannot read video: the file ends unexpectedly")
    for backend in BACKENDS + ["auto"]:
        with pytest.raises(VideoDecodeError, match=expected):
            open_video(cut, backend)
    if not header_intact:
        return
    try:
        video = open_video(cut, "pyav", allow_truncated=True)
    except VideoDecodeError as err:  # the cut lies inside the first frame
        assert "cut_tail.mp4: the video stream contains no decodable frames" in str(err)
        return
    with video:
        assert 0 < video.num_frames < 75
        assert len(video.get_frames(range(video.num_frames))) == video.num_frames


@pytest.mark.parametrize("codec", ["libx264", "mpeg4"])
def test_truncation_anywhere_never_yields_a_wrong_frame(tmp_path, codec):
    if codec not in av.codec.codecs_available:
        pytest.skip(f"PyAV has no {codec} encoder")
    good = write_pattern_video(tmp_path / "good.mp4", 60, 25, codec=codec, faststart=True)
    for fraction in np.linspace(0.2, 0.98, 9):
        cut = truncate_file(good, str(tmp_path / "cut.mp4"), fraction)
        with pytest.raises(VideoDecodeError, match="cut.mp4"):
            open_video(cut, "pyav")
        try:
            video = open_video(cut, "pyav", allow_truncated=True)
        except VideoDecodeError as err:
            assert "cut.mp4" in str(err)
            continue
        with video:
            assert patterns(video.get_frames(range(video.num_frames))) == \
                list(range(video.num_frames))


def test_describe_decoder_error_reads_like_a_sentence():
    from sgfb.data.video_errors import describe_decoder_error
    assert describe_decoder_error(av.error.InvalidDataError(1094995529, "Invalid data found")) \
        == "the file is corrupt or not a video (FFmpeg found invalid data)"
    assert describe_decoder_error(av.error.EOFError(541478725, "End of file")) \
        == "the file ends unexpectedly (truncated?)"
    assert describe_decoder_error(av.error.UndefinedError(-1, "Weird thing")) == "weird thing"
    assert describe_decoder_error(RuntimeError("[Errno 5] Input/output error: 'x.mp4'")) \
        == "input/output error"
    assert describe_decoder_error(RuntimeError("FFmpeg said no")) == "FFmpeg said no"


# --- agreement with ffmpeg's numbering ------------------------------------------------------

def _ffmpeg_frames(ffmpeg: str, video: str, out: Path) -> list:
    out.mkdir()
    subprocess.run([ffmpeg, "-v", "error", "-i", video, str(out / "%06d.png")], check=True)
    return sorted(out.glob("*.png"))


@pytest.mark.parametrize("rate", list(RATES))
def test_frame_numbers_match_ffmpeg_png_numbering(videos, rate, ffmpeg, tmp_path):
    pngs = _ffmpeg_frames(ffmpeg, videos[rate], tmp_path / "png")
    with open_video(videos[rate], "pyav") as video:
        assert video.num_frames == len(pngs)
        ours = video.get_frames(range(video.num_frames))
    for number, png in enumerate(pngs, start=1):
        assert png.name == f"{number:06d}.png"
        theirs = cv2.cvtColor(cv2.imread(str(png)), cv2.COLOR_BGR2RGB)
        assert psnr(ours[number - 1], theirs) >= 40


def test_edit_list_video_matches_ffmpeg(tmp_path, ffmpeg):
    """``-ss T -c copy`` writes an edit list hiding pre-roll frames; decord counts them."""
    source = write_pattern_video(tmp_path / "src.mp4", 60, 25)
    cut = str(tmp_path / "editlist.mp4")
    subprocess.run([ffmpeg, "-v", "error", "-ss", "1.0", "-i", source, "-c", "copy", cut],
                   check=True)
    pngs = _ffmpeg_frames(ffmpeg, cut, tmp_path / "png")
    with open_video(cut, "auto") as video:
        assert video.backend == ("torchcodec" if "torchcodec" in BACKENDS else "pyav")
        assert video.num_frames == len(pngs)
        ours = video.get_frames(range(video.num_frames))
    theirs = [read_pattern(cv2.imread(str(png))) for png in pngs]
    assert patterns(ours) == theirs
    assert theirs[0] > 0  # the clip really starts later in the source
    from sgfb.data.ffmpeg_numbering import ffmpeg_image_frames
    assert ffmpeg_image_frames(index_video(cut)).tolist() == list(range(len(pngs)))
    if "decord" in BACKENDS:
        with pytest.raises(VideoDecodeError, match="editlist.mp4.*decord counts"):
            open_video(cut, "decord")


# --- rotation metadata ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def rotated(tmp_path_factory, ffmpeg) -> Dict[int, str]:
    """The 96x64 pattern video tagged with each display rotation (no re-encoding)."""
    root = tmp_path_factory.mktemp("rotated")
    source = write_pattern_video(root / "src.mp4", 30, 25)
    out = {}
    for degrees in (0, 90, 180, 270):
        out[degrees] = str(root / f"rot{degrees}.mp4")
        subprocess.run([ffmpeg, "-v", "error", "-i", source, "-c", "copy",
                        "-metadata:s:v:0", f"rotate={degrees}", out[degrees]], check=True)
    return out


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("degrees", [0, 90, 180, 270])
def test_rotated_video_is_decoded_as_ffmpeg_displays_it(rotated, degrees, backend, ffmpeg,
                                                        tmp_path):
    pngs = _ffmpeg_frames(ffmpeg, rotated[degrees], tmp_path / "png")  # autorotate is on
    theirs = [cv2.cvtColor(cv2.imread(str(png)), cv2.COLOR_BGR2RGB) for png in pngs]
    expected_size = (64, 96) if degrees in (90, 270) else (96, 64)
    assert theirs[0].shape[1::-1] == expected_size  # precondition: ffmpeg rotated them
    with open_video(rotated[degrees], backend) as video:
        assert video.index.rotation == degrees
        assert (video.width, video.height) == expected_size
        ours = video.get_frames(range(video.num_frames))
        assert ours.shape == (len(theirs), expected_size[1], expected_size[0], 3)
        assert video.get_frames([3], size=(20, 10)).shape == (1, 10, 20, 3)
    for mine, png in zip(ours, theirs):
        assert psnr(mine, png) >= 40
    # the unrotated picture is the pattern: turning back recovers the frame number
    k = degrees // 90
    assert [read_pattern(np.rot90(f, -k)) for f in ours] == list(range(len(theirs)))


# --- variable frame rate: times and ffmpeg's image numbering --------------------------------

TIMED = {
    "gaps": dict(slots=[0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 20, 21, 22, 23, 24, 25, 26, 40, 41, 42]),
    "bursts": dict(slots=np.cumsum(np.random.default_rng(0).integers(1, 9, 40)).tolist(),
                   tick=4),
    "late_start": dict(slots=list(range(30)), audio_lead_s=0.5),
    "late_start_gaps": dict(slots=[0, 1, 2, 6, 7, 8, 15, 16], audio_lead_s=0.37),
    "constant": dict(slots=list(range(30))),
}


@pytest.mark.parametrize("name", list(TIMED))
def test_vfr_times_and_ffmpeg_image_numbering(name, ffmpeg, tmp_path):
    from videos_util import write_timed_pattern_video

    from sgfb.data.ffmpeg_numbering import ffmpeg_image_frames

    spec = TIMED[name]
    path = write_timed_pattern_video(tmp_path / f"{name}.mp4", **spec)
    pngs = _ffmpeg_frames(ffmpeg, path, tmp_path / "png")
    theirs = [read_pattern(cv2.imread(str(png))) for png in pngs]
    rate = 25 * spec.get("tick", 1)
    for backend in BACKENDS:
        with open_video(path, backend) as video:
            assert video.num_frames == len(spec["slots"])
            slots = np.asarray(spec["slots"], dtype=np.float64)
            np.testing.assert_allclose(video.timestamps(), (slots - slots[0]) / rate, atol=1e-6)
            images = ffmpeg_image_frames(video.index)
            assert images.tolist() == theirs  # ffmpeg's image n shows decoded frame images[n-1]
            assert patterns(video.get_frames(images)) == theirs
    if name == "constant":
        assert theirs == list(range(30))
    else:
        assert theirs != list(range(len(theirs)))  # precondition: ffmpeg repeats/drops frames


# --- PyAV reader as a data loader keeps it: one open reader, many reads ----------------------

def _counting_decoder(monkeypatch):
    """Count the frames the PyAV reader's decoder outputs."""
    import sgfb.data.video as video_module

    counts = {"frames": 0}
    original = video_module._decode_complete_packets

    def counting(*args, **kwargs):
        for frame in original(*args, **kwargs):
            counts["frames"] += 1
            yield frame

    monkeypatch.setattr(video_module, "_decode_complete_packets", counting)
    return counts


def test_pyav_first_read_seeks_and_stops_at_the_last_wanted_frame(videos, monkeypatch):
    counts = _counting_decoder(monkeypatch)
    with open_video(videos["30"], "pyav", threads=False) as video:
        assert patterns(video.get_frames([37, 38])) == [37, 38]  # keyframes every 12: 36
    assert counts["frames"] <= 3 + 2  # 36..38 (+ B-frame reordering), not 39 from the start


@pytest.mark.parametrize("threads", [False, True])
@pytest.mark.parametrize("codec", ["libx264", "mpeg4"])
def test_pyav_skipping_unwanted_frames_changes_no_pixel(tmp_path, codec, threads):
    """Frames the decoder dropped unwanted (non-reference pictures) are decoded when a later
    read of the same open reader wants them; every frame equals a plain full decode."""
    if codec not in av.codec.codecs_available:
        pytest.skip(f"PyAV has no {codec} encoder")
    from sgfb.data.video import PyAVVideoReader

    path = write_pattern_video(tmp_path / f"{codec}.mp4", N, 25, codec=codec)
    plain = PyAVVideoReader(path, index_video(path), threads=False, skip_nonref=False)
    everything = plain.get_frames(range(N))
    plain.close()
    assert patterns(everything) == list(range(N))
    video = PyAVVideoReader(path, index_video(path), threads=threads, skip_nonref=True)
    try:
        # an iteration abandoned after frame 0 left frames up to 30 handed over as skippable
        first = next(iter(video.iter_frames([0, 30])))
        np.testing.assert_array_equal(first[1], everything[0])
        reads = [[1, 2, 3], [0, 4, 8], [9, 10], [5], [20, 24, 28, 32], [21, 22, 23], [39],
                 [6, 7]] + [[i] for i in range(N)]  # last: frame by frame, no seek needed
        for wanted in reads:
            frames = video.get_frames(wanted)
            assert patterns(frames) == wanted
            np.testing.assert_array_equal(frames, everything[wanted])
    finally:
        video.close()


def test_open_video_takes_a_known_index(videos, monkeypatch):
    import sgfb.data.video as video_module

    index = index_video(videos["25"])
    monkeypatch.setattr(video_module, "index_video", lambda *a, **k: pytest.fail("re-indexed"))
    with open_video(videos["25"], "pyav", index=index) as video:
        assert video.index is index and patterns(video.get_frames([7])) == [7]
