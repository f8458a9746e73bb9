import json
import os

from sgfb.inference.result import read_result_json
from sgfb.demo import DemoConfig, format_table, run_demo


def test_demo_runs_the_whole_job_end_to_end(tmp_path):
    lines = []
    config = DemoConfig(videos=5, seconds=4.0, seed=0, workers=1, detector_iters=2,
                        relation_iters=2, action_iters=2, infer_videos=1)
    result = run_demo(str(tmp_path), config, log=lines.append)
    m = result.metrics
    for mode in ("predcls", "sgdet"):
        for head in ("reldn", "frequency"):
            assert 0.0 <= m[f"{mode} R@20 (no) {head}"] <= 1.0
    assert 0.0 <= m["SGFB (FBO-NL, predicted banks) mAP"] <= 1.0
    assert 0.0 <= m["ST-SGN mAP"] <= 1.0
    [path] = result.inference_paths
    prediction = read_result_json(path)
    assert prediction.actions and prediction.sampled_frames
    assert os.path.exists(path[:-len(".json")] + ".annotated.mp4")
    assert os.path.exists(result.outputs["report"])
    saved = json.loads((tmp_path / "demo_metrics.json").read_text())
    assert saved["metrics"] == m
    assert "SGFB" in format_table(m) and any(line.startswith("[6/6]") for line in lines)
