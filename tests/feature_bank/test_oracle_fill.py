"""Oracle banks filled from the annotation columns equal the banks of the per-frame graphs."""
import numpy as np
import pytest

from sgfb.data.action_genome import ActionGenome, AGFrame, AGObject
from sgfb.structures.vocab import AG_OBJECTS, AG_RELATIONSHIPS, OBJECTS, RELATIONSHIPS
from sgfb.structures.confidence import OBJECT_ROWS, frame_features, layout_relationships
from sgfb.feature_bank.oracle import oracle_features, oracle_inputs


def _random_ag(seed: int) -> ActionGenome:
    rng = np.random.default_rng(seed)
    frames = []
    for v in range(6):
        numbers = rng.choice(np.arange(1, 400), size=int(rng.integers(1, 8)), replace=False)
        for n in numbers.tolist():
            objects = []
            for _ in range(int(rng.integers(0, 5))):   # frames without objects too
                label = int(rng.integers(1, len(AG_OBJECTS)))
                if rng.random() < 0.3:                  # a second object of one class
                    label = objects[-1].label if objects else label
                relations = tuple(sorted(set(rng.choice(len(AG_RELATIONSHIPS),
                                                        size=int(rng.integers(0, 5))).tolist())))
                objects.append(AGObject(label, None, bool(rng.random() < 0.8), relations))
            frames.append(AGFrame(f"V{v:04d}.mp4/{n:06d}.png", f"V{v:04d}.mp4", n, "train",
                                  objects))
    return ActionGenome(frames, fps={f"V{v:04d}.mp4": 24.0 + v for v in range(6)})


@pytest.mark.parametrize("layout", ["paper", "full"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_filled_features_equal_the_graph_path(seed, layout):
    ag = _random_ag(seed)
    ones = 0
    for video_id, keys in ag.videos.items():
        expected = frame_features([ag.scene_graph(k) for k in keys], layout)
        got = oracle_features(*oracle_inputs(ag, video_id), layout)
        assert got.dtype == np.float32 and np.array_equal(got, expected), video_id
        ones += int(got.sum())
        assert ag.frame_times(video_id).tolist() == [ag.frame_time(k) for k in keys]
    assert ones > 20   # the random sets do hold relationships


def test_hand_computed_frame():
    cup, bed = OBJECTS.index("cup/glass/bottle"), OBJECTS.index("bed")
    holding, beneath = RELATIONSHIPS.index("holding"), RELATIONSHIPS.index("beneath")
    other = RELATIONSHIPS.index("other_relationship")
    frames = [AGFrame("A.mp4/000001.png", "A.mp4", 1, "train", [
        AGObject(cup, None, True, (holding,)), AGObject(cup, None, True, (holding, beneath)),
        AGObject(bed, None, False, (beneath,)),           # invisible: not in the bank
        AGObject(bed, None, True, (other,))]),             # not in the paper layout
        AGFrame("A.mp4/000002.png", "A.mp4", 2, "train", [])]
    ag = ActionGenome(frames)
    features = oracle_features(*oracle_inputs(ag, "A"), "paper")
    rels = list(layout_relationships("paper"))
    width = len(rels)
    expected = np.zeros((2, len(OBJECT_ROWS) * width), np.float32)
    expected[0, OBJECT_ROWS.index(cup) * width + rels.index(holding)] = 1
    expected[0, OBJECT_ROWS.index(cup) * width + rels.index(beneath)] = 1
    assert np.array_equal(features, expected)
    full = oracle_features(*oracle_inputs(ag, "A"), "full")
    assert full[0, OBJECT_ROWS.index(bed) * len(AG_RELATIONSHIPS) + other] == 1
    assert full.sum() == 3
