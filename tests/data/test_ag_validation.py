"""Malformed Action Genome entries are errors naming the file, the frame key and the field
(issue #11 item 11), read through ActionGenome.load and through tools/dataset_stats.py."""
import gc
import pickle
import re
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sgfb.data.action_genome import ActionGenome, AnnotationError

ROOT = Path(__file__).resolve().parents[2]
KEY = "VVVVV.mp4/000002.png"
OTHER = "VVVVV.mp4/000001.png"
OBJECTS = "object_bbox_and_relationship.pkl"
PERSONS = "person_bbox.pkl"


def _obj(**change):
    entry = {"class": "bed", "bbox": (1.0, 2.0, 3.0, 4.0), "visible": True,
             "attention_relationship": ["looking_at"], "spatial_relationship": ["beneath"],
             "contacting_relationship": ["lying_on"], "metadata": {"tag": "t", "set": "train"}}
    entry.update(change)
    return {k: v for k, v in entry.items() if v is not _DROP}


def _person(**change):
    entry = {"bbox": np.array([[0, 0, 10, 20]], np.float32), "bbox_score": np.ones(1, np.float32),
             "bbox_size": (640, 480), "bbox_mode": "xyxy"}
    entry.update(change)
    return entry


_DROP = object()


def _write(root: Path, bad_object=None, bad_person=None) -> Path:
    """Two frames; KEY holds the bad entry (a good object or person entry when None)."""
    root.mkdir(parents=True, exist_ok=True)
    objects = {OTHER: [_obj()], KEY: [_obj(), bad_object if bad_object is not None else _obj()]}
    persons = {OTHER: _person(), KEY: bad_person if bad_person is not None else _person()}
    for name, data in ((OBJECTS, objects), (PERSONS, persons)):
        with open(root / name, "wb") as f:
            pickle.dump(data, f)
    return root


# (which pickle, bad entry, field named in the message)
CASES = {
    "size_not_a_pair": (PERSONS, _person(bbox_size=640), "'bbox_size'"),
    "size_three_numbers": (PERSONS, _person(bbox_size=(640, 480, 3)), "'bbox_size'"),
    "size_a_string": (PERSONS, _person(bbox_size="640x480"), "'bbox_size'"),
    "size_float": (PERSONS, _person(bbox_size=(640.5, 480)), "'bbox_size'"),
    "size_zero": (PERSONS, _person(bbox_size=(0, 480)), "'bbox_size'"),
    "size_bool": (PERSONS, _person(bbox_size=(True, 480)), "'bbox_size'"),
    "person_box_3_columns": (PERSONS, _person(bbox=np.zeros((1, 3), np.float32)), "'bbox'"),
    "person_box_flat_8": (PERSONS, _person(bbox=np.arange(8, dtype=np.float32)), "'bbox'"),
    "person_box_nan": (PERSONS, _person(bbox=np.array([[0, 0, np.nan, 5]], np.float32)),
                       "'bbox'"),
    "person_box_inf_second_row": (PERSONS, _person(bbox=np.array(
        [[0, 0, 5, 5], [0, 0, np.inf, 5]], np.float32)), "'bbox' row 1"),
    "person_box_reversed": (PERSONS, _person(bbox=np.array([[5, 0, 1, 5]], np.float32)),
                            "'bbox'"),
    "person_box_strings": (PERSONS, _person(bbox=[["a", "b", "c", "d"]]), "'bbox'"),
    "person_mode": (PERSONS, _person(bbox_mode="xywh"), "'bbox_mode'"),
    "person_not_a_dict": (PERSONS, [0, 0, 1, 1], "'bbox'"),
    "object_box_nan": (OBJECTS, _obj(bbox=(0.0, 0.0, float("nan"), 1.0)), "'bbox'"),
    "object_box_inf": (OBJECTS, _obj(bbox=(0.0, 0.0, float("inf"), 1.0)), "'bbox'"),
    "object_box_nested": (OBJECTS, _obj(bbox=[[0.0, 0.0, 1.0, 1.0]]), "'bbox'"),
    "object_box_three": (OBJECTS, _obj(bbox=(0.0, 0.0, 1.0)), "'bbox'"),
    "object_box_string": (OBJECTS, _obj(bbox="0 0 1 1"), "'bbox'"),
    "object_box_negative_size": (OBJECTS, _obj(bbox=(5.0, 5.0, -1.0, 1.0)), "'bbox'"),
    "metadata_missing": (OBJECTS, _obj(metadata=_DROP), "'metadata'"),
    "metadata_set_missing": (OBJECTS, _obj(metadata={"tag": "t"}), r"'metadata\.set' is missing"),
    "metadata_set_unknown": (OBJECTS, _obj(metadata={"tag": "t", "set": "val"}),
                             r"'metadata\.set' is 'val'"),
    "metadata_set_none": (OBJECTS, _obj(metadata={"tag": "t", "set": None}), r"'metadata\.set'"),
    "visible_string": (OBJECTS, _obj(visible="yes"), "'visible'"),
    "visible_int": (OBJECTS, _obj(visible=1), "'visible'"),
    "class_not_a_string": (OBJECTS, _obj(**{"class": 3}), "'class'"),
    "class_unknown": (OBJECTS, _obj(**{"class": "mug"}), "'mug' .field 'class'"),
    "relationship_unknown": (OBJECTS, _obj(contacting_relationship=["hugging"]),
                             "'hugging' .field 'contacting_relationship'"),
    "relationship_wrong_group": (OBJECTS, _obj(spatial_relationship=["holding"]),
                                 "'spatial_relationship'"),
    "relationships_not_a_list": (OBJECTS, _obj(spatial_relationship="beneath"),
                                 "'spatial_relationship'"),
}


