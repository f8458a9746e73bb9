"""The synthetic Action Genome generator: real file formats, learnable and shortcut-free.

A session fixture renders 24 five-second 160x120 videos once (a few seconds); graph-level
checks also use annotation-only runs of the same generator (no rendering), which
``test_annotation_only_run_equals_the_written_one`` shows to be identical to what is written.
"""
from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Dict, List, Tuple

import av
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.model_selection import GroupKFold

from sgfb.structures import vocab
from sgfb.data.action_genome import ActionGenome
from sgfb.data.charades import Charades
from sgfb.data.safe_pickle import load_pickle
from sgfb.synthetic import ACTIONS, make_synthetic
from sgfb.synthetic.generate import VideoJob, generate_video
from sgfb.synthetic.ids import plan_videos
from sgfb.synthetic.skeleton import K
from sgfb.synthetic.statistics import graph_statistics

ROOT = Path(__file__).resolve().parents[2]
SEED, VIDEOS, SIZE, SECONDS = 7, 24, (160, 120), 5.0
CSV_COLUMNS = ["id", "subject", "scene", "quality", "relevance", "verified", "script", "objects",
               "descriptions", "actions", "length"]
GROUPS = ("attention_relationship", "spatial_relationship", "contacting_relationship")
EXACT_RATES = {24.0: Fraction(24), 25.0: Fraction(25), 29.97: Fraction(30000, 1001),
               30.0: Fraction(30)}


@pytest.fixture(scope="session")
def dataset(tmp_path_factory) -> Tuple[Path, object]:
    out = tmp_path_factory.mktemp("synthetic") / "ag"
    summary = make_synthetic(str(out), VIDEOS, SEED, size=SIZE, seconds=SECONDS, workers=2)
    return out, summary


@pytest.fixture(scope="session")
def annotations(dataset):
    out, _ = dataset
    objects = load_pickle(str(out / "annotations" / "object_bbox_and_relationship.pkl"))
    persons = load_pickle(str(out / "annotations" / "person_bbox.pkl"))
    return objects, persons


@pytest.fixture(scope="session")
def readers(dataset):
    out, _ = dataset
    ag = ActionGenome.load(str(out / "annotations"), fps=str(out / "charades" / "video_fps.json"))
    charades = Charades.load([str(out / "charades" / "Charades_v1_train.csv"),
                              str(out / "charades" / "Charades_v1_test.csv")],
                             str(out / "charades" / "Charades_v1_classes.txt"))
    return ag, charades


def graph_only(seed: int, videos: int, size=(320, 240), seconds: float = 10.0):
    """Object and person annotations of a dataset, made without rendering."""
    objects: Dict[str, list] = {}
    persons: Dict[str, dict] = {}
    for spec in plan_videos(seed, videos):
        result = generate_video(VideoJob(seed, spec, size, seconds, None), render=False)
        objects.update(result.objects)
        persons.update(result.persons)
    return objects, persons


def relation_matrix(frame) -> np.ndarray:
    """[35 * 26] binary ground-truth relationships of an AGFrame (person excluded)."""
    m = np.zeros((len(vocab.AG_OBJECTS) - 1, len(vocab.AG_RELATIONSHIPS)), np.float32)
    for obj in frame.visible_objects:
        m[obj.label - 1, list(obj.relations)] = 1.0
    return m.ravel()


def held_out_video_map(features: np.ndarray, labels: np.ndarray, groups: np.ndarray,
                       folds: int = 6) -> Tuple[float, float]:
    """(mAP, prior mAP) of per-class logistic regressions, each video predicted by a model
    trained on other videos (``folds`` folds of whole videos); over the classes that occur
    in at least two videos."""
    scores = np.zeros_like(labels)
    for _, test_index in GroupKFold(n_splits=folds).split(features, labels, groups):
        test = np.zeros(len(groups), bool)
        test[test_index] = True
        for c in range(labels.shape[1]):
            y = labels[~test, c]
            if y.max() == 0:
                continue
            model = LogisticRegression(C=1.0, max_iter=2000).fit(features[~test], y)
            scores[test, c] = model.predict_proba(features[test])[:, 1]
    classes = [c for c in range(labels.shape[1]) if len(np.unique(groups[labels[:, c] > 0])) >= 2]
    assert classes, "no action class occurs in two videos"
    ap = np.mean([average_precision_score(labels[:, c], scores[:, c]) for c in classes])
    prior = np.mean([labels[:, c].mean() for c in classes])
    return float(ap), float(prior)


