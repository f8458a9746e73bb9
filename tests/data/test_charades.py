from pathlib import Path

import pytest

from sgfb.data.charades import ActionInstance, Charades, parse_actions, read_classes, read_csv
from sgfb.data.stats import charades_stats

HEADER = "id,subject,scene,quality,relevance,verified,script,objects,descriptions,actions,length"


def _write(path: Path, rows):
    path.write_bytes(("\r\n".join([HEADER] + rows) + "\r\n").encode())
    return path


@pytest.fixture
def tiny_csv(tmp_path):
    return _write(tmp_path / "Charades_v1_train.csv", [
        'AAAAA,S1,Kitchen,6,7,Yes,"A person, quoted; script",cup;table,"desc, with comma",'
        '"c002 1.00 4.00;c000 3.50 9.00",12.5',
        "BBBBB,S2,Bedroom,5,7,Yes,script,,desc,,8.00",
    ])


def test_reads_quoted_crlf_and_empty_actions(tiny_csv):
    videos = read_csv(str(tiny_csv))
    assert [v.id for v in videos] == ["AAAAA", "BBBBB"]
    assert videos[0].actions == [ActionInstance(2, 1.0, 4.0), ActionInstance(0, 3.5, 9.0)]
    assert videos[0].length == 12.5 and videos[0].split == "train"
    assert videos[0].fields["script"] == "A person, quoted; script"
    assert videos[1].actions == []


def test_labels_at_over_and_video(tiny_csv):
    ch = Charades.load(str(tiny_csv))
    assert ch.num_classes == 3
    assert ch.labels_at("AAAAA", 0.5) == set()
    assert ch.labels_at("AAAAA", 1.0) == {2}           # start is inclusive
    assert ch.labels_at("AAAAA", 4.0) == {0, 2}        # end is inclusive
    assert ch.labels_at("AAAAA", 4.01) == {0}
    assert ch.labels_over("AAAAA", 9.0, 11.0) == {0}
    assert ch.labels_over("AAAAA", 9.01, 11.0) == set()
    assert ch.video_labels("AAAAA") == {0, 2} and ch.video_labels("BBBBB") == set()
    # frame 31 at 30 fps is t = 1.0 s
    assert ch.labels_at_frame("AAAAA.mp4/000031.png", 30.0) == {2}
    assert ch.multi_hot({0, 2}).tolist() == [1, 0, 1]
    with pytest.raises(KeyError, match="ZZZZZ"):
        ch.labels_at("ZZZZZ", 1.0)


def test_errors_name_file_and_video(tmp_path):
    bad = _write(tmp_path / "a.csv", ["CCCCC,S,K,1,1,Yes,s,o,d,c01x 1.0 2.0,3.0"])
    with pytest.raises(ValueError, match=r"a\.csv.*CCCCC.*c01x"):
        read_csv(str(bad))
    bad = _write(tmp_path / "b.csv", ["CCCCC,S,K,1,1,Yes,s,o,d,c001 1.0,3.0"])
    with pytest.raises(ValueError, match=r"CCCCC.*'cNNN START END'"):
        read_csv(str(bad))
    (tmp_path / "c.csv").write_text("id,actions\nX,\n")
    with pytest.raises(ValueError, match="missing columns"):
        read_csv(str(tmp_path / "c.csv"))
    with pytest.raises(ValueError, match="appears twice"):
        Charades.load(str(_write(tmp_path / "d.csv", [
            "DDDDD,S,K,1,1,Yes,s,o,d,,3.0", "DDDDD,S,K,1,1,Yes,s,o,d,,3.0"])))


