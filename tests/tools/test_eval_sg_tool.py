import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from sgfb.data.action_genome import ActionGenome
from sgfb.synthetic import make_synthetic
from sgfb.structures import SceneGraph, save_graphs

ROOT = Path(__file__).resolve().parents[2]


def test_ground_truth_scores_full_recall_and_noise_scores_less(tmp_path):
    make_synthetic(str(tmp_path / "syn"), videos=3, seed=8, seconds=8.0, render=False)
    ann = tmp_path / "syn" / "annotations"
    ag = ActionGenome.load(str(ann), preset="keep_all")
    perfect, shifted = tmp_path / "perfect", tmp_path / "shifted"
    for video, keys in ag.videos.items():
        graphs = [ag.scene_graph(k) for k in keys]
        save_graphs(str(perfect / f"{video}.npz"), graphs)
        save_graphs(str(shifted / f"{video}.npz"), [
            SceneGraph.from_predictions(g.boxes + 1000, g.labels, g.scores, g.pair_objects,
                                        g.relations, g.person, frame_key=g.frame_key)
            for g in graphs])

    def run(pred, *extra):
        out = tmp_path / f"{pred.name}.json"
        proc = subprocess.run([sys.executable, str(ROOT / "tools" / "eval_sg.py"), "--annotations",
                               str(ann), "--predictions", str(pred), "--mode", "predcls",
                               "--constraint", "no", "--preset", "keep_all", "--out", str(out),
                               *extra], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        return json.loads(out.read_text()), proc.stdout

    metrics, printed = run(perfect)
    assert metrics["recall_video_avg"]["R@100"] == 1.0 and "per video" in printed
    assert metrics["frames_evaluated"] > 0
    metrics, _ = run(shifted)               # right graphs, boxes far off: no hit
    assert metrics["recall_frame_avg"]["R@100"] == 0.0
    assert np.isfinite(metrics["recall_video_avg"]["R@10"])


def test_missing_predictions_are_a_clear_error(tmp_path):
    make_synthetic(str(tmp_path / "syn"), videos=1, seed=8, seconds=4.0, render=False)
    (tmp_path / "empty").mkdir()
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "eval_sg.py"), "--annotations",
                           str(tmp_path / "syn" / "annotations"), "--predictions",
                           str(tmp_path / "empty"), "--mode", "sgdet", "--constraint", "with"],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "no scene-graph files" in proc.stderr
