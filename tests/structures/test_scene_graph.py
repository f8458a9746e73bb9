import numpy as np
import pytest
import torch

from sgfb.structures.vocab import OBJECTS, RELATIONSHIPS
from sgfb.structures import SceneGraph, load_graphs, save_graphs

CUP, CHAIR = OBJECTS.index("cup/glass/bottle"), OBJECTS.index("chair")
HOLDING, LOOKING, BENEATH = (RELATIONSHIPS.index(n) for n in ("holding", "looking_at", "beneath"))


def _gt():
    return SceneGraph.from_ground_truth(
        object_labels=[CUP, CHAIR],
        object_relations=[[LOOKING, HOLDING], [BENEATH]],
        object_boxes=[[10, 20, 30, 40], None],
        person_box=None,
        image_size=(320, 240),
        frame_key="AB12C.mp4/000007.png",
    )


def test_ground_truth_layout():
    g = _gt()
    assert g.labels.tolist() == [0, CUP, CHAIR]
    assert g.person == 0 and g.pair_objects.tolist() == [1, 2]
    assert g.scores.tolist() == [1.0, 1.0, 1.0]
    assert np.flatnonzero(g.relations[0]).tolist() == [LOOKING, HOLDING]
    assert g.attention.shape == (2, 3) and g.spatial.shape == (2, 6) and g.contacting.shape == (2, 17)
    assert g.attention[0].tolist() == [1, 0, 0] and g.spatial[1].tolist() == [0, 1, 0, 0, 0, 0]
    assert np.isnan(g.boxes[0]).all() and np.isnan(g.boxes[2]).all()
    assert g.boxes[1].tolist() == [10, 20, 30, 40]
    assert g.pair_labels.tolist() == [CUP, CHAIR]


def test_triplets_follow_group_direction():
    t = _gt().triplets()
    assert (0, LOOKING, CUP, 1.0) in t and (0, HOLDING, CUP, 1.0) in t
    assert (CHAIR, BENEATH, 0, 1.0) in t  # spatial: object -> person
    assert len(t) == 3


def test_graph_without_boxes():
    g = SceneGraph.from_ground_truth([CUP], [[HOLDING]])
    assert g.boxes is None and not g.has_boxes


def test_from_predictions_accepts_tensors_and_no_person():
    g = SceneGraph.from_predictions(
        boxes=torch.tensor([[0.0, 0, 5, 5], [1, 1, 4, 4]]), labels=torch.tensor([0, CUP]),
        scores=torch.tensor([0.9, 0.4]), pair_objects=torch.tensor([1]),
        relation_scores=torch.full((1, 26), 0.25), person=0)
    assert g.scores.dtype == np.float32 and g.relations.shape == (1, 26)
    lone_cup = SceneGraph.from_predictions(
        boxes=[[1, 1, 4, 4]], labels=[CUP], scores=[0.8], pair_objects=np.zeros(0),
        relation_scores=np.zeros((0, 26)), person=None)
    assert lone_cup.num_pairs == 0 and lone_cup.person is None


@pytest.mark.parametrize("kwargs, message", [
    (dict(person=1), "has label"),
    (dict(person=None), "pairs without a person"),
    (dict(pair_objects=[0]), "joins the person to itself"),
    (dict(pair_objects=[5]), "outside the nodes"),
    (dict(labels=[0, 36]), "labels outside"),
    (dict(scores=[1.0]), "1 scores for 2 nodes"),
])
def test_invalid_graphs_name_the_frame(kwargs, message):
    args = dict(labels=[0, CUP], scores=[1.0, 1.0], person=0, pair_objects=[1],
                relations=np.zeros((1, 26)), frame_key="V.mp4/000001.png")
    args.update(kwargs)
    with pytest.raises(ValueError, match=rf"V\.mp4/000001\.png.*{message}"):
        SceneGraph(**args)


def test_save_load_round_trip(tmp_path):
    graphs = [
        _gt(),
        SceneGraph.empty("AB12C.mp4/000009.png", image_size=(320, 240)),
        SceneGraph.from_ground_truth([CHAIR], [[BENEATH]], frame_key="AB12C.mp4/000011.png"),
        SceneGraph.from_predictions([[0, 0, 9, 9], [2, 2, 3, 3]], [0, CUP], [0.9, 0.3], [1],
                                    np.linspace(0, 1, 26)[None], person=0,
                                    frame_key="AB12C.mp4/000013.png"),
    ]
    path = tmp_path / "AB12C.npz"
    save_graphs(str(path), graphs)
    loaded = load_graphs(str(path))
    assert list(loaded) == [g.frame_key for g in graphs]
    for g in graphs:
        assert loaded[g.frame_key].equals(g), g.frame_key
    assert loaded["AB12C.mp4/000011.png"].boxes is None
    assert not list(tmp_path.glob(".tmp-*"))


def test_save_empty_video_and_reject_bad_input(tmp_path):
    save_graphs(str(tmp_path / "none.npz"), [])
    assert load_graphs(str(tmp_path / "none.npz")) == {}
    with pytest.raises(ValueError, match="no frame_key"):
        save_graphs(str(tmp_path / "x.npz"), [SceneGraph.empty()])
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(ValueError, match="junk.npz"):
        load_graphs(str(tmp_path / "junk.npz"))


def test_ground_truth_accepts_numpy_boxes():
    g = SceneGraph.from_ground_truth(np.array([CUP, CHAIR]), [[HOLDING], [BENEATH]],
                                     object_boxes=np.array([[0, 0, 1, 1], [2, 2, 3, 3]], float),
                                     person_box=np.array([0, 0, 5, 5], float))
    assert g.boxes.tolist() == [[0, 0, 5, 5], [0, 0, 1, 1], [2, 2, 3, 3]]