def frame_labels(ag, charades) -> Tuple[List, np.ndarray, np.ndarray]:
    frames = list(ag)
    labels = np.stack([charades.multi_hot(charades.labels_at(f.video_id, ag.frame_time(f.key)))
                       for f in frames])
    groups = np.array([f.video_id for f in frames])
    return frames, labels, groups


# ---------------------------------------------------------------------------- catalogue
def test_at_least_twelve_distinct_actions_over_ag_objects():
    assert len(ACTIONS) >= 12
    assert len({a.name for a in ACTIONS}) == len(ACTIONS)
    for action in ACTIONS:
        assert set(action.objects) <= set(vocab.AG_OBJECTS[1:]), action.name
        assert action.phases and all(p.weight > 0 for p in action.phases), action.name


# ---------------------------------------------------------------------------- layout and formats
def test_files_are_laid_out_like_the_real_downloads(dataset):
    out, summary = dataset
    for name in ("object_bbox_and_relationship.pkl", "person_bbox.pkl", "frame_list.txt",
                 "object_classes.txt", "relationship_classes.txt"):
        assert (out / "annotations" / name).is_file(), name
    for name in ("Charades_v1_train.csv", "Charades_v1_test.csv", "Charades_v1_classes.txt",
                 "video_fps.json"):
        assert (out / "charades" / name).is_file(), name
    videos = sorted(p.name for p in (out / "videos").iterdir())
    assert len(videos) == VIDEOS == summary.videos
    assert all(re.fullmatch(r"[A-Z0-9]{5}\.mp4", v) for v in videos), videos
    objects = (out / "annotations" / "object_classes.txt").read_text().split("\n")
    relations = (out / "annotations" / "relationship_classes.txt").read_text().split("\n")
    assert objects == [vocab.official_spelling(n) for n in vocab.AG_OBJECTS]
    assert relations == [vocab.official_spelling(n) for n in vocab.AG_RELATIONSHIPS]


def test_class_files_equal_the_official_ones(dataset, ag_vocab_dir):
    out, _ = dataset
    for name in ("object_classes.txt", "relationship_classes.txt"):
        assert (out / "annotations" / name).read_bytes() == (ag_vocab_dir / name).read_bytes(), name


