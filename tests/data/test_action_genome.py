import csv
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from sgfb.structures import vocab
from sgfb.data.action_genome import ActionGenome, AnnotationError, read_frame_keys
from sgfb.data.charades import Charades
from sgfb.data.stats import action_genome_stats


def _obj(cls, bbox, att=("looking_at",), spa=("in_front_of",), con=("holding",), visible=True,
         split="train", tag="x"):
    return {"class": cls, "bbox": bbox, "visible": visible,
            "attention_relationship": list(att) if visible else None,
            "spatial_relationship": list(spa) if visible else None,
            "contacting_relationship": list(con) if visible else None,
            "metadata": {"tag": tag, "set": split}}


def _person(box):
    arr = np.array([box], np.float32) if box is not None else np.zeros((0, 4), np.float32)
    return {"bbox": arr, "bbox_score": np.ones(len(arr), np.float32), "bbox_size": (320, 240),
            "bbox_mode": "xyxy"}


def write_ag(root: Path, objects: dict, persons: dict | None, class_files=True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "object_bbox_and_relationship.pkl", "wb") as f:
        pickle.dump(objects, f)
    if persons is not None:
        with open(root / "person_bbox.pkl", "wb") as f:
            pickle.dump(persons, f)
    (root / "frame_list.txt").write_text("\n".join(sorted(objects)) + "\n")
    if class_files:
        (root / "object_classes.txt").write_text(
            "\n".join(vocab.official_spelling(n) for n in vocab.AG_OBJECTS) + "\n")
        (root / "relationship_classes.txt").write_text(
            "\n".join(vocab.official_spelling(n) for n in vocab.AG_RELATIONSHIPS) + "\n")
    return root


@pytest.fixture
def tiny_ag(tmp_path):
    """Video AAAAA: 4 frames (one without a person box, one with only an invisible object);
    video BBBBB (test split): 2 good frames."""
    cup = "cup/glass/bottle"
    objects = {
        "AAAAA.mp4/000001.png": [_obj(cup, (10, 20, 30, 40)), _obj("chair", (0, 0, 5, 5),
                                  att=("not_looking_at",), spa=("beneath", "behind"),
                                  con=("sitting_on", "leaning_on"))],
        "AAAAA.mp4/000031.png": [_obj(cup, (12, 20, 30, 40))],
        "AAAAA.mp4/000061.png": [_obj(cup, None, visible=False)],
        "AAAAA.mp4/000091.png": [_obj(cup, (11, 20, 30, 40))],
        "BBBBB.mp4/000010.png": [_obj("book", (1, 1, 2, 2), split="test")],
        "BBBBB.mp4/000005.png": [_obj("book", (1, 1, 2, 2), split="test")],
    }
    persons = {k: _person([0, 0, 100, 200]) for k in objects}
    persons["AAAAA.mp4/000031.png"] = _person(None)
    return write_ag(tmp_path / "ag", objects, persons)


def test_reads_directory_with_boxes(tiny_ag):
    ag = ActionGenome.load(str(tiny_ag), fps={"AAAAA.mp4": 30.0, "BBBBB.mp4": 25.0})
    assert len(ag) == 6 and list(ag.videos) == ["AAAAA", "BBBBB"]
    assert ag.videos["BBBBB"] == ["BBBBB.mp4/000005.png", "BBBBB.mp4/000010.png"]
    first = ag["AAAAA.mp4/000001.png"]
    cup, chair = first.objects
    assert cup.box.tolist() == [10, 20, 40, 60]  # xywh -> xyxy
    assert chair.relations == tuple(sorted(vocab.RELATIONSHIPS.index(n) for n in
                                           ("not_looking_at", "beneath", "behind", "sitting_on",
                                            "leaning_on")))
    assert first.person_box.tolist() == [0, 0, 100, 200] and first.image_size == (320, 240)
    assert first.split == "train" and ag["BBBBB.mp4/000005.png"].split == "test"
    assert ag["AAAAA.mp4/000031.png"].person_box is None
    assert ag.frame_time("AAAAA.mp4/000031.png") == pytest.approx(1.0)
    assert ag.frame_time("BBBBB.mp4/000010.png") == pytest.approx(9 / 25)


def test_scene_graph_drops_invisible_and_keeps_unknown_person_box(tiny_ag):
    ag = ActionGenome.load(str(tiny_ag))
    assert ag.scene_graph("AAAAA.mp4/000061.png").num_pairs == 0
    assert ag.scene_graph("AAAAA.mp4/000061.png", include_invisible=True).num_pairs == 1
    g = ag.scene_graph("AAAAA.mp4/000031.png")
    assert np.isnan(g.boxes[0]).all() and g.boxes[1].tolist() == [12, 20, 42, 60]


def test_filtered_preset_matches_common_codebases(tiny_ag):
    ag = ActionGenome.load(str(tiny_ag), preset="filtered")
    # AAAAA keeps frames 1 and 91 only (31: no person box, 61: nothing visible) -> < 3 frames;
    # BBBBB has 2 frames -> dropped too.
    assert len(ag) == 0
    ag = ActionGenome.load(str(tiny_ag), preset="keep_all", split="test")
    assert list(ag.videos) == ["BBBBB"]


