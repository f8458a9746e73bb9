"""sgfb.visualization.report: content, escaping, self-containedness, and a real headless
Chromium load (no console errors, every image decoded, plots present, non-blank screenshot)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Tuple

import cv2
import numpy as np
import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(TESTS / "inference"))
from results_util import make_result  # noqa: E402
from videos_util import write_pattern_video  # noqa: E402

from sgfb.inference.result import VideoResult  # noqa: E402
from sgfb.visualization.plots import (action_plot_svg, relationship_timeline,  # noqa: E402
                                      timeline_svg)
from sgfb.visualization.report import render_report, write_report  # noqa: E402

EVIL = "<script>document.title='pwned'</script>"
SAMPLED = tuple(range(0, 50, 5))


class _Page(HTMLParser):
    """Tags, attributes and text of a page, enough to check structure."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: List[Tuple[str, Dict[str, str]]] = []
        self.title, self._in_title, self._titles = "", False, 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_title = tag == "title" and self._titles == 0  # the page's, not SVG's
        self._titles += tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def find(self, tag: str) -> List[Dict[str, str]]:
        return [attrs for t, attrs in self.tags if t == tag]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Tuple[str, List[VideoResult]]:
    """A run of four videos: decoded frames (frames=None path), no detections, a hostile
    class name, a failure."""
    root = tmp_path_factory.mktemp("report")
    video = write_pattern_video(root / "clip.mp4", 50, 25)
    results = [
        make_result("clip", video, num_frames=50, sampled=SAMPLED),
        make_result("nothing", str(root / "missing.mp4"), empty=True),
        make_result(EVIL, video, num_frames=50, class_names=[EVIL, "b & c", "d", "e"]),
        VideoResult.failed("broken", "/data/broken.mp4",
                           "VideoDecodeError: /data/broken.mp4: <moov atom> not found"),
    ]

    def frames(result: VideoResult):
        if result.video_id == "clip":  # real decoded frames with graphs drawn
            from sgfb.visualization.report import frames_from_video
            return frames_from_video(result, max_frames=4)
        if result.video_id == EVIL:    # plain arrays, no frame index
            return [np.full((40, 60, 3), 90, np.uint8), np.full((40, 60, 3), 200, np.uint8)]
        return []

    path = write_report(str(root / "out"), results, frames, title=f"Run {EVIL}")
    return path, results


def test_report_sections_and_escaping(report):
    path, _ = report
    text = Path(path).read_text(encoding="utf-8")
    page = _Page(text)
    assert page.title == f"Run {EVIL}"                  # shown as text, not markup
    assert EVIL not in text and "&lt;script&gt;document.title=&#x27;pwned&#x27;" in text
    assert "b &amp; c" in text and "&lt;moov atom&gt; not found" in text
    assert len(page.find("script")) == 1                # only the report's own
    images = page.find("img")
    assert len(images) == 4 + 2 and all(i["src"].startswith("data:image/") for i in images)
    svgs = [s.get("class") for s in page.find("svg")]
    assert svgs.count("action-plot") == 2 and svgs.count("sg-timeline") == 2
    assert len(page.find("section")) == 6               # summary + provenance + 4 videos
    assert "No relationship scores 0.5 or more" in text and "No actions predicted." in text
    assert "frame 0 · 0.00 s" in text and "person holding cup/glass/bottle (0.95)" in text
    for key, value in (("videos processed", 4), ("without errors", 3), ("with errors", 1)):
        assert re.search(f"<dt>{key}</dt><dd>{value}</dd>", text)


def test_report_loads_nothing_from_outside(report):
    text = Path(report[0]).read_text(encoding="utf-8")
    refs = re.findall(r"""(?:src|href|action|poster)\s*=\s*["']([^"']*)""", text)
    assert refs and all(r.startswith(("data:", "#")) for r in refs), refs
    assert "url(" not in text and "@import" not in text and "@font-face" not in text
    assert "default-src 'none'" in text                 # CSP blocks anything else


def test_timeline_rows_and_plot():
    result = make_result(sampled=(0, 10, 20))
    rows, matrix = relationship_timeline(result, 0.5)
    names = [(result.object_names[o], result.relationship_names[r]) for o, r in rows]
    assert names == [("chair", "beneath"), ("chair", "sitting_on"),
                     ("cup/glass/bottle", "looking_at"), ("cup/glass/bottle", "holding")]
    np.testing.assert_allclose(matrix[:, 0], [0.9, 0.8, 0.7, 0.95])
    np.testing.assert_allclose(matrix[:, 1], [0, 0, 1, 1])  # the ground-truth cup frame
    np.testing.assert_allclose(matrix[:, 2], 0)             # the empty frame
    svg = timeline_svg(result, 0.5)
    assert "chair beneath person" in svg and "person holding cup/glass/bottle" in svg
    plot = action_plot_svg(result)
    assert plot.count("<polyline") == 3 and "time (s)" in plot and "Sitting in a chair" in plot


