import numpy as np
import pytest

from sgfb.data.vocab import OBJECTS, RELATIONSHIPS
from sgfb.evaluation.sg_recall import box_iou, evaluate_recall
from sgfb.structures import SceneGraph

CUP, CHAIR = OBJECTS.index("cup/glass/bottle"), OBJECTS.index("chair")
R = {n: RELATIONSHIPS.index(n) for n in ("holding", "looking_at", "not_looking_at",
                                         "in_front_of", "beneath", "touching", "sitting_on")}
P_BOX, CUP_BOX, CHAIR_BOX = [0, 0, 100, 200], [40, 50, 60, 80], [10, 150, 90, 200]
KEY = "AAAAA.mp4/000001.png"


def gt_graph(key=KEY):
    return SceneGraph.from_ground_truth(
        [CUP, CHAIR], [[R["holding"], R["looking_at"]], [R["beneath"]]],
        object_boxes=[CUP_BOX, CHAIR_BOX], person_box=P_BOX, frame_key=key)


def pred_graph(key=KEY, chair_box=(60, 150, 140, 200)):
    rel = np.zeros((2, 26), np.float32)
    rel[0, [R["holding"], R["looking_at"], R["not_looking_at"], R["in_front_of"], R["touching"]]] = \
        [0.7, 0.6, 0.3, 0.5, 0.2]
    rel[1, [R["beneath"], R["sitting_on"]]] = [0.9, 0.4]
    return SceneGraph.from_predictions([P_BOX, CUP_BOX, list(chair_box)], [0, CUP, CHAIR],
                                       [0.9, 0.8, 0.5], [1, 2], rel, person=0, frame_key=key)


@pytest.mark.parametrize("constraint, expected", [
    # the chair's box is off (IoU < 0.5), so "beneath" never hits
    ("with", {1: 1 / 3, 2: 1 / 3, 10: 1 / 3}),                 # holding only
    ("with_per_group", {1: 1 / 3, 2: 2 / 3, 10: 2 / 3}),       # holding .504, looking_at .432
    ("semi", {1: 1 / 3, 2: 1 / 3, 10: 1 / 3}),                 # threshold .65: holding, beneath
    ("no", {1: 1 / 3, 2: 2 / 3, 10: 2 / 3}),
])
def test_hand_computed_recalls(constraint, expected):
    result = evaluate_recall({KEY: gt_graph()}, {KEY: pred_graph()}, constraint,
                             ks=(1, 2, 10), threshold=0.65)
    assert result.frame == pytest.approx(expected) and result.video == pytest.approx(expected)


def test_box_overlap_decides_hits():
    good_chair = evaluate_recall({KEY: gt_graph()}, {KEY: pred_graph(chair_box=CHAIR_BOX)},
                                 "with", ks=(10,))
    assert good_chair.frame[10] == pytest.approx(2 / 3)
    graph_only = evaluate_recall({KEY: gt_graph()}, {KEY: pred_graph()}, "with", ks=(10,),
                                 use_boxes=False)
    assert graph_only.frame[10] == pytest.approx(2 / 3)
    assert box_iou(np.array([[0, 0, 10, 10.0]]), np.array([[5, 0, 15, 10.0]]))[0, 0] == \
        pytest.approx(50 / 150)


def test_ties_follow_prediction_order():
    rel = np.zeros((1, 26), np.float32)
    rel[0, [R["looking_at"], R["holding"]]] = 0.5
    pred = SceneGraph.from_predictions([P_BOX, CUP_BOX], [0, CUP], [1, 1], [1], rel, 0)
    gt = SceneGraph.from_ground_truth([CUP], [[R["holding"]]], [CUP_BOX], P_BOX)
    # looking_at (index 0) comes before holding (index 14) and ties with it: R@1 misses
    assert evaluate_recall({KEY: gt}, {KEY: pred}, "no", ks=(1, 2)).frame == {1: 0.0, 2: 1.0}


def test_averaging_empty_and_missing_frames():
    gts = {
        "AAAAA.mp4/000001.png": gt_graph("AAAAA.mp4/000001.png"),
        "AAAAA.mp4/000002.png": gt_graph("AAAAA.mp4/000002.png"),     # missing prediction: 0
        "AAAAA.mp4/000003.png": SceneGraph.from_ground_truth([], [], frame_key="x"),  # no GT: left out
        "BBBBB.mp4/000001.png": gt_graph("BBBBB.mp4/000001.png"),
    }
    preds = {k: pred_graph(k, chair_box=CHAIR_BOX) for k in
             ("AAAAA.mp4/000001.png", "BBBBB.mp4/000001.png")}
    preds["BBBBB.mp4/000001.png"] = SceneGraph.from_predictions(          # no person detected
        [CUP_BOX], [CUP], [0.9], [], np.zeros((0, 26)), None)
    r = evaluate_recall(gts, preds, "no", ks=(50,))
    assert r.frames_evaluated == 3 and r.frames_without_ground_truth == 1
    assert r.per_video["AAAAA"][50] == pytest.approx(0.5) and r.per_video["BBBBB"][50] == 0.0
    assert r.video[50] == pytest.approx(0.25) and r.frame[50] == pytest.approx(1 / 3)
    assert r.as_dict()["recall_video_avg"]["R@50"] == pytest.approx(0.25)


def test_nothing_to_evaluate_and_bad_constraint():
    r = evaluate_recall({}, {}, "with")
    assert np.isnan(r.video[10]) and r.frames_evaluated == 0
    with pytest.raises(ValueError, match="constraint"):
        evaluate_recall({KEY: gt_graph()}, {}, "strict")
