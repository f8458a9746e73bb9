"""Hand-computed cases for the scene-graph protocols (ag, sttran): constraints, K, averaging,
ties, float32 near-ties, zero-area and small boxes, all-zero groups, the top-100 cap,
empty frames and mean recall."""
import dataclasses

import numpy as np
import pytest

from sgfb.data.action_genome import AGFrame, AGObject
from sgfb.data.vocab import OBJECTS, RELATIONSHIPS
from sgfb.evaluation.sg_protocols import PROTOCOLS, select_frames
from sgfb.evaluation.sg_recall import box_iou, evaluate_recall, pair_iou
from sgfb.structures import SceneGraph

CUP, CHAIR = OBJECTS.index("cup/glass/bottle"), OBJECTS.index("chair")
R = {n: RELATIONSHIPS.index(n) for n in
     ("looking_at", "not_looking_at", "unsure", "beneath", "holding", "touching")}
P_BOX, CUP_BOX, FAR = [0, 0, 100, 200], [40, 50, 60, 80], [300, 300, 340, 330]
KEY = "AAAAA.mp4/000001.png"


def gt(rels, key=KEY, cup_box=CUP_BOX):
    return SceneGraph.from_ground_truth([CUP], [rels], object_boxes=[cup_box], person_box=P_BOX,
                                        frame_key=key)


def pred(objects, key=KEY):
    """objects: (box, label, score, {relationship: score}) per pair, in pair order."""
    rel = np.zeros((len(objects), 26), np.float32)
    for i, (_, _, _, scores) in enumerate(objects):
        for name, s in scores.items():
            rel[i, R[name]] = s
    return SceneGraph.from_predictions(
        [P_BOX] + [o[0] for o in objects], [0] + [o[1] for o in objects],
        np.array([1.0] + [o[2] for o in objects], np.float32), np.arange(1, len(objects) + 1),
        rel, person=0, frame_key=key)


def recall(truth, prediction, constraint, ks, protocol, **kw):
    return evaluate_recall({KEY: truth}, {KEY: prediction}, constraint, ks,
                           protocol=protocol, **kw).frame


# ----------------------------------------------------------------------------- boxes
def test_iou_conventions_and_zero_area_boxes():
    a, b = np.array([[0, 0, 9, 9.0]]), np.array([[0, 0, 9, 4.0]])
    assert pair_iou(a, b)[0] == pytest.approx(36 / 81)          # 9x9 and 9x4
    assert pair_iou(a, b, plus_one=True)[0] == pytest.approx(50 / 100)   # 10x10 and 10x5
    point, line = np.array([[5, 5, 5, 5.0]]), np.array([[2, 3, 2, 8.0]])
    for plus_one in (False, True):
        assert pair_iou(point, point, plus_one)[0] == 1.0
        assert pair_iou(line, line, plus_one)[0] == 1.0
        assert pair_iou(point, line, plus_one)[0] == 0.0
    assert pair_iou(np.full((1, 4), np.nan), np.full((1, 4), np.nan))[0] == 0.0
    assert box_iou(np.array([[0, 0, 10, 10.0]]), np.array([[5, 0, 15, 10.0]]))[0, 0] == \
        pytest.approx(50 / 150)


@pytest.mark.parametrize("protocol", ["ag", "sttran"])
def test_zero_area_ground_truth_box_is_hit_by_the_same_box(protocol):
    dot = [50, 60, 50, 60]
    truth = gt([R["holding"]], cup_box=dot)
    p = pred([(dot, CUP, 1.0, {"holding": 0.9})])
    assert recall(truth, p, "no", (10,), protocol)[10] == 1.0


def test_plus_one_convention_decides_a_borderline_hit():
    truth = SceneGraph.from_ground_truth([CUP], [[R["holding"]]], object_boxes=[[0, 0, 9, 9]],
                                         person_box=P_BOX, frame_key=KEY)
    p = pred([([0, 0, 9, 4], CUP, 1.0, {"holding": 0.9})])       # IoU 36/81 vs 50/100
    assert recall(truth, p, "with_per_group", (10,), "ag")[10] == 0.0
    assert recall(truth, p, "with_per_group", (10,), "sttran")[10] == 1.0


# ----------------------------------------------------------------------------- constraints
TRUTH = gt([R["holding"], R["looking_at"]])
PRED = pred([(CUP_BOX, CUP, 0.8, {"holding": 0.7, "touching": 0.95, "looking_at": 0.6,
                                  "not_looking_at": 0.3, "beneath": 0.5})])


