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


def _predicted(ag, keys):
    out = []
    for key in keys:
        g = ag.scene_graph(key)
        out.append(SceneGraph.from_predictions(
            g.boxes, g.labels, np.full(g.num_nodes, 0.5), g.pair_objects,
            g.relations * 0.8, g.person, frame_key=key))
    return out


@pytest.mark.parametrize("layout", ["folder", "one-file"])
def test_predicted_graphs_replace_ground_truth(annotations, tmp_path, layout):
    """--graphs: a folder of per-video files, or the one-file graph set of test_sg --save-graphs."""
    ag = ActionGenome.load(str(annotations))
    if layout == "folder":
        source = tmp_path / "graphs"
        for video, keys in ag.videos.items():
            save_graphs(str(source / f"{video}.npz"), _predicted(ag, keys))
    else:
        source = tmp_path / "graphs.npz"
        save_graphs(str(source), [g for keys in ag.videos.values() for g in _predicted(ag, keys)])
    truth = load_graph_data(str(annotations))
    pred = load_graph_data(str(annotations), graphs=str(source))
    assert pred.frame_index == truth.frame_index
    # e* = s_o * s_r = 0.5 * 0.8 wherever the ground truth has a relationship
    assert np.allclose(pred.graphs.edge_vector.numpy(), 0.4 * truth.graphs.edge_vector.numpy())


def test_missing_predicted_frames_are_named(annotations, tmp_path):
    ag = ActionGenome.load(str(annotations))
    video, keys = next(iter(ag.videos.items()))
    save_graphs(str(tmp_path / "one.npz"), _predicted(ag, keys))
    with pytest.raises(KeyError, match="one.npz: no predicted graph for"):
        load_graph_data(str(annotations), graphs=str(tmp_path / "one.npz"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="empty: no scene-graph files"):
        load_graph_data(str(annotations), graphs=str(tmp_path / "empty"))


def _charades():
    from sgfb.data.charades import ActionInstance, Charades, CharadesVideo
    return Charades([CharadesVideo("AAAAA", 5.0, [ActionInstance(1, 0.0, 5.0)]),
                     CharadesVideo("BBBBB", 5.0, [ActionInstance(0, 0.0, 5.0)]),
                     CharadesVideo("CCCCC", 5.0, [])])


def test_evaluate_csv_scores_one_split_and_excludes_classes_without_positives(tmp_path):
    from sgfb.stsgn.experiment import evaluate_csv
    path = tmp_path / "scores.csv"
    # c002 has no positive: excluded; AP(c000) = 1, AP(c001) = 1/2 (BBBBB ranks above AAAAA)
    path.write_text("video_id,split,c000,c001,c002\nAAAAA,test,0.1,0.3,0.5\n"
                    "BBBBB,test,0.8,0.4,0.1\nCCCCC,test,0.0,0.0,0.9\n")
    result = evaluate_csv(str(path), _charades())
    assert result["split"] == "test" and result["samples"] == 3
    assert result["mAP"] == pytest.approx(0.75)
    assert result["classes_scored"] == 2 and result["classes_without_positives"] == 1
    assert result["per_class_ap"] == {"c000": 1.0, "c001": 0.5}
    assert "Charades protocol" in result["protocol"]
    assert result["top1"] == pytest.approx(0.5)     # AAAAA's best (c002) is wrong


@pytest.mark.parametrize("text, message", [
    ("video_id,split,c000,c001\nAAAAA,test,0.1,0.9\nZZZZZ,test,0.5,0.5\n",
     "row 3: video 'ZZZZZ' has no labels"),
    ("video_id,split\nAAAAA,test\n", "no class columns"),
    # the cases as a user has them (no split column): were NaN / 1.0, exit 0
    ("video_id,c000,c001\nAAAAA,0.1,0.9\nZZZZZ,0.5,0.5\n", "row 3: video 'ZZZZZ' has no labels"),
    ("video_id,c000,c001\nZZZZZ,0.5,0.5\n", "row 2: video 'ZZZZZ' has no labels"),
    ("video_id\nAAAAA\n", "no class columns"),
    ("video_id,c000,c001\nAAAAA,0.1\n", "row 2: 2 values for 3 columns (missing columns ['c001'])"),
    ("video_id,c000,c001\nAAAAA,0.1,0.2,0.3\n", "row 2: 4 values for 3 columns"),
    ("video_id,c000,c001\nAAAAA,0.1,high\n", "row 2: column c001: score 'high' is not a number"),
    ("video_id,c000,c001\nAAAAA,0.1,nan\n", "row 2: column c001: score is not finite"),
    ("video_id,c000,c002\nAAAAA,0.1,0.2\n", "missing class columns ['c001']"),
    ("video_id,c000,score\nAAAAA,0.1,0.2\n", "unexpected columns ['score']"),
    ("video_id,c000\nAAAAA,0.1\n", "row 2: labelled class c001 has no column"),
    ("video_id,split,c000,c001\nAAAAA,train,0.1,0.9\nBBBBB,test,0.5,0.5\n",
     "rows of several splits ['test', 'train']"),
    ("video_id,c000,c001\n", "no rows to score"),
    ("video_id,c000,c001\nCCCCC,0.1,0.9\n", "none of the 1 scored samples has a positive"),
    ("frame_key,c000,c001\nAAAAA/x.png,0.1,0.9\n", "row 2: malformed frame key"),
])
def test_evaluate_csv_refuses_what_would_lie(tmp_path, text, message):
    from sgfb.stsgn.experiment import evaluate_csv
    path = tmp_path / "scores.csv"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        evaluate_csv(str(path), _charades(), fps=lambda v: 30.0)
    assert str(path) in str(info.value) and message in str(info.value)


def test_prediction_split_selection():
    from sgfb.stsgn.scores_csv import video_split_of, videos_for
    split = {"train": ["A", "B"], "val": ["C"], "test": ["D"]}
    videos = ["A", "B", "C", "D", "E"]
    assert videos_for("test", videos, split) == ["D", "E"]    # E: never seen by the checkpoint
    assert videos_for("train", videos, split) == ["A", "B"]
    assert videos_for("val", videos, split) == ["C"]
    assert videos_for("all", videos, split) == videos
    assert [video_split_of(split)(v) for v in videos] == ["train", "train", "val", "test", "unseen"]
    with pytest.raises(ValueError, match="records no video split"):
        videos_for("train", videos, None)


def test_per_class_table_sorted_with_names():
    from sgfb.stsgn.scores_csv import per_class_table
    table = per_class_table({"c000": 0.25, "c001": 0.75}, ["Holding clothes", "Opening a door"])
    assert table.splitlines()[2:] == ["| c001 | Opening a door | 0.7500 |",
                                      "| c000 | Holding clothes | 0.2500 |"]


def test_repeated_pairs_keep_the_largest_score():
    from sgfb.stsgn.graphs import FrameGraphs
    rel = np.zeros((2, 26), np.float32)
    rel[0, 0], rel[1, 1] = 0.9, 0.8
    g = SceneGraph.from_predictions(np.zeros((2, 4)), [0, 10], [1.0, 1.0], [1, 1], rel, 0)
    edge = FrameGraphs.from_scene_graphs([g], relationships=[0, 1]).edge_vector
    assert edge[1].tolist() == pytest.approx([0.9, 0.8])
