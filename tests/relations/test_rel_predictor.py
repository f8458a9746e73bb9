"""SceneGraphPredictor in predcls / sgcls / sgdet with a fake detector; pairs from ground truth."""
from dataclasses import dataclass
from typing import List, Optional

import numpy as np
import pytest
import torch

from sgfb.structures.vocab import AG_RELATIONSHIPS, OBJECTS
from sgfb.evaluation.sg_recall import evaluate_recall
from sgfb.relations.frequency import FrequencyPrior, count_relationships
from sgfb.relations.head import RelationHead
from sgfb.relations.pairs import RelationPairs, pairs_from_ground_truth
from sgfb.relations.predictor import SceneGraphPredictor
from sgfb.structures.scene_graph import SceneGraph

R = {name: i for i, name in enumerate(AG_RELATIONSHIPS)}
CUP, CHAIR, BOOK, TABLE = (OBJECTS.index(n) for n in ("cup/glass/bottle", "chair", "book", "table"))
SIZES = [(120, 160), (100, 140), (96, 128)]     # (height, width)
KEYS = ["V1.mp4/000001.png", "V1.mp4/000031.png", "V2.mp4/000001.png"]
PERSON_BOX = [10., 10, 60, 110]


@dataclass
class FakeDetections:
    boxes: torch.Tensor
    labels: torch.Tensor
    scores: torch.Tensor
    class_scores: Optional[torch.Tensor] = None
    features: Optional[torch.Tensor] = None
    keep: Optional[torch.Tensor] = None


def class_probabilities(box: torch.Tensor) -> torch.Tensor:
    """Deterministic classifier: class ``1 + int(x1) % 35`` scores 5, person 2, others 0."""
    logits = torch.zeros(36)
    logits[0] = 2.0
    logits[1 + int(box[0]) % 35] = 5.0
    return torch.softmax(logits, 0)


class FakeDetector:
    """Implements features / classify / detect deterministically (frames resized by 0.5)."""

    def __init__(self, make_features, detections: List[FakeDetections]):
        self.make_features = make_features
        self.detections = detections
        self.classified: List[torch.Tensor] = []

    def features(self, images):
        return self.make_features([tuple(im.shape[-2:]) for im in images], scale=0.5)

    def classify(self, feats, boxes):
        assert len(boxes) == len(feats)
        self.classified = boxes
        rows = [class_probabilities(b) for per_frame in boxes for b in per_frame]
        return torch.stack(rows) if rows else torch.zeros(0, 36)

    def detect(self, feats):
        assert len(feats) == len(self.detections)
        return self.detections


def images():
    return [torch.zeros(3, h, w) for h, w in SIZES]


def ground_truth():
    return [
        SceneGraph.from_ground_truth(
            [CUP, CHAIR],
            [[R["looking_at"], R["in_front_of"], R["holding"]],
             [R["not_looking_at"], R["beneath"], R["sitting_on"]]],
            object_boxes=[[50., 60, 90, 100], [0, 0, 30, 30]], person_box=PERSON_BOX,
            image_size=(160, 120), frame_key=KEYS[0]),
        # no objects
        SceneGraph.from_ground_truth([], [], object_boxes=[], person_box=PERSON_BOX,
                                     image_size=(140, 100), frame_key=KEYS[1]),
        # person box unknown: the object stays, no pair
        SceneGraph.from_ground_truth([BOOK], [[R["unsure"]]], object_boxes=[[5., 5, 20, 20]],
                                     person_box=None, image_size=(128, 96), frame_key=KEYS[2]),
    ]


def detections():
    t = torch.tensor
    return [
        FakeDetections(  # two persons (0.9 wins), cup, chair, and a table dropped by keep
            boxes=t([PERSON_BOX, [12., 8, 58, 112], [50, 60, 90, 100], [0, 0, 30, 30], [1, 1, 9, 9]]),
            labels=t([0, 0, CUP, CHAIR, TABLE]), scores=t([0.6, 0.9, 0.8, 0.3, 0.7]),
            keep=t([True, True, True, True, False])),
        FakeDetections(boxes=t([[5., 5, 50, 50]]), labels=t([BOOK]), scores=t([0.5])),  # no person
        FakeDetections(boxes=t([PERSON_BOX]), labels=t([0]), scores=t([0.95])),          # one box
    ]