def test_filtered_preset_keeps_videos_with_three_good_frames(tmp_path):
    objects = {f"CCCCC.mp4/{n:06d}.png": [{"class": "bed", "bbox": (0, 0, 1, 1), "visible": True,
                                           "attention_relationship": ["unsure"],
                                           "spatial_relationship": ["beneath"],
                                           "contacting_relationship": ["lying_on"],
                                           "metadata": {"tag": "t", "set": "train"}}]
               for n in (3, 1, 2)}
    root = write_ag(tmp_path / "ag", objects, {k: _person([0, 0, 1, 1]) for k in objects})
    ag = ActionGenome.load(str(root), preset="filtered")
    assert [ag[k].frame_number for k in ag.videos["CCCCC"]] == [1, 2, 3]


def test_unknown_classes_are_listed(tmp_path):
    objects = {"DDDDD.mp4/000001.png": [_obj("mug", (0, 0, 1, 1)),
                                        _obj("cup/glass/bottle", (0, 0, 1, 1), con=("hugging",))]}
    root = write_ag(tmp_path / "ag", objects, None)
    with pytest.raises(AnnotationError, match=r"unknown object classes 'mug'.*relationship "
                                              r"classes 'hugging'"):
        ActionGenome.load(str(root))


@pytest.mark.parametrize("entry, field", [
    ({"bbox": (0, 0, 1, 1)}, "'class'"),
    ({"class": "bed", "bbox": (0, 0, 1)}, "'bbox'"),
    ({"class": "bed", "bbox": None, "spatial_relationship": "beneath"}, "'spatial_relationship'"),
    ({"class": "bed", "bbox": None, "spatial_relationship": ["holding"]}, "'spatial_relationship'"),
])
def test_malformed_entries_name_frame_and_field(tmp_path, entry, field):
    root = write_ag(tmp_path / "ag", {"EEEEE.mp4/000002.png": [entry]}, None)
    with pytest.raises(AnnotationError, match=rf"EEEEE\.mp4/000002\.png.*{field}"):
        ActionGenome.load(str(root))


def test_bad_frame_key_and_class_file_are_reported(tmp_path):
    root = write_ag(tmp_path / "a", {"EEEEE.mp4/frame2.png": []}, None)
    with pytest.raises(ValueError, match="frame2"):
        ActionGenome.load(str(root))
    root = write_ag(tmp_path / "b", {"EEEEE.mp4/000002.png": []}, None)
    (root / "object_classes.txt").write_text("person\nbag\n")
    with pytest.raises(ValueError, match="object_classes.txt"):
        ActionGenome.load(str(root))


def test_missing_fps_names_the_video(tiny_ag):
    ag = ActionGenome.load(str(tiny_ag), fps={"AAAAA.mp4": 30})
    with pytest.raises(KeyError, match="BBBBB"):
        ag.frame_time("BBBBB.mp4/000005.png")


def test_read_frame_keys(tiny_ag):
    keys = read_frame_keys(str(tiny_ag))
    assert len(keys) == 6 and keys == sorted(keys)  # frame_list.txt is written sorted
    (tiny_ag / "frame_list.txt").unlink()
    assert sorted(read_frame_keys(str(tiny_ag))) == keys  # the pickle's keys


def test_stats_of_tiny_set(tiny_ag):
    s = action_genome_stats(ActionGenome.load(str(tiny_ag)))
    assert s == {"videos": 2, "frames": 6, "objects": 7, "visible_objects": 6,
                 "relationships": {"attention": 6, "spatial": 7, "contacting": 7},
                 "frames_without_person_box": 1}


# ---------------------------------------------------------------- real data
def test_real_subset_counts_and_frame_labels(ag_real_subset, charades_dir):
    ag = ActionGenome.load(str(ag_real_subset / "object_bbox_and_relationship.pkl"),
                           fps=str(charades_dir / "video_fps.json"))
    assert len(ag) == 8132 and len(ag.videos) == 3907
    assert all(o.box is None for f in ag for o in f.objects)
    ch = Charades.load(str(charades_dir / "Charades_v1_train.csv"))
    with open(ag_real_subset / "frame_labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 8132
    mismatched = []
    for row in rows:
        t = ag.frame_time(row["frame_key"])
        assert t == pytest.approx(float(row["time_s"]), abs=1e-3)
        expected = {int(c[1:]) for c in row["active_charades_classes"].split(";") if c}
        if ch.labels_at(row["video_id"], t) != expected:
            mismatched.append(row["frame_key"])
    assert not mismatched, f"{len(mismatched)} frames disagree, e.g. {mismatched[:3]}"


def test_real_subset_stats(ag_real_subset):
    s = action_genome_stats(ActionGenome.load(str(ag_real_subset / "object_bbox_and_relationship.pkl")))
    assert s == {"videos": 3907, "frames": 8132, "objects": 16181, "visible_objects": 16181,
                 "relationships": {"attention": 16181, "spatial": 19121, "contacting": 17521},
                 "frames_without_person_box": None}
    ag = ActionGenome.load(str(ag_real_subset / "object_bbox_and_relationship.pkl"),
                           preset="filtered")
    assert all(len(v) >= 3 for v in ag.videos.values())
    assert all(f.visible_objects for f in ag)


def test_fps_table_is_json(charades_dir):
    with open(charades_dir / "video_fps.json") as f:
        table = json.load(f)
    assert len(table) == 9848 and table["001YG.mp4"] == pytest.approx(29.97, rel=1e-4)