@pytest.mark.parametrize("actions,length,field,value", [
    ("c001 nan 2.0", "3.0", "actions", "'nan'"),
    ("c001 1.0 inf", "3.0", "actions", "'inf'"),
    ("c001 -1.0 2.0", "3.0", "actions", "'-1.0'"),
    ("c001 1.0 2.0", "nan", "length", "'nan'"),
    ("c001 1.0 2.0", "-4", "length", "'-4'"),
    ("c001 1.0 2.0", "x", "length", "'x'"),
    ("c99999999 1.0 2.0", "3.0", "actions", "'c99999999'"),
])
def test_invalid_rows_name_file_line_field_and_value(tmp_path, actions, length, field, value):
    bad = _write(tmp_path / "bad.csv", ["OKAY1,S,K,1,1,Yes,s,o,d,c000 0.0 1.0,3.0",
                                        f"CCCCC,S,K,1,1,Yes,s,o,d,{actions},{length}"])
    pattern = rf"bad\.csv: line 3, video 'CCCCC': field '{field}'.*{value}"
    with pytest.raises(ValueError, match=pattern):
        read_csv(str(bad))
    with pytest.raises(ValueError, match=pattern):
        Charades.load(str(bad))
    kept = Charades.load(str(bad), lenient=True)              # the bad row is skipped
    assert [v.id for v in kept] == ["OKAY1"] and kept.num_classes == 1


def test_class_ids_are_checked_against_the_classes_file(tmp_path):
    rows = _write(tmp_path / "x.csv", ["CCCCC,S,K,1,1,Yes,s,o,d,c003 0.0 1.0,3.0"])
    classes = tmp_path / "classes.txt"
    classes.write_text("c000 A\nc001 B\nc002 C\n")
    with pytest.raises(ValueError, match=r"line 2, video 'CCCCC'.*unknown class 'c003'.*c002"):
        Charades.load(str(rows), classes=str(classes))
    assert Charades.load(str(rows)).num_classes == 4         # within Charades' 157


def test_rows_shorter_or_longer_than_the_header_are_errors(tmp_path):
    short = _write(tmp_path / "short.csv", ["CCCCC,S,K,1,1,Yes,s,o,d"])
    with pytest.raises(ValueError, match=r"short\.csv: line 2.*fewer fields"):
        read_csv(str(short))
    long = _write(tmp_path / "long.csv", ["CCCCC,S,K,1,1,Yes,s,o,d,,3.0,extra"])
    with pytest.raises(ValueError, match=r"long\.csv: line 2.*more fields"):
        read_csv(str(long))


def test_actions_ending_before_they_start_are_left_out_with_a_warning(tmp_path, caplog):
    rows = _write(tmp_path / "r.csv", ["CCCCC,S,K,1,1,Yes,s,o,d,c001 18.0 10.0;c002 1.0 2.0,30"])
    with caplog.at_level("WARNING"):
        videos = read_csv(str(rows))
    assert videos[0].actions == [ActionInstance(2, 1.0, 2.0)]
    assert "left out 1 actions" in caplog.text and "c001 18.0 10.0" in caplog.text


def test_classes_file(tmp_path, tiny_csv):
    classes = tmp_path / "classes.txt"
    classes.write_text("c000 Holding a cup\nc001 Sitting down\nc002 Opening a door\n")
    ch = Charades.load(str(tiny_csv), classes=str(classes))
    assert ch.class_name(2) == "Opening a door" and ch.num_classes == 3
    classes.write_text("c000 A\nc002 C\n")
    with pytest.raises(ValueError, match="missing"):
        read_classes(str(classes))


def test_parse_actions_empty():
    assert parse_actions("") == [] and parse_actions(" ; ") == []


# ---------------------------------------------------------------- real data
def test_real_counts(charades_dir):
    train = Charades.load(str(charades_dir / "Charades_v1_train.csv"),
                          classes=str(charades_dir / "Charades_v1_classes.txt"))
    test = Charades.load(str(charades_dir / "Charades_v1_test.csv"))
    # 49809 instances in the file; 7 of them end before they start and are left out
    assert charades_stats(train) == {"videos": 7985, "action_instances": 49802, "classes_seen": 157}
    assert charades_stats(test)["videos"] == 1863
    assert charades_stats(test)["action_instances"] == 16691
    assert train.num_classes == 157 and train.class_name(0) == "Holding some clothes"
    assert any(not v.actions for v in train)  # empty action lists exist and parse