def prior():
    return FrequencyPrior.from_counts(*count_relationships(ground_truth()))


def small_head():
    torch.manual_seed(0)
    head = RelationHead(in_channels=8, hidden_dim=16, geometry_hidden=8, pool_size=3)
    torch.nn.init.normal_(head.visual_scores.weight, std=0.5)
    torch.nn.init.normal_(head.geometry_scores.weight, std=0.5)
    return head


def check_common(graphs):
    assert [g.frame_key for g in graphs] == KEYS
    assert [g.image_size for g in graphs] == [(w, h) for h, w in SIZES]
    for g in graphs:
        assert g.relations.shape == (g.num_pairs, 26)
        assert np.all((g.relations >= 0) & (g.relations <= 1))
        assert np.allclose(g.attention.sum(1), 1, atol=1e-5)
        assert g.boxes is not None and np.isfinite(g.boxes).all()


@pytest.mark.parametrize("head_kind", ["prior", "reldn"])
def test_predcls(features_factory, head_kind):
    head = prior() if head_kind == "prior" else small_head()
    predictor = SceneGraphPredictor(FakeDetector(features_factory, detections()), head)
    graphs = predictor.predict(images(), KEYS, ground_truth(), mode="predcls")
    check_common(graphs)
    g0, g1, g2 = graphs
    assert g0.labels.tolist() == [0, CUP, CHAIR] and g0.person == 0
    assert g0.pair_objects.tolist() == [1, 2] and np.all(g0.scores == 1)
    assert np.allclose(g0.boxes, ground_truth()[0].boxes)
    if head_kind == "prior":
        assert np.allclose(g0.relations, head.probabilities(torch.tensor([CUP, CHAIR])).numpy())
    else:
        feats = features_factory(SIZES, scale=0.5)
        pairs = RelationPairs(torch.tensor([PERSON_BOX, PERSON_BOX]),
                              torch.tensor([[50., 60, 90, 100], [0, 0, 30, 30]]),
                              torch.tensor([CUP, CHAIR]), torch.tensor([0, 0]), 3)
        with torch.no_grad():
            expected = head(feats, pairs).probabilities().numpy()
        assert np.allclose(g0.relations, expected, atol=1e-6)
    assert g1.num_nodes == 1 and g1.person == 0 and g1.num_pairs == 0
    assert g2.labels.tolist() == [BOOK] and g2.person is None and g2.num_pairs == 0
    # the graphs go straight into the evaluation
    result = evaluate_recall({g.frame_key: g for g in ground_truth()},
                             {g.frame_key: g for g in graphs}, constraint="no")
    assert result.frames_evaluated == 2          # V2: person box unknown, cannot be hit
    assert result.per_video["V1"][50] == 1.0 and result.per_video["V2"][50] == 0.0


def test_sgcls(features_factory):
    detector = FakeDetector(features_factory, detections())
    graphs = SceneGraphPredictor(detector, small_head()).predict(
        images(), KEYS, ground_truth(), mode="sgcls")
    check_common(graphs)
    g0, g1, g2 = graphs
    person_prob = class_probabilities(torch.tensor(PERSON_BOX))
    # the person keeps its label with its person probability; objects take their best class
    assert g0.labels.tolist() == [0, 1 + 50 % 35, 1] and g0.person == 0
    assert g0.scores[0] == pytest.approx(float(person_prob[0]))
    assert g0.scores[1] == pytest.approx(float(person_prob.max()))
    assert g0.pair_objects.tolist() == [1, 2]
    assert g1.labels.tolist() == [0] and g1.num_pairs == 0
    assert g2.labels.tolist() == [1 + 5 % 35] and g2.person is None
    assert [len(b) for b in detector.classified] == [3, 1, 1]