def _expected(name: str, field: str) -> str:
    """File first, then the key and the field in either order."""
    return rf"{name}: (?=.*'{KEY.replace('.', '[.]')}')(?=.*{field})"


@pytest.mark.parametrize("case", sorted(CASES))
def test_load_names_file_key_and_field(tmp_path, case):
    name, bad, field = CASES[case]
    root = _write(tmp_path / "ag", **({"bad_object": bad} if name == OBJECTS
                                      else {"bad_person": bad}))
    with pytest.raises(AnnotationError, match=_expected(name, field)) as caught:
        ActionGenome.load(str(root))
    assert str(root / name) in str(caught.value)


def test_the_good_set_loads(tmp_path):
    ag = ActionGenome.load(str(_write(tmp_path / "ag")))
    frame = ag[KEY]
    assert frame.image_size == (640, 480) and frame.person_box.tolist() == [0, 0, 10, 20]
    assert frame.split == "train" and frame.objects[0].box.tolist() == [1, 2, 4, 6]


@pytest.mark.parametrize("case", sorted(CASES))
def test_dataset_stats_prints_one_error_line(tmp_path, case, monkeypatch, capsys):
    name, bad, field = CASES[case]
    root = _write(tmp_path / "ag", **({"bad_object": bad} if name == OBJECTS
                                      else {"bad_person": bad}))
    monkeypatch.setattr(sys, "argv", ["dataset_stats.py", "--ag", str(root)])
    monkeypatch.delenv("SGFB_DEBUG", raising=False)
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(ROOT / "tools" / "dataset_stats.py"), run_name="__main__")
    assert done.value.code == 1
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("dataset_stats.py: error: ")
    assert re.search(_expected(name, field), lines[0])


def test_dataset_stats_subprocess_640x480(tmp_path):
    """The issue's example end to end: once read as image size (6, 4), now an error."""
    root = _write(tmp_path / "ag", bad_person=_person(bbox_size="640x480"))
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "dataset_stats.py"),
                           "--ag", str(root)], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (f"dataset_stats.py: error: {root / PERSONS}: frame {KEY!r}: field "
                           "'bbox_size': expected (width, height), two positive integers, "
                           "got '640x480'\n")


# ------------------------------------------------ unusual but valid layouts read the same
def _frames(ag):
    return [(f.key, f.split, f.image_size, None if f.person_box is None else f.person_box.tolist(),
             [(o.label, None if o.box is None else o.box.tolist(), o.visible, o.relations)
              for o in f.objects]) for f in ag]


@pytest.mark.parametrize("variant", ["person_box_list", "numpy_bool", "numpy_size",
                                     "tuple_relations", "empty_person_flat"])
def test_unusual_valid_layouts_read_like_the_official_one(tmp_path, variant):
    reference = _frames(ActionGenome.load(str(_write(tmp_path / "ref"))))
    bad_object, bad_person = None, None
    if variant == "person_box_list":
        bad_person = _person(bbox=[[0.0, 0.0, 10.0, 20.0]])
    elif variant == "numpy_bool":
        bad_object = _obj(visible=np.bool_(True))
    elif variant == "numpy_size":
        bad_person = _person(bbox_size=np.array([640, 480]))
    elif variant == "tuple_relations":
        bad_object = _obj(spatial_relationship=("beneath",))
    got = _frames(ActionGenome.load(str(_write(tmp_path / variant, bad_object, bad_person))))
    if variant == "empty_person_flat":   # an empty array of any shape: no person box
        root = _write(tmp_path / "flat", bad_person=_person(bbox=np.zeros(0, np.float32)))
        got = _frames(ActionGenome.load(str(root)))
        assert got[1][3] is None
        got[1] = got[1][:3] + (reference[1][3],) + got[1][4:]
    assert got == reference


def test_garbage_collection_is_restored_after_load_and_after_an_error(tmp_path):
    good = _write(tmp_path / "good")
    bad = _write(tmp_path / "bad", bad_person=_person(bbox_size="640x480"))
    assert gc.isenabled()
    ActionGenome.load(str(good))
    assert gc.isenabled()
    with pytest.raises(AnnotationError):
        ActionGenome.load(str(bad))
    assert gc.isenabled()
    gc.disable()
    try:
        ActionGenome.load(str(good))
        assert not gc.isenabled()      # a caller's choice is kept
    finally:
        gc.enable()
