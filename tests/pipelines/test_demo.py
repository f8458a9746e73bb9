import json

import numpy as np

from sgfb.pipelines.demo import run_demo
from sgfb.visualization.draw import load_rgb


def test_demo_runs_end_to_end(tmp_path):
    lines = []
    result = run_demo(str(tmp_path), videos=3, seed=3, seconds=4.0, workers=1, sheet_frames=4,
                      log=lines.append)
    sheet = load_rgb(result.contact_sheet)
    assert sheet.shape[0] > 200 and sheet.std() > 10          # a real picture, not blank
    ag = result.stats["ag"]
    assert ag["videos"] >= 1 and ag["frames"] == len(list((tmp_path / "frames").rglob("*.png")))
    assert result.stats["charades"]["videos"] == 3
    printed = json.loads(next(line for line in lines if line.startswith("{")))
    assert printed == result.stats
    assert all(np.isfinite(v) for v in result.seconds.values())
