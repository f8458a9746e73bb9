import numpy as np
import pytest

from sgfb.data.action_genome import ActionGenome
from sgfb.synthetic import make_synthetic
from sgfb.structures import SceneGraph, save_graphs
from sgfb.stsgn.experiment import load_graph_data


@pytest.fixture(scope="module")
def annotations(tmp_path_factory):
    out = tmp_path_factory.mktemp("exp") / "syn"
    make_synthetic(str(out), videos=4, seed=9, seconds=8.0, render=False)
    return out / "annotations"


def test_predicted_graphs_replace_ground_truth(annotations, tmp_path):
    ag = ActionGenome.load(str(annotations))
    graphs_dir = tmp_path / "graphs"
    for video, keys in ag.videos.items():
        predicted = []
        for key in keys:
            g = ag.scene_graph(key)
            predicted.append(SceneGraph.from_predictions(
                g.boxes, g.labels, np.full(g.num_nodes, 0.5), g.pair_objects,
                g.relations * 0.8, g.person, frame_key=key))
        save_graphs(str(graphs_dir / f"{video}.npz"), predicted)
    truth = load_graph_data(str(annotations))
    pred = load_graph_data(str(annotations), graphs_dir=str(graphs_dir))
    assert pred.frame_index == truth.frame_index
    # e* = s_o * s_r = 0.5 * 0.8 wherever the ground truth has a relationship
    assert np.allclose(pred.graphs.edge_vector.numpy(), 0.4 * truth.graphs.edge_vector.numpy())


def test_missing_predicted_frames_are_named(annotations, tmp_path):
    (tmp_path / "graphs").mkdir()
    with pytest.raises(KeyError, match="no predicted graph for"):
        load_graph_data(str(annotations), graphs_dir=str(tmp_path / "graphs"))


def test_evaluate_csv_wider_columns_and_unlabelled_videos(tmp_path):
    from sgfb.data.charades import ActionInstance, Charades, CharadesVideo
    from sgfb.stsgn.experiment import evaluate_csv
    charades = Charades([CharadesVideo("AAAAA", 5.0, [ActionInstance(1, 0.0, 5.0)]),
                         CharadesVideo("BBBBB", 5.0, [ActionInstance(0, 0.0, 5.0)])])
    path = tmp_path / "scores.csv"
    path.write_text("video_id,c000,c001,c002\nAAAAA,0.1,0.9,0.5\nBBBBB,0.8,0.2,0.1\n"
                    "ZZZZZ,0.5,0.5,0.5\n")
    result = evaluate_csv(str(path), charades)
    assert result["samples"] == 2 and result["skipped_unlabelled"] == 1
    assert result["mAP"] == 1.0 and result["top1"] == 1.0


def test_repeated_pairs_keep_the_largest_score():
    from sgfb.stsgn.graphs import FrameGraphs
    rel = np.zeros((2, 26), np.float32)
    rel[0, 0], rel[1, 1] = 0.9, 0.8
    g = SceneGraph.from_predictions(np.zeros((2, 4)), [0, 10], [1.0, 1.0], [1, 1], rel, 0)
    edge = FrameGraphs.from_scene_graphs([g], relationships=[0, 1]).edge_vector
    assert edge[1].tolist() == pytest.approx([0.9, 0.8])
