"""Where tools may write and how per-input outputs are named (sgfb.engine.output_paths)."""
import os

import pytest

from sgfb.engine.cli import UserError
from sgfb.engine.output_paths import (VIDEO_EXTENSIONS, check_inputs_exist,
                                      check_output_location, find_videos, input_names)


@pytest.fixture
def videos(tmp_path):
    root = tmp_path / "videos"
    (root / "sub").mkdir(parents=True)
    for name in ("b.mp4", "a.MOV", "notes.txt", ".hidden.mp4", "sub/c.mkv"):
        (root / name).write_bytes(b"x")
    return root


@pytest.mark.parametrize("out,reason", [
    ("videos", "is the input"),
    ("videos/preds", "lies inside the input folder"),
    ("videos/sub/deeper/preds", "lies inside the input folder"),
    (".", "contains the input"),
    ("videos/b.mp4", "is an existing file"),
])
def test_outputs_never_touch_inputs(videos, tmp_path, monkeypatch, out, reason):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=reason):
        check_output_location(out, [str(videos)])
    assert sorted(os.listdir(videos)) == [".hidden.mp4", "a.MOV", "b.mp4", "notes.txt", "sub"]


def test_an_input_file_named_as_output_and_links_are_refused(videos, tmp_path):
    with pytest.raises(UserError, match="is the input"):
        check_output_location(str(videos / "b.mp4"), [str(videos / "b.mp4")], kind="file")
    link = tmp_path / "link"
    link.symlink_to(videos)
    with pytest.raises(UserError, match="lies inside the input folder"):
        check_output_location(str(link / "preds"), [str(videos)])


def test_a_sibling_folder_or_new_file_is_fine(videos, tmp_path):
    check_output_location(str(tmp_path / "preds"), [str(videos)])
    check_output_location(str(tmp_path / "m.json"), [str(videos), None, ""], kind="file")
    (tmp_path / "folder").mkdir()
    with pytest.raises(UserError, match="existing folder"):
        check_output_location(str(tmp_path / "folder"), [str(videos)], kind="file")


def test_find_videos_recurses_skips_hidden_and_keeps_missing_paths(videos, tmp_path):
    missing = str(tmp_path / "missing.mp4")
    found = find_videos([str(videos), missing, str(videos / "b.mp4")])
    assert found == [str(videos / "a.MOV"), str(videos / "b.mp4"), str(videos / "sub" / "c.mkv"),
                     missing]                                   # b.mp4 given twice runs once


@pytest.mark.parametrize("content", [[], ["notes.txt", "clip.mp4.part"]])
def test_a_folder_without_videos_is_an_error_naming_folder_and_extensions(tmp_path, content):
    for name in content:
        (tmp_path / name).write_bytes(b"x")
    with pytest.raises(UserError) as err:
        find_videos([str(tmp_path)])
    assert str(tmp_path) in str(err.value)
    assert all(ext in str(err.value) for ext in VIDEO_EXTENSIONS)


def test_names_are_relative_paths_with_extensions(tmp_path):
    paths = [str(tmp_path / "a" / "clip.mp4"), str(tmp_path / "b" / "clip.mp4"),
             str(tmp_path / "a" / "x.mp4"), str(tmp_path / "a" / "x.avi")]
    assert input_names(paths) == {paths[0]: "a/clip.mp4", paths[1]: "b/clip.mp4",
                                  paths[2]: "a/x.mp4", paths[3]: "a/x.avi"}
    assert input_names([paths[0]]) == {paths[0]: "clip.mp4"}
    assert input_names([]) == {}


def test_check_inputs_exist_names_the_key(tmp_path):
    (tmp_path / "ok.csv").write_text("")
    assert check_inputs_exist({"--a": str(tmp_path / "ok.csv"), "--b": "", "--c": None,
                               "--d": [str(tmp_path)]}) == [str(tmp_path / "ok.csv"),
                                                            str(tmp_path)]
    with pytest.raises(UserError, match=r"^data.charades: .*nope.csv: no such file"):
        check_inputs_exist({"data.charades": [str(tmp_path / "ok.csv"), str(tmp_path / "nope.csv")]})
