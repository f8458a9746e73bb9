"""Decode-once inference (sgfb/inference/pipeline.py): one decoder pass per video, the file
read once, and the same predictions as the pipeline before it (bench/infer_reference.py)."""
import importlib.util
import os

import numpy as np
import pytest

import sgfb.data.video as video_module
import sgfb.inference.pipeline as inference_module
from sgfb.data.video import open_video
from sgfb.inference.pipeline import InferenceConfig, VideoPipeline
from sgfb.visualization.inference_outputs import inference_writers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _reference():
    spec = importlib.util.spec_from_file_location(
        "infer_reference", os.path.join(ROOT, "bench", "infer_reference.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class DecoderLog:
    """Counts, per video, the readers opened and every frame request made of them."""

    def __init__(self, monkeypatch):
        self.opened, self.requests = {}, {}
        real = video_module.open_video

        def counting_open(path, *args, **kwargs):
            reader = real(path, *args, **kwargs)
            name = os.path.basename(os.fspath(path))
            self.opened[name] = self.opened.get(name, 0) + 1
            log = self.requests.setdefault(name, [])
            for method in ("iter_frames", "get_frames", "clip"):
                original = getattr(reader, method)

                def wrapped(*a, _original=original, _method=method, **k):
                    indices = np.asarray(a[0] if a else k["indices"]).tolist() \
                        if _method != "clip" else None
                    log.append((_method, indices))
                    return _original(*a, **k)

                setattr(reader, method, wrapped)
            return reader

        monkeypatch.setattr(video_module, "open_video", counting_open)
        monkeypatch.setattr(inference_module, "open_video", counting_open)


def _read_bytes():
    with open("/proc/self/io") as f:
        return dict(line.split(": ") for line in f.read().splitlines())


@pytest.mark.slow
def test_each_video_is_decoded_once_and_read_once(sg_run, sgfb_run, sg_dataset, tmp_path,
                                                  monkeypatch):
    pipeline = VideoPipeline(str(sg_run / "model.pt"), str(sgfb_run / "model.pt"), "cpu",
                             InferenceConfig(views=3, crops=3, sample_fps=2, progress=False),
                             writers=inference_writers())
    videos = sorted(os.listdir(sg_dataset["videos"]))
    pipeline.run([str(sg_dataset["videos"] / videos[0])], str(tmp_path / "warm"),
                 log=lambda m: None)   # first-call imports and set-up
    log = DecoderLog(monkeypatch)
    before = _read_bytes() if os.path.exists("/proc/self/io") else None
    summary = pipeline.run([str(sg_dataset["videos"])], str(tmp_path / "out"), log=lambda m: None)
    after = _read_bytes() if before else None
    assert not summary.failed and len(summary.results) == 3
    assert log.opened == {v: 1 for v in videos}                 # one reader per video ...
    for name, requests in log.requests.items():
        assert [method for method, _ in requests] == ["iter_frames"]   # ... one pass ...
        with open_video(str(sg_dataset["videos"] / name)) as reader:   # ... of every frame
            assert requests[0][1] == list(range(reader.num_frames))      # (annotated mp4)
    for result in summary.results:
        assert os.path.isfile(tmp_path / "out" / f"{result.video_id}.annotated.mp4")
    if before:   # bytes through read(2), page cache or not: each file once (+ small files)
        size = sum(os.path.getsize(sg_dataset["videos"] / v) for v in videos)
        read = int(after["rchar"]) - int(before["rchar"])
        assert read <= 1.5 * size, (read, size)


@pytest.mark.slow
def test_outputs_equal_the_pipeline_before_decode_once(sg_run, sgfb_run, sg_dataset, tmp_path,
                                                       monkeypatch):
    import sgfb.visualization.annotated_video as annotated

    drawn = {}
    write = annotated.AnnotatedVideoWriter.write

    def recording_write(self, index, image, graph):
        drawn[index] = (image.copy(), graph)
        return write(self, index, image, graph)

    monkeypatch.setattr(annotated.AnnotatedVideoWriter, "write", recording_write)
    reference = _reference()
    video = str(sorted(sg_dataset["videos"].iterdir())[0])
    cfg = InferenceConfig(views=3, crops=3, sample_fps=5, batch_size=3, progress=False)
    pipeline = VideoPipeline(str(sg_run / "model.pt"), str(sgfb_run / "model.pt"), "cpu", cfg,
                             writers=inference_writers())
    new = pipeline.run_video(video, video_out=str(tmp_path / "new.mp4"))
    old = reference.reference_run_video(pipeline, video)
    assert new.ok and old.ok, (new.errors, old.errors)
    assert [(f.frame_index, f.time_s) for f in new.sampled_frames] == \
        [(f.frame_index, f.time_s) for f in old.sampled_frames]
    assert len(new.sampled_frames) > 10
    for a, b in zip(new.sampled_frames, old.sampled_frames):
        assert a.graph.labels.tolist() == b.graph.labels.tolist()
        np.testing.assert_allclose(a.graph.scores, b.graph.scores, rtol=0, atol=1e-5)
        np.testing.assert_allclose(a.graph.boxes, b.graph.boxes, rtol=0, atol=1e-3)
        np.testing.assert_allclose(a.graph.relations, b.graph.relations, rtol=0, atol=1e-5)
    scores = lambda r: {a.class_index: a.score for a in r.actions}  # noqa: E731
    new_scores, old_scores = scores(new), scores(old)
    assert new_scores.keys() == old_scores.keys()
    np.testing.assert_allclose([new_scores[k] for k in sorted(new_scores)],
                               [old_scores[k] for k in sorted(old_scores)], rtol=0, atol=1e-5)
    np.testing.assert_array_equal(new.timeline.times_s, old.timeline.times_s)
    np.testing.assert_array_equal(new.timeline.class_indices, old.timeline.class_indices)
    np.testing.assert_allclose(new.timeline.scores, old.timeline.scores, rtol=0, atol=1e-5)
    # the annotated mp4 got every frame, as decoded, with the latest sampled graph (held)
    graphs = {f.frame_index: f.graph for f in new.sampled_frames}
    with open_video(video) as source:
        assert sorted(drawn) == list(range(source.num_frames))
        frames = source.get_frames(range(source.num_frames))
    shown = None
    for index, (image, graph) in sorted(drawn.items()):
        shown = graphs.get(index, shown)
        np.testing.assert_array_equal(image, frames[index])
        assert graph is shown, index
    with open_video(str(tmp_path / "new.mp4")) as written:
        assert written.num_frames == len(frames)