@pytest.mark.parametrize("protocol, constraint, expected", [
    # ag with: touching (.76) only; per group: touching .76, looking_at .48, beneath .4
    ("ag", "with", {1: 0.0, 10: 0.0}),
    ("ag", "with_per_group", {1: 0.0, 2: 0.5, 10: 0.5}),
    ("ag", "semi", {1: 0.0, 10: 0.0}),                       # >= .9: touching only
    ("ag", "no", {1: 0.0, 2: 0.5, 3: 1.0, 100: 1.0}),        # touching, holding .56, looking .48
    ("sttran", "with_per_group", {1: 0.0, 2: 0.5, 10: 0.5}),
    # sttran semi: attention top-1 (looking_at .48); the contacting row is skipped because its
    # first two scores (carrying, covered_by) are 0, so touching .95 is not kept
    ("sttran", "semi", {1: 0.5, 2: 0.5, 10: 0.5}),
    ("sttran", "no", {1: 0.0, 2: 0.5, 3: 1.0, 100: 1.0}),
])
def test_hand_computed_recall_per_protocol_and_constraint(protocol, constraint, expected):
    ks = tuple(expected)
    got = recall(TRUTH, PRED, constraint, ks, protocol)
    assert got == pytest.approx(expected)


def test_semi_threshold_strict_in_sttran_inclusive_in_ag():
    truth = gt([R["holding"]])
    p = pred([(CUP_BOX, CUP, 1.0, {"holding": 0.9, "looking_at": 1.0})])   # float32(0.9)
    assert recall(truth, p, "semi", (10,), "ag")[10] == 1.0       # float32 .9 >= float32 .9
    assert recall(truth, p, "semi", (10,), "sttran")[10] == 0.0   # float64: .8999999762 > .9 no


def test_sttran_rejects_with_and_names_with_per_group():
    with pytest.raises(ValueError, match="with_per_group"):
        recall(TRUTH, PRED, "with", (10,), "sttran")


# ----------------------------------------------------------------------------- zero scores
def test_all_zero_group_sttran_predicts_predicate_zero_at_score_zero():
    truth = gt([R["looking_at"]])
    p = pred([(CUP_BOX, CUP, 1.0, {"not_looking_at": 0.8, "beneath": 0.5})])  # contacting all 0
    # sttran: rows not_looking_at .8, beneath .5, then the all-zero contacting row as
    # (person, looking_at, cup) at score 0, which hits at rank 3
    assert recall(truth, p, "with_per_group", (2, 3), "sttran") == {2: 0.0, 3: 1.0}
    # ag: a zero-score triplet is not a prediction
    assert recall(truth, p, "with_per_group", (2, 3), "ag") == {2: 0.0, 3: 0.0}


def test_sttran_semi_skips_attention_when_its_first_two_scores_are_zero():
    truth = gt([R["unsure"]])
    p = pred([(CUP_BOX, CUP, 1.0, {"unsure": 0.95})])
    assert recall(truth, p, "semi", (10,), "sttran")[10] == 0.0
    assert recall(truth, p, "semi", (10,), "ag")[10] == 1.0
    p = pred([(CUP_BOX, CUP, 1.0, {"unsure": 0.95, "not_looking_at": 0.01})])
    assert recall(truth, p, "semi", (10,), "sttran")[10] == 1.0


# ----------------------------------------------------------------------------- ties, K, cap
def test_ties_ag_keeps_pair_order_sttran_reverses_numpy_default_argsort():
    truth = gt([R["holding"]])
    wrong, right = (FAR, CUP, 1.0, {"holding": 0.5}), (CUP_BOX, CUP, 1.0, {"holding": 0.5})
    assert recall(truth, pred([wrong, right]), "no", (1,), "ag")[1] == 0.0
    assert recall(truth, pred([right, wrong]), "no", (1,), "ag")[1] == 1.0
    # sttran, with_per_group: rows A1 A2 S1 S2 C1 C2 with scores 0 0 0 0 .5 .5; the best is
    # the last index of NumPy's default argsort
    best = np.argsort(np.array([0, 0, 0, 0, 0.5, 0.5]))[::-1][0]
    hit_if_last = 1.0 if best == 5 else 0.0
    assert recall(truth, pred([wrong, right]), "with_per_group", (1,), "sttran")[1] == hit_if_last
    assert recall(truth, pred([right, wrong]), "with_per_group", (1,), "sttran")[1] == \
        1.0 - hit_if_last


def test_float32_near_tie_ag_ties_sttran_ranks_by_float64():
    a = np.float32(1 - 2 ** -13)        # a * a = 1 - 2**-12 + 2**-26: float32 rounds it away
    c = np.float32(1 - 2 ** -12)
    assert np.float32(a) * np.float32(a) == c and float(a) * float(a) > float(c)
    truth = gt([R["holding"]])
    objects = [(FAR, CUP, float(c), {"holding": 1.0}), (CUP_BOX, CUP, float(a), {"holding": float(a)})]
    assert recall(truth, pred(objects), "with", (1,), "ag")[1] == 0.0        # tie: input order
    assert recall(truth, pred(objects), "with_per_group", (1,), "sttran")[1] == 1.0


def test_sttran_caps_no_at_100_per_frame_ag_does_not():
    truth = gt([R["holding"]])
    others = [(FAR, CHAIR, 1.0, {n: 0.5 for n in R}) for _ in range(20)]   # 120 triplets at .5
    p = pred(others + [(CUP_BOX, CUP, 1.0, {"holding": 0.01})])
    assert recall(truth, p, "no", (100, 200), "ag") == {100: 0.0, 200: 1.0}
    assert recall(truth, p, "no", (100, 200), "sttran") == {100: 0.0, 200: 0.0}


