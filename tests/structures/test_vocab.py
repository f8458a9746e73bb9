from pathlib import Path

import pytest

from sgfb.structures import vocab
def test_sizes_and_groups():
    assert len(vocab.AG_OBJECTS) == 36 and vocab.AG_OBJECTS[0] == "person"
    assert len(vocab.AG_RELATIONSHIPS) == 26
    assert [len(vocab.AG_RELATIONSHIPS[s]) for s in vocab.GROUP_SLICES.values()] == [3, 6, 17]
    assert vocab.relationship_group(2) == "attention"
    assert vocab.relationship_group(3) == "spatial"
    assert vocab.relationship_group(25) == "contacting"
    with pytest.raises(IndexError):
        vocab.relationship_group(26)


def test_paper_relationships_leave_out_other_relationship():
    assert len(vocab.PAPER_RELATIONSHIPS) == 25
    assert vocab.AG_RELATIONSHIPS[vocab.OTHER_RELATIONSHIP] == "other_relationship"
    assert vocab.OTHER_RELATIONSHIP not in vocab.PAPER_RELATIONSHIPS


def test_both_spellings_resolve():
    assert vocab.OBJECTS.index("cup/glass/bottle") == vocab.OBJECTS.index("cupglassbottle") == 10
    assert vocab.RELATIONSHIPS.index("in_front_of") == vocab.RELATIONSHIPS.index("infrontof") == 5
    assert vocab.official_spelling("have_it_on_the_back") == "haveitontheback"
    assert vocab.OBJECTS.unknown(["cup", "chair", "cup"]) == ["cup"]
    with pytest.raises(KeyError, match="'mug'"):
        vocab.OBJECTS.index("mug")


def test_builtin_equals_official_files(ag_vocab_dir: Path):
    objects = vocab.read_class_file(str(ag_vocab_dir / "object_classes.txt"))
    relations = vocab.read_class_file(str(ag_vocab_dir / "relationship_classes.txt"))
    assert objects == [vocab.official_spelling(n) for n in vocab.AG_OBJECTS]
    assert relations == [vocab.official_spelling(n) for n in vocab.AG_RELATIONSHIPS]
    vocab.check_against_official(str(ag_vocab_dir / "object_classes.txt"),
                                 str(ag_vocab_dir / "relationship_classes.txt"))


def test_check_against_official_reports_differences(tmp_path):
    bad = tmp_path / "object_classes.txt"
    names = [vocab.official_spelling(n) for n in vocab.AG_OBJECTS]
    names[3] = "duvet"
    bad.write_text("\n".join(names) + "\n")
    with pytest.raises(ValueError, match=r"line 4: 'duvet' != 'blanket'"):
        vocab.check_against_official(str(bad))