def test_charades_files_have_the_real_format(dataset):
    out, _ = dataset
    ids = {}
    for split in ("train", "test"):
        raw = (out / "charades" / f"Charades_v1_{split}.csv").read_bytes()
        assert raw.endswith(b"\r\n") and raw.count(b"\r\n") == raw.count(b"\n"), "CRLF line ends"
        with open(out / "charades" / f"Charades_v1_{split}.csv", newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
            assert list(rows[0].keys()) == CSV_COLUMNS if rows else True
        for row in rows:
            ids[row["id"]] = split
            action = r"c\d{3} \d+\.\d\d \d+\.\d\d"
            assert re.fullmatch(rf"({action}(;{action})*)?", row["actions"]), row["actions"]
            assert float(row["length"]) == pytest.approx(SECONDS, abs=0.02)
    assert sorted(f"{i}.mp4" for i in ids) == sorted(os.listdir(out / "videos"))
    assert 0 < sum(s == "test" for s in ids.values()) < len(ids)
    classes = (out / "charades" / "Charades_v1_classes.txt").read_text().splitlines()
    assert classes == [f"c{i:03d} {a.name}" for i, a in enumerate(ACTIONS)]
    fps = json.loads((out / "charades" / "video_fps.json").read_text())
    assert set(fps) == {f"{i}.mp4" for i in ids}
    assert set(fps.values()) <= set(EXACT_RATES)


def test_pickles_have_the_official_entry_format(dataset, annotations):
    out, _ = dataset
    objects, persons = annotations
    width, height = SIZE
    assert set(objects) == set(persons)
    keys = (out / "annotations" / "frame_list.txt").read_text().splitlines()
    assert keys == sorted(objects)
    splits = {}
    for split in ("train", "test"):
        with open(out / "charades" / f"Charades_v1_{split}.csv", newline="") as f:
            splits.update({row["id"]: split for row in csv.DictReader(f)})
    for key, entries in objects.items():
        match = re.fullmatch(r"([A-Z0-9]{5})\.mp4/(\d{6})\.png", key)
        assert match, key
        video, number = match.group(1), match.group(2)
        for e in entries:
            assert set(e) == {"class", "bbox", "attention_relationship", "spatial_relationship",
                              "contacting_relationship", "visible", "metadata"}
            assert e["class"] in vocab.AG_OBJECTS[1:]
            assert e["metadata"] == {"tag": f"{video}.mp4/{e['class'].replace('/', '_')}/{number}",
                                     "set": splits[video]}
            if not e["visible"]:
                assert e["bbox"] is None and all(e[g] is None for g in GROUPS)
                continue
            x, y, w, h = e["bbox"]
            assert isinstance(e["bbox"], tuple) and all(isinstance(v, float) for v in e["bbox"])
            assert w > 0 and h > 0 and x >= 0 and y >= 0
            assert x + w <= width + 0.011 and y + h <= height + 0.011      # 2-decimal rounding
            assert len(e["attention_relationship"]) == 1
            for group, names in zip(GROUPS, (vocab.ATTENTION, vocab.SPATIAL, vocab.CONTACTING)):
                assert e[group] and set(e[group]) <= set(names), (key, e)
        p = persons[key]
        assert p["bbox_size"] == (width, height) and p["bbox_mode"] == "xyxy"
        k = p["bbox"].shape[0]
        assert k in (0, 1)
        for field, shape in (("bbox", (k, 4)), ("bbox_score", (k,)), ("keypoints", (k, 17, 3)),
                             ("keypoints_logits", (k, 17))):
            assert p[field].dtype == np.float32 and p[field].shape == shape, field
        if k:
            x0, y0, x1, y1 = p["bbox"][0]
            assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height


def test_the_readers_load_it(readers, annotations):
    ag, charades = readers
    assert len(ag) == len(annotations[0]) and ag.has_person_boxes
    assert charades.num_classes == len(ACTIONS)
    frame = next(iter(ag))
    graph = frame.scene_graph()
    assert graph is not None


def test_some_frames_have_invisible_objects_and_some_no_person():
    objects, persons = graph_only(SEED, 60)
    invisible = sum(not e["visible"] for entries in objects.values() for e in entries)
    no_person = sum(p["bbox"].shape[0] == 0 for p in persons.values())
    assert invisible > 0
    assert 0 < no_person < 0.1 * len(persons), f"{no_person} of {len(persons)} frames"


def test_videos_decode_to_exactly_their_frame_count(dataset):
    out, summary = dataset
    fps = json.loads((out / "charades" / "video_fps.json").read_text())
    total = 0
    for name, value in fps.items():
        rate = EXACT_RATES[value]
        with av.open(str(out / "videos" / name)) as container:
            stream = container.streams.video[0]
            assert (stream.codec_context.width, stream.codec_context.height) == SIZE
            assert stream.average_rate == rate
            assert stream.codec_context.pix_fmt == "yuv420p"
            key_frames = [f.key_frame for f in container.decode(video=0)]
        count = len(key_frames)
        assert count == round(SECONDS * rate), name
        # a keyframe at least every second (a clip read seeks to the one before it)
        keys = np.flatnonzero(key_frames)
        assert keys[0] == 0 and np.diff(np.append(keys, count)).max() <= round(float(rate)), \
            (name, keys)
        total += count
    assert total == summary.frames


def test_annotated_frames_are_sampled_inside_actions(readers):
    ag, charades = readers
    per_action: Dict[Tuple[str, int], int] = {}
    for frame in ag:
        t = ag.frame_time(frame.key)
        active = [a for a in charades[frame.video_id].actions if a.active_at(t)]
        assert active, f"{frame.key} at {t:.2f}s is outside every action"
        for a in active:
            per_action[(frame.video_id, a.start)] = per_action.get((frame.video_id, a.start), 0) + 1
    for video in charades:
        for a in video.actions:
            assert 1 <= per_action.get((video.id, a.start), 0), (video.id, a)
        frames = len(ag.videos.get(video.id, []))
        assert frames <= 5 * len(video.actions)


def test_summary_counts_what_was_written(dataset, annotations):
    _, summary = dataset
    assert summary.annotated_frames == len(annotations[0])
    assert summary.train_videos + summary.test_videos == summary.videos == VIDEOS
    assert summary.action_instances > 0 and summary.seconds > 0
    assert "annotated frames" in str(summary)


# ---------------------------------------------------------------------------- determinism
def test_same_seed_same_bytes_and_frames_whatever_the_workers(tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    make_synthetic(str(a), 2, 11, size=(96, 72), seconds=2.0, workers=1)
    make_synthetic(str(b), 2, 11, size=(96, 72), seconds=2.0, workers=2)
    for rel in ("annotations/object_bbox_and_relationship.pkl", "annotations/person_bbox.pkl",
                "annotations/frame_list.txt", "charades/Charades_v1_train.csv",
                "charades/Charades_v1_test.csv", "charades/video_fps.json"):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    for name in os.listdir(a / "videos"):
        with av.open(str(a / "videos" / name)) as ca, av.open(str(b / "videos" / name)) as cb:
            for fa, fb in zip(ca.decode(video=0), cb.decode(video=0), strict=True):
                assert np.array_equal(fa.to_ndarray(format="rgb24"), fb.to_ndarray(format="rgb24"))
    other = [s.video_id for s in plan_videos(12, 2)]
    assert other != [s.video_id for s in plan_videos(11, 2)]


def test_annotation_only_run_equals_the_written_one(annotations):
    objects, persons = annotations
    again_objects, again_persons = graph_only(SEED, VIDEOS, SIZE, SECONDS)
    assert again_objects == objects
    assert set(again_persons) == set(persons)
    for key, p in persons.items():
        for field in ("bbox", "keypoints"):
            assert np.array_equal(p[field], again_persons[key][field]), (key, field)


def test_annotations_only_writes_the_same_files_without_videos(tmp_path, dataset):
    out = tmp_path / "graphs_only"
    summary = make_synthetic(str(out), VIDEOS, SEED, size=SIZE, seconds=SECONDS, render=False)
    assert not list((out / "videos").glob("*.mp4")) and summary.codec.startswith("none")
    for name in ("object_bbox_and_relationship.pkl", "person_bbox.pkl", "frame_list.txt"):
        assert (out / "annotations" / name).read_bytes() == \
            (dataset[0] / "annotations" / name).read_bytes(), name
    for name in ("Charades_v1_train.csv", "Charades_v1_test.csv", "video_fps.json"):
        assert (out / "charades" / name).read_bytes() == \
            (dataset[0] / "charades" / name).read_bytes(), name


def test_the_test_split_has_the_size_asked_for_and_the_same_videos_otherwise():
    default = plan_videos(5, 48)
    assert sum(s.split == "test" for s in default) == 10            # round(0.2 * 48)
    for asked in (0, 1, 16, 48):
        specs = plan_videos(5, 48, test_videos=asked)
        assert sum(s.split == "test" for s in specs) == asked
        assert [(s.video_id, s.fps, s.rate) for s in specs] == \
            [(s.video_id, s.fps, s.rate) for s in default]
    assert plan_videos(5, 48, test_videos=None) == default


def test_an_annotations_only_world_writes_the_split_asked_for(tmp_path):
    out = tmp_path / "split"
    summary = make_synthetic(str(out), 6, 2, seconds=2.0, render=False, test_videos=4)
    assert (summary.train_videos, summary.test_videos) == (2, 4)
    for name, rows in (("Charades_v1_train.csv", 2), ("Charades_v1_test.csv", 4)):
        with open(out / "charades" / name, newline="") as f:
            assert len(list(csv.DictReader(f))) == rows, name


# ---------------------------------------------------------------------------- geometry
def test_geometry_follows_the_relationships():
    """In the written boxes and keypoints: held objects are in a hand, seats under the hips,
    drunk-from / eaten objects at the head, looked-at objects along the face, objects above
    over the head. Frames caught mid-transition may miss, hence the 90% bar."""
    objects, persons = graph_only(SEED, 40)
    checks: Dict[str, List[bool]] = {k: [] for k in
                                     ("holding", "sitting_on", "at_mouth", "looking_at", "above")}
    for key, entries in objects.items():
        person = persons[key]
        if person["bbox"].shape[0] == 0:
            continue
        kp = person["keypoints"][0, :, :2]
        px0, py0, px1, py1 = person["bbox"][0]
        tall = py1 - py0

        def near(point, box, margin):
            return (box[0] - margin <= point[0] <= box[2] + margin
                    and box[1] - margin <= point[1] <= box[3] + margin)

        for e in entries:
            if not e["visible"]:
                continue
            x, y, w, h = e["bbox"]
            box = (x, y, x + w, y + h)
            contact, spatial, attention = (e[g] for g in ("contacting_relationship",
                                                          "spatial_relationship",
                                                          "attention_relationship"))
            if "holding" in contact:
                checks["holding"].append(near(kp[K["right_wrist"]], box, 4)
                                         or near(kp[K["left_wrist"]], box, 4))
            if "sitting_on" in contact:
                hips = (kp[K["left_hip"]] + kp[K["right_hip"]]) / 2
                checks["sitting_on"].append(near(hips, box, 4))
            if "drinking_from" in contact or "eating" in contact:
                head = (kp[K["left_ear"]] + kp[K["right_ear"]]) / 2
                checks["at_mouth"].append(near(head, box, 0.15 * tall))
            if "looking_at" in attention:
                head = (kp[K["left_ear"]] + kp[K["right_ear"]]) / 2
                face = kp[K["nose"]] - head
                target = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2]) - head
                cos = face @ target / (np.linalg.norm(face) * np.linalg.norm(target) + 1e-6)
                checks["looking_at"].append(cos > 0.7)
            if "above" in spatial:
                checks["above"].append(box[3] <= py0 + 3)
    for name, results in checks.items():
        assert len(results) >= 10, f"too few {name} examples ({len(results)})"
        share = float(np.mean(results))
        assert share >= 0.9, f"{name}: geometry agrees in {share:.0%} of {len(results)} objects"


