import numpy as np
import pytest

from sgfb.structures import SceneGraph, save_graphs
from sgfb.structures.graph_file import load_graph_source, load_graph_table
from sgfb.structures.graph_table import GraphTable


def _graphs(video, n):
    out = []
    for i in range(n):
        key = f"{video}.mp4/{i + 1:06d}.png"
        rel = np.full((i, 26), 0.25 * i, np.float32)
        out.append(SceneGraph.from_predictions(np.arange(4 * (i + 1)).reshape(-1, 4), [0] + [3] * i,
                                               np.ones(i + 1), np.arange(1, i + 1), rel,
                                               person=0, frame_key=key))
    return out


def test_one_file_and_folder_read_the_same_graphs(tmp_path):
    a, b = _graphs("AAAAA", 3), _graphs("BBBBB", 2)
    save_graphs(str(tmp_path / "dir" / "AAAAA.npz"), a)
    save_graphs(str(tmp_path / "dir" / "BBBBB.npz"), b)
    save_graphs(str(tmp_path / "all.npz"), a + b)
    folder, single = load_graph_source(str(tmp_path / "dir")), load_graph_source(str(tmp_path / "all.npz"))
    assert list(folder) == list(single) == [g.frame_key for g in a + b]
    for g in a + b:
        assert folder[g.frame_key].equals(g) and single[g.frame_key].equals(g)
    table = load_graph_table(str(tmp_path / "dir"))
    assert table.node_offsets.tolist() == [0, 1, 3, 6, 7, 9]
    assert table.pair_offsets.tolist() == [0, 0, 1, 3, 3, 4]
    assert GraphTable.from_graphs(a + b).graph(2).equals(a[2])


def test_duplicate_frames_across_files_and_missing_paths_are_errors(tmp_path):
    save_graphs(str(tmp_path / "d" / "x.npz"), _graphs("AAAAA", 2))
    save_graphs(str(tmp_path / "d" / "y.npz"), _graphs("AAAAA", 1))
    with pytest.raises(ValueError, match="more than one file"):
        load_graph_table(str(tmp_path / "d"))
    with pytest.raises(FileNotFoundError, match="nope"):
        load_graph_table(str(tmp_path / "nope.npz"))