def test_empty_run_and_video_without_detections(tmp_path):
    empty = make_result("empty", "e.mp4", empty=True)
    path = write_report(str(tmp_path), [empty], frames={})
    text = Path(path).read_text(encoding="utf-8")
    assert "No frames to show." in text and "No action scores over time." in text
    assert "<dt>videos processed</dt><dd>1</dd>" in text
    assert "<dt>videos processed</dt><dd>0</dd>" in render_report([])


# ----------------------------------------------------------------------------- chromium
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
    "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
]


@pytest.fixture(scope="session")
def chromium() -> str:
    exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("chromium is not installed (`make sysdeps` installs it with apt-get as root)")
    return exe


def _run_chromium(exe: str, page: str, tmp_path: Path, *extra: str) -> Tuple[str, List[str]]:
    """(stdout, console lines) of a headless load of ``page``."""
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    done = subprocess.run(
        [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, Path(page).as_uri()],
        capture_output=True, text=True, timeout=120)
    # Console messages (any level), uncaught exceptions and blocked/failed loads all appear
    # as ":CONSOLE" log lines.
    console = [line for line in done.stderr.splitlines() if re.search(r":CONSOLE[:(]", line)]
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, console


def test_console_check_catches_errors(chromium, tmp_path):
    """The detection below is not vacuous: a broken page is caught."""
    bad = tmp_path / "bad.html"
    checker = re.search(r"<script>.*?</script>", render_report([]), re.S).group(0)
    bad.write_text('<html><body><img src="data:image/png;base64,AAAA">'
                   '<script>console.error("boom"); undefinedFunction();</script>'
                   + checker + "</body></html>", encoding="utf-8")
    dom, console = _run_chromium(chromium, str(bad), tmp_path, "--dump-dom")
    assert any("boom" in line for line in console), console
    assert any("undefinedFunction" in line for line in console), console
    body = _Page(dom).find("body")[0]
    assert body.get("data-images-broken") == "1", body


def test_report_renders_in_headless_chromium(chromium, report, tmp_path):
    path, _ = report
    dom, console = _run_chromium(chromium, path, tmp_path, "--dump-dom")
    assert console == [], console
    page = _Page(dom)
    assert page.title == f"Run {EVIL}"                  # the hostile name did not run
    body = page.find("body")[0]
    assert body.get("data-ready") == "1", body
    assert body.get("data-images-total") == "6" and body.get("data-images-ok") == "6", body
    assert body.get("data-images-broken") == "0", body
    assert len(page.find("svg")) == 2 + 2              # timeline grid + plot of two videos
    assert len(page.find("polyline")) == 2 * 3         # three top actions each


def test_report_screenshot_is_not_blank(chromium, report, tmp_path):
    shot = tmp_path / "shot.png"
    _, console = _run_chromium(chromium, report[0], tmp_path, f"--screenshot={shot}",
                               "--window-size=1200,1600")
    assert console == [], console
    image = cv2.imread(str(shot))
    assert image is not None and image.shape[:2] == (1600, 1200)
    assert image.std() > 20                              # text, frames and plots, not one colour
    # the frame strip's images are dark/colourful, unlike the page's near-white background
    assert (image.mean(axis=2) < 100).mean() > 0.01


def test_long_videos_keep_the_grid_small():
    result = make_result(sampled=range(0, 3000, 2), num_frames=3000)
    svg = timeline_svg(result, 0.5, max_columns=100)
    assert "1500 sampled frames shown in 100 columns" in svg
    assert svg.count("<title>") <= 4 * 100


def test_screenshot_shows_the_synthetic_model_warning_in_the_header(chromium, tmp_path):
    """A synthetic-world model run on untagged (real) footage: the yellow warning banner is
    on screen at the top, and the provenance card names the checkpoints."""
    from test_provenance import _provenance

    result = make_result("kitchen_cam", "kitchen_cam.mp4")
    result.provenance = _provenance(["the action model was trained on the synthetic world "
                                     "only: its predictions are not meaningful on real footage"])
    path = write_report(str(tmp_path), [result], frames={"kitchen_cam": []})
    shot = tmp_path / "warned.png"
    _, console = _run_chromium(chromium, path, tmp_path, f"--screenshot={shot}",
                               "--window-size=1000,700")
    assert console == [], console
    rgb = cv2.imread(str(shot))[:, :, ::-1].astype(int)
    banner = np.all(np.abs(rgb - np.array([0xff, 0xf4, 0xd6])) <= 2, axis=2)   # #fff4d6
    rows = np.flatnonzero(banner.mean(axis=1) > 0.5)
    assert rows.size > 20 and rows.min() < 250, rows[:5]
    dom, _ = _run_chromium(chromium, path, tmp_path, "--dump-dom")
    assert "0123456789ab" in dom and "Concerns 1 of 1 videos: kitchen_cam" in dom
    assert "synthetic data, 159 frames, config small_synthetic.yaml" in dom