# ---------------------------------------------------------------------------- realism
#: Tolerances of the synthetic statistics around the real AG subset's.
TOLERANCE = {"visible_per_frame": 0.35, "attention_per_object": 0.02, "spatial_per_object": 0.12,
             "contacting_per_object": 0.10, "visible_count_share": 0.10}


def test_graph_statistics_are_close_to_real_action_genome(ag_real_subset):
    real = graph_statistics(load_pickle(str(ag_real_subset / "object_bbox_and_relationship.pkl")))
    synthetic = graph_statistics(graph_only(SEED, 200)[0])
    report = f"real {real.as_dict()}\nsynthetic {synthetic.as_dict()}"
    for field in ("visible_per_frame", "attention_per_object", "spatial_per_object",
                  "contacting_per_object"):
        assert abs(getattr(real, field) - getattr(synthetic, field)) <= TOLERANCE[field], \
            f"{field} off by more than {TOLERANCE[field]}\n{report}"
    for count, share in real.visible_count_shares.items():
        off = abs(share - synthetic.visible_count_shares[count])
        assert off <= TOLERANCE["visible_count_share"], \
            f"share of frames with {count} visible objects\n{report}"


@pytest.fixture(scope="session")
def graph_classifier(readers) -> Tuple[float, float]:
    """(mAP, prior mAP) of the ground-truth relationship-matrix classifier."""
    ag, charades = readers
    frames, labels, groups = frame_labels(ag, charades)
    return held_out_video_map(np.stack([relation_matrix(f) for f in frames]), labels, groups)