@pytest.mark.parametrize("head_kind", ["prior", "reldn"])
def test_sgdet(features_factory, head_kind):
    head = prior() if head_kind == "prior" else small_head()
    graphs = SceneGraphPredictor(FakeDetector(features_factory, detections()), head).predict(
        images(), KEYS, None, mode="sgdet")
    check_common(graphs)
    g0, g1, g2 = graphs
    assert g0.person == 0 and g0.labels.tolist() == [0, CUP, CHAIR]
    assert np.allclose(g0.boxes[0], [12, 8, 58, 112])                 # the 0.9 person
    assert np.allclose(g0.scores, [0.9, 0.8, 0.3])
    assert g0.pair_objects.tolist() == [1, 2]
    assert g1.person is None and g1.labels.tolist() == [BOOK] and g1.num_pairs == 0
    assert g2.person == 0 and g2.num_nodes == 1 and g2.num_pairs == 0


def test_sgdet_nothing_detected(features_factory):
    empty = FakeDetections(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long), torch.zeros(0))
    graphs = SceneGraphPredictor(FakeDetector(features_factory, [empty] * 3), small_head()).predict(
        images(), KEYS, mode="sgdet")
    assert all(g.num_nodes == 0 and g.person is None for g in graphs)


def test_all_modes_from_one_features_pass_equal_separate_calls(features_factory):
    detector = FakeDetector(features_factory, detections())
    calls = []
    features = detector.features
    detector.features = lambda ims: calls.append(len(ims)) or features(ims)
    predictor = SceneGraphPredictor(detector, small_head())
    together = predictor.predict_modes(images(), KEYS, ground_truth())
    assert calls == [3] and list(together) == ["predcls", "sgcls", "sgdet"]
    for mode in ("predcls", "sgcls", "sgdet"):
        alone = predictor.predict(images(), KEYS, ground_truth(), mode=mode)
        for a, b in zip(alone, together[mode], strict=True):
            for field in ("boxes", "labels", "scores", "pair_objects", "relations"):
                assert np.array_equal(getattr(a, field), getattr(b, field)), (mode, field)
    assert len(calls) == 4
    with pytest.raises(ValueError, match="ground-truth"):
        predictor.predict_modes(images(), KEYS, None, ("sgdet", "sgcls"))


def test_predict_errors(features_factory):
    predictor = SceneGraphPredictor(FakeDetector(features_factory, detections()), prior())
    with pytest.raises(ValueError, match="unknown scene graph mode"):
        predictor.predict(images(), KEYS, ground_truth(), mode="sggen")
    with pytest.raises(ValueError, match="ground-truth"):
        predictor.predict(images(), KEYS, None, mode="predcls")
    with pytest.raises(ValueError, match="frame keys"):
        predictor.predict(images(), KEYS[:2], ground_truth(), mode="predcls")
    no_boxes = [SceneGraph.from_ground_truth([CUP], [[0]], frame_key=k) for k in KEYS]
    with pytest.raises(ValueError, match=KEYS[0]):
        predictor.predict(images(), KEYS, no_boxes, mode="sgcls")


def test_pairs_from_ground_truth():
    gts = ground_truth()
    gts[0].boxes[2] = np.nan                                    # chair box unknown: skipped
    graph_only = SceneGraph.from_ground_truth([CUP], [[0]])     # no boxes at all
    pairs, targets = pairs_from_ground_truth(gts + [graph_only, SceneGraph.empty()])
    assert pairs.num_frames == 5 and len(pairs) == 1
    assert pairs.frame_index.tolist() == [0] and pairs.object_labels.tolist() == [CUP]
    assert torch.equal(pairs.subject_boxes, torch.tensor([PERSON_BOX]))
    assert torch.equal(pairs.object_boxes, torch.tensor([[50., 60, 90, 100]]))
    assert targets.shape == (1, 26)
    assert torch.nonzero(targets[0]).reshape(-1).tolist() == sorted(
        [R["looking_at"], R["in_front_of"], R["holding"]])
    pairs, targets = pairs_from_ground_truth([])
    assert len(pairs) == 0 and pairs.num_frames == 0 and targets.shape == (0, 26)