# ----------------------------------------------------------------------------- frames
@pytest.mark.parametrize("protocol", ["ag", "sttran"])
def test_empty_frames_missing_predictions_and_no_person(protocol):
    k2, k3 = "AAAAA.mp4/000002.png", "AAAAA.mp4/000003.png"
    truth = {KEY: gt([R["holding"]]), k2: SceneGraph.from_ground_truth(
        [CUP], [[]], object_boxes=[CUP_BOX], person_box=P_BOX, frame_key=k2),
        k3: gt([R["holding"]], key=k3)}
    no_person = SceneGraph.from_predictions([CUP_BOX], [CUP], [1.0], [], np.zeros((0, 26)),
                                            person=None, frame_key=KEY)
    r = evaluate_recall(truth, {KEY: no_person}, "no", (10,), protocol=protocol)
    assert r.frames_evaluated == 2 and r.frames_without_ground_truth == 1
    assert r.frame[10] == 0.0
    r = evaluate_recall(truth, {k3: pred([(CUP_BOX, CUP, 1.0, {"holding": .9})], key=k3)},
                        "no", (10,), protocol=protocol)
    assert r.frame[10] == 0.5


def test_frame_and_video_averages_and_mean_recall_by_hand():
    a1, a2, b1 = "A.mp4/000001.png", "A.mp4/000002.png", "B.mp4/000001.png"
    truth = {a1: gt([R["holding"]], a1), a2: gt([R["holding"]], a2),
             b1: gt([R["holding"], R["looking_at"]], b1)}
    hit = {k: pred([(CUP_BOX, CUP, 1.0, {"holding": 0.9})], k) for k in (a1, a2)}
    for protocol in ("ag", "sttran"):
        r = evaluate_recall(truth, hit, "no", (10,), protocol=protocol)
        assert r.frame[10] == pytest.approx(2 / 3)             # frames 1, 1, 0
        assert r.mean_frame[10] == pytest.approx((2 / 3 + 0) / 2)   # holding 2/3, looking 0
        assert r.video[10] == pytest.approx(0.5)                # videos 1 and 0
        assert r.mean_video[10] == pytest.approx((0.5 + 0) / 2)
    assert "recall_video_avg" not in r.as_dict() and "recall_frame_avg" in r.as_dict()


def test_mean_recall_of_one_frame_with_two_classes():
    truth = gt([R["holding"], R["looking_at"], R["beneath"]])
    p = pred([(CUP_BOX, CUP, 1.0, {"holding": 0.9, "beneath": 0.8})])
    r = evaluate_recall({KEY: truth}, {KEY: p}, "no", (1, 2), protocol="ag")
    assert r.frame == pytest.approx({1: 1 / 3, 2: 2 / 3})
    assert r.mean_frame == pytest.approx({1: 1 / 3, 2: 2 / 3})


# ----------------------------------------------------------------------------- data filter
def _frame(key, objects, person=True, split="test"):
    return AGFrame(key=key, video=key.split("/")[0], frame_number=int(key[-10:-4]), split=split,
                   objects=objects, person_box=np.array(P_BOX, np.float32) if person else None)


def test_protocol_frame_filters():
    big = AGObject(CUP, np.array([0, 0, 20, 30], np.float32), True, (R["holding"],))
    small = AGObject(CUP, np.array([0, 0, 15, 300], np.float32), True, (R["holding"],))
    frames = [_frame("V1.mp4/000001.png", [big, small]), _frame("V1.mp4/000002.png", [small]),
              _frame("V1.mp4/000003.png", [big]), _frame("V1.mp4/000004.png", [big], person=False),
              _frame("V2.mp4/000001.png", [big]), _frame("V2.mp4/000002.png", [big]),
              _frame("V3.mp4/000001.png", [big], split="train")]
    keys = lambda fs: [f.key for f in fs]   # noqa: E731
    ag = select_frames(frames, PROTOCOLS["ag"].frames, "sgdet")
    assert keys(ag) == ["V1.mp4/000001.png", "V1.mp4/000002.png", "V1.mp4/000003.png"]
    st = select_frames(frames, PROTOCOLS["sttran"].frames, "sgdet")
    assert keys(st) == []            # V1 keeps 2 frames once the 15-px box is gone
    st = select_frames(frames, PROTOCOLS["sttran"].frames, "predcls")
    assert keys(st) == keys(ag)
    loose = dataclasses.replace(PROTOCOLS["sttran"].frames, min_frames_per_video=1)
    st = select_frames(frames, loose, "sgcls")
    assert keys(st) == ["V1.mp4/000001.png", "V1.mp4/000003.png", "V2.mp4/000001.png",
                        "V2.mp4/000002.png"]
    assert len(st[0].objects) == 1


def test_protocols_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PROTOCOLS["ag"].no_cap = 5
    assert PROTOCOLS["sttran"].replace(no_cap=5).no_cap == 5 and PROTOCOLS["sttran"].no_cap == 100