def test_actions_are_recoverable_from_ground_truth_graphs(readers, graph_classifier):
    ap, prior = graph_classifier
    message = f"relationship-matrix classifier mAP {ap:.3f} vs class prior {prior:.3f} " \
              f"({len(readers[0])} frames, 6 folds of held-out videos)"
    print(message)
    assert ap >= 0.5 and ap >= prior + 0.4, message


def test_pixels_carry_no_background_or_position_shortcut(dataset, readers, annotations,
                                                        graph_classifier):
    """The wall/floor colour around the objects and where the person stands in the frame say
    no more about the action than the class prior does."""
    out, _ = dataset
    ag, charades = readers
    objects, persons = annotations
    frames, labels, groups = frame_labels(ag, charades)
    wanted: Dict[str, set] = {}
    for f in frames:
        wanted.setdefault(f.video, set()).add(f.frame_number)
    pixels: Dict[str, np.ndarray] = {}
    for video, numbers in wanted.items():
        with av.open(str(out / "videos" / video)) as container:
            for i, frame in enumerate(container.decode(video=0)):
                if i + 1 in numbers:
                    pixels[f"{video}/{i + 1:06d}.png"] = frame.to_ndarray(format="rgb24")
    colour, position = [], []
    for f in frames:
        image = pixels[f.key]
        background = np.ones(image.shape[:2], bool)
        boxes = [e["bbox"] for e in objects[f.key] if e["visible"] and e["class"] != "floor"]
        boxes = [(x, y, x + w, y + h) for x, y, w, h in boxes]
        if persons[f.key]["bbox"].shape[0]:
            boxes.append(tuple(persons[f.key]["bbox"][0]))
        for x0, y0, x1, y1 in boxes:
            background[int(y0):int(np.ceil(y1)), int(x0):int(np.ceil(x1))] = False
        colour.append(image[background].mean(axis=0) / 255.0 if background.any() else np.zeros(3))
        person = persons[f.key]["bbox"]
        position.append([(person[0, 0] + person[0, 2]) / 2 / SIZE[0]] if person.shape[0] else [0.5])
    graph_ap, _ = graph_classifier
    for name, features in (("background colour", np.array(colour)),
                           ("person position", np.array(position))):
        ap, prior = held_out_video_map(features, labels, groups)
        message = f"{name}: mAP {ap:.3f}, class prior {prior:.3f}, graphs {graph_ap:.3f}"
        print(message)
        assert ap <= prior + 0.15 and graph_ap >= ap + 0.3, message


