"""Action Genome vocabularies (Action Genome paper §3, DESIGN.md "Contracts").

Objects: 36 classes, ``person`` first (index 0), then the 35 object classes.
Relationships: 26 classes in three groups, indexed as the official
``relationship_classes.txt`` orders them: attention 0-2, spatial 3-8, contacting 9-25.
The paper counts 25 relationships: it leaves out ``other_relationship``.

Names come in two spellings: the official ``.txt`` files drop ``/`` and ``_``
(``cupglassbottle``, ``lookingat``); the annotation pickles keep them
(``cup/glass/bottle``, ``looking_at``). The canonical spelling here is the pickle one.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

AG_OBJECTS: Tuple[str, ...] = (
    "person", "bag", "bed", "blanket", "book", "box", "broom", "chair", "closet/cabinet",
    "clothes", "cup/glass/bottle", "dish", "door", "doorknob", "doorway", "floor", "food",
    "groceries", "laptop", "light", "medicine", "mirror", "paper/notebook", "phone/camera",
    "picture", "pillow", "refrigerator", "sandwich", "shelf", "shoe", "sofa/couch", "table",
    "television", "towel", "vacuum", "window",
)
PERSON = 0
NUM_OBJECTS = len(AG_OBJECTS)  # 36 with the person (the AG paper's 35 objects + person)

ATTENTION: Tuple[str, ...] = ("looking_at", "not_looking_at", "unsure")
SPATIAL: Tuple[str, ...] = ("above", "beneath", "in_front_of", "behind", "on_the_side_of", "in")
CONTACTING: Tuple[str, ...] = (
    "carrying", "covered_by", "drinking_from", "eating", "have_it_on_the_back", "holding",
    "leaning_on", "lying_on", "not_contacting", "other_relationship", "sitting_on",
    "standing_on", "touching", "twisting", "wearing", "wiping", "writing_on",
)
AG_RELATIONSHIPS: Tuple[str, ...] = ATTENTION + SPATIAL + CONTACTING
NUM_RELATIONSHIPS = len(AG_RELATIONSHIPS)  # 26 with other_relationship

GROUPS: Tuple[str, ...] = ("attention", "spatial", "contacting")
#: Slice of each group inside the 26 relationship indices.
GROUP_SLICES: Dict[str, slice] = {
    "attention": slice(0, 3),
    "spatial": slice(3, 9),
    "contacting": slice(9, 26),
}
#: Key of each group's list in an annotation pickle entry.
GROUP_PICKLE_KEYS: Dict[str, str] = {
    "attention": "attention_relationship",
    "spatial": "spatial_relationship",
    "contacting": "contacting_relationship",
}
#: Direction of each group: attention and contacting point person -> object,
#: spatial points object -> person (a chair is ``beneath`` the person).
GROUP_DIRECTION: Dict[str, str] = {
    "attention": "person->object",
    "spatial": "object->person",
    "contacting": "person->object",
}

OTHER_RELATIONSHIP = AG_RELATIONSHIPS.index("other_relationship")
#: The paper's 25 relationships (indices into AG_RELATIONSHIPS), in order.
PAPER_RELATIONSHIPS: Tuple[int, ...] = tuple(
    i for i in range(len(AG_RELATIONSHIPS)) if i != OTHER_RELATIONSHIP
)


def official_spelling(name: str) -> str:
    """Spelling of a class in the official ``.txt`` files: no ``/`` and no ``_``."""
    return name.replace("/", "").replace("_", "")


def relationship_group(index: int) -> str:
    """Group name of relationship ``index`` (0..25)."""
    for group, sl in GROUP_SLICES.items():
        if sl.start <= index < sl.stop:
            return group
    raise IndexError(f"relationship index {index} outside 0..{len(AG_RELATIONSHIPS) - 1}")


@dataclass(frozen=True)
class Vocabulary:
    """An ordered class list with lookup by either spelling.

    ``index("cup/glass/bottle") == index("cupglassbottle")``.
    """

    names: Tuple[str, ...]

    def __post_init__(self) -> None:
        lookup: Dict[str, int] = {}
        for i, name in enumerate(self.names):
            for spelling in (name, official_spelling(name)):
                if lookup.setdefault(spelling, i) != i:
                    raise ValueError(f"vocabulary spelling {spelling!r} names two classes")
        object.__setattr__(self, "_lookup", lookup)

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, index: int) -> str:
        return self.names[index]

    def __contains__(self, name: object) -> bool:
        return name in self._lookup  # type: ignore[attr-defined]

    def index(self, name: str) -> int:
        try:
            return self._lookup[name]  # type: ignore[attr-defined]
        except KeyError:
            raise KeyError(f"unknown class name {name!r}") from None

    def get(self, name: str) -> Optional[int]:
        return self._lookup.get(name)  # type: ignore[attr-defined]

    def unknown(self, names: Sequence[str]) -> List[str]:
        """The names (sorted, unique) that this vocabulary does not know."""
        return sorted({n for n in names if n not in self})


OBJECTS = Vocabulary(AG_OBJECTS)
RELATIONSHIPS = Vocabulary(AG_RELATIONSHIPS)


def read_class_file(path: str) -> List[str]:
    """Non-empty, stripped lines of an official class file."""
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def check_against_official(object_file: Optional[str] = None,
                           relationship_file: Optional[str] = None) -> None:
    """Raise ``ValueError`` when an official class file differs from the built-in vocabulary.

    Users point this at ``object_classes.txt`` / ``relationship_classes.txt`` of their
    download; the built-in copy must equal them class for class, in order.
    """
    for path, vocab in ((object_file, OBJECTS), (relationship_file, RELATIONSHIPS)):
        if path is None:
            continue
        found = read_class_file(path)
        expected = [official_spelling(n) for n in vocab.names]
        if [official_spelling(n) for n in found] != expected:
            diff = [
                f"line {i + 1}: {a!r} != {b!r}"
                for i, (a, b) in enumerate(zip(found, expected))
                if official_spelling(a) != b
            ]
            if len(found) != len(expected):
                diff.append(f"{len(found)} classes, expected {len(expected)}")
            raise ValueError(f"{path}: differs from the built-in AG vocabulary: {'; '.join(diff)}")


def find_class_files(directory: str) -> Tuple[Optional[str], Optional[str]]:
    """Paths of ``object_classes.txt`` / ``relationship_classes.txt`` in ``directory``, if any."""
    found = []
    for name in ("object_classes.txt", "relationship_classes.txt"):
        path = os.path.join(directory, name)
        found.append(path if os.path.isfile(path) else None)
    return found[0], found[1]
