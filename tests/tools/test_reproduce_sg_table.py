"""The README's "Reproduce a published-style scene-graph table" commands, run as written
(paths substituted) on a tiny trained checkpoint: tools/test_sg.py saves one graph file,
tools/eval_sg.py scores it under both protocols, and the ag numbers equal test_sg's own."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
HEADING = "### Reproduce a published-style scene-graph table"


def readme_commands():
    """The block's commands as argument lists; "..." stands for the arguments of the same
    tool's previous command that come before its --protocol."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        block = f.read().split(HEADING, 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands, current = [], []
    for line in block.splitlines():
        line = line.split(" #", 1)[0].rstrip()
        current += line.rstrip("\\").split()
        if current and not line.endswith("\\"):
            commands.append(current)
            current = []
    previous = {}
    for i, cmd in enumerate(commands):
        if "..." in cmd:
            before = previous[cmd[1]]
            before = before[2:before.index("--protocol")]
            j = cmd.index("...")
            commands[i] = cmd = cmd[:j] + before + cmd[j + 1:]
        previous[cmd[1]] = cmd
    return commands


def test_readme_table_commands_run_as_written(sg_run, sg_dataset, tmp_path):
    commands = readme_commands()
    assert [c[:2] for c in commands] == [["python", "tools/test_sg.py"],
                                         ["python", "tools/eval_sg.py"],
                                         ["python", "tools/eval_sg.py"]]
    paths = {"runs/sg/model.pt": str(sg_run / "model.pt"),
             "AG/annotations": str(sg_dataset["annotations"]), "AG/frames": str(sg_dataset["frames"]),
             "runs/sg/sgdet_test.npz": str(tmp_path / "sgdet_test.npz")}
    extra = {"tools/test_sg.py": ["--device", "cpu", "--no-progress", "--out",
                                  str(tmp_path / "test_sg.json")]}
    outs = []
    for i, cmd in enumerate(commands):
        args = [paths.get(a, a) for a in cmd[1:]]
        args[0] = os.path.join(ROOT, args[0])
        if cmd[1] == "tools/eval_sg.py":
            outs.append(tmp_path / f"eval_{i}.json")
            args += ["--out", str(outs[-1])]
        subprocess.run([sys.executable, *args, *extra.get(cmd[1], [])], env=ENV, check=True,
                       capture_output=True, timeout=600)
    assert sorted(os.listdir(tmp_path)) == ["eval_1.json", "eval_2.json", "sgdet_test.npz",
                                            "test_sg.json"]          # one graph file
    sttran = json.loads(outs[0].read_text())
    assert sttran["protocol"] == "sttran"
    assert set(sttran["constraints"]) == {"with_per_group", "semi", "no"}
    for r in sttran["constraints"].values():
        assert set(r["recall_frame_avg"]) == {"R@10", "R@20", "R@50"}
        assert set(r["mean_recall_frame_avg"]) == {"mR@10", "mR@20", "mR@50"}
        assert "recall_video_avg" not in r and set(r["timing"]) == {"load_s", "evaluate_s"}
    ag = json.loads(outs[1].read_text())
    own = json.loads((tmp_path / "test_sg.json").read_text())["constraints"]["with"]
    assert ag["protocol"] == "ag" and ag["constraint"] == "with" and ag["frames_evaluated"] > 0
    for avg in ("recall_video_avg", "recall_frame_avg"):
        assert ag[avg] == {k: own[avg][k] for k in ("R@10", "R@20", "R@50")}