# ---------------------------------------------------------------------------- arguments and CLI
@pytest.mark.parametrize("kwargs, word", [
    ({"videos": 0}, "videos"), ({"seed": -1}, "seed"), ({"size": (161, 120)}, "size"),
    ({"size": (32, 24)}, "size"), ({"size": "big"}, "size"), ({"seconds": 0.5}, "seconds"),
    ({"workers": 0}, "workers"), ({"test_videos": 2}, "test_videos"),
    ({"test_videos": -1}, "test_videos"), ({"test_videos": 0.5}, "test_videos"),
])
def test_bad_arguments_are_refused_clearly(tmp_path, kwargs, word):
    arguments = {"out_dir": str(tmp_path / "out"), "videos": 1, "seed": 0, "size": (64, 48),
                 "seconds": 1.5, "workers": 1}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=word):
        make_synthetic(**arguments)


def test_out_dir_must_be_a_folder(tmp_path):
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(ValueError, match="not a folder"):
        make_synthetic(str(afile), 1, 0, size=(64, 48), seconds=1.5, workers=1)


def test_cli_writes_a_dataset_and_prints_the_summary(tmp_path):
    tool = str(ROOT / "tools" / "make_synthetic.py")
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, tool, "--out", str(out), "--videos", "2", "--seed", "3",
                           "--size", "96x72", "--seconds", "1.5", "--workers", "1"],
                          capture_output=True, text=True, check=True)
    assert "2 videos" in proc.stdout and "annotated frames" in proc.stdout
    assert len(os.listdir(out / "videos")) == 2
    bad = subprocess.run([sys.executable, tool, "--out", str(out), "--videos", "1", "--seed", "3",
                          "--size", "96by72"], capture_output=True, text=True)
    assert bad.returncode == 2 and "320x240" in bad.stderr
    too_many = subprocess.run([sys.executable, tool, "--out", str(tmp_path / "x"), "--videos", "2",
                               "--seed", "3", "--test-videos", "3", "--annotations-only"],
                              capture_output=True, text=True)
    assert too_many.returncode == 2 and "test_videos" in too_many.stderr \
        and "got 3" in too_many.stderr


@pytest.mark.slow
@pytest.mark.timing
def test_fifty_ten_second_videos_in_under_a_minute(tmp_path):
    started = time.perf_counter()
    summary = make_synthetic(str(tmp_path / "fifty"), 50, 0, size=(320, 240), seconds=10.0,
                             workers=2)
    elapsed = time.perf_counter() - started
    print(summary)
    assert summary.videos == 50
    assert elapsed < 60.0, f"50 videos took {elapsed:.1f}s"
