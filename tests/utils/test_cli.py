"""The shared tool entry: checked argument types, one error line for user errors, tracebacks
for bugs or on request, one help formatter for every tool."""
import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sgfb.utils.cli import (UserError, nonnegative_int, positive_float, positive_int,
                             probability, run_cli)

ROOT = Path(__file__).resolve().parents[2]
TOOLS = sorted((ROOT / "tools").glob("*.py"))


@pytest.mark.parametrize("parse,good,bad", [
    (positive_int, {"1": 1, "12": 12}, ["0", "-1", "1.5", "x", ""]),
    (nonnegative_int, {"0": 0, "3": 3}, ["-1", "nan"]),
    (positive_float, {"0.5": 0.5, "2": 2.0}, ["0", "-0.1", "nan", "inf", "x"]),
    (probability, {"0": 0.0, "1": 1.0, "0.9": 0.9}, ["1.01", "-0.1", "nan"]),
])
def test_argument_types(parse, good, bad):
    assert {text: parse(text) for text in good} == good
    for text in bad:
        with pytest.raises(argparse.ArgumentTypeError, match=re.escape(repr(text))):
            parse(text)


def _exit_of(main, capsys, monkeypatch, argv=()):
    monkeypatch.setattr(sys, "argv", ["tool.py", *argv])
    with pytest.raises(SystemExit) as stop:
        run_cli(main, "/somewhere/tool.py")
    return stop.value.code, capsys.readouterr().err


@pytest.mark.parametrize("exc,message", [
    (UserError("data.csv: line 3: bad"), "data.csv: line 3: bad"),
    (KeyError("video 'X' is not in a.csv"), "video 'X' is not in a.csv"),
    (FileNotFoundError(2, "No such file or directory", "/x/model.pt"),
     "/x/model.pt: No such file or directory"),
])
def test_user_errors_are_one_line_exit_1(exc, message, capsys, monkeypatch):
    def main(argv):
        raise exc
    code, err = _exit_of(main, capsys, monkeypatch)
    assert code == 1 and err == f"tool.py: error: {message}\n"


def test_debug_flag_or_variable_shows_the_traceback(capsys, monkeypatch):
    def main(argv):
        raise UserError("bad input")
    monkeypatch.setattr(sys, "argv", ["tool.py", "--debug"])
    with pytest.raises(UserError):
        run_cli(main, "tool.py")
    monkeypatch.setattr(sys, "argv", ["tool.py"])
    monkeypatch.setenv("SGFB_DEBUG", "1")
    with pytest.raises(UserError):
        run_cli(main, "tool.py")


def test_program_bugs_keep_their_traceback(monkeypatch):
    def main(argv):
        raise TypeError("a bug")
    monkeypatch.setattr(sys, "argv", ["tool.py"])
    with pytest.raises(TypeError, match="a bug"):
        run_cli(main, "tool.py")


def test_exit_status_is_passed_on(capsys, monkeypatch):
    assert _exit_of(lambda argv: 3, capsys, monkeypatch) == (3, "")


def test_a_reader_error_reaches_the_user_as_one_line(tmp_path):
    bad = tmp_path / "Charades_v1_train.csv"
    bad.write_text("id,actions,length\nAAAAA,c001 nan 2.0,3.0\n")
    tool = str(ROOT / "tools" / "dataset_stats.py")
    done = subprocess.run([sys.executable, tool, "--charades", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        f"dataset_stats.py: error: {bad}: line 2, video 'AAAAA': field 'actions': start 'nan' "
        "of 'c001 nan 2.0' is not a finite time >= 0"]
    traced = subprocess.run([sys.executable, tool, "--charades", str(bad), "--debug"],
                            capture_output=True, text=True, timeout=120)
    assert traced.returncode == 1 and "Traceback (most recent call last)" in traced.stderr


def _load_tool(path: Path):
    spec = importlib.util.spec_from_file_location(f"tool_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("tool", TOOLS, ids=[t.stem for t in TOOLS])
def test_every_tool_has_debug_and_shows_its_examples_as_written(tool, capsys, monkeypatch):
    module = _load_tool(tool)
    assert "run_cli(main, __file__)" in tool.read_text()
    with pytest.raises(SystemExit) as stop:
        module.main(["--help"])
    assert stop.value.code == 0
    shown = capsys.readouterr().out
    assert "--debug" in shown
    examples = [line for line in module.__doc__.splitlines() if "tools/" in line
                and line.startswith("    ")]
    for line in examples:  # continuation lines keep their backslash and line break
        assert line in shown.splitlines(), line


#: Modules a tool may import only once it runs, never to print its --help (issue #13: every
#: --help in under a second; torch alone takes ~1.7 s to import).
HEAVY_MODULES = ("torch", "torchvision", "torch_geometric", "torchcodec", "pytorchvideo",
                 "cv2", "av", "decord", "matplotlib", "scipy", "sklearn")
_HELP_PROBE = """
import contextlib, io, json, runpy, sys
tool, heavy = sys.argv[1], sys.argv[2].split(",")
sys.argv = [tool, "--help"]
shown = io.StringIO()
try:
    with contextlib.redirect_stdout(shown):
        runpy.run_path(tool, run_name="__main__")
    code = None
except SystemExit as stop:
    code = stop.code
print(json.dumps({"code": code, "usage": shown.getvalue().startswith("usage:"),
                  "heavy": [m for m in heavy if m in sys.modules]}))
"""


@pytest.mark.parametrize("tool", TOOLS, ids=[t.stem for t in TOOLS])
def test_every_tool_help_imports_no_heavy_module(tool):
    """A fresh interpreter runs ``tools/X.py --help`` as a script: it prints the usage, exits 0
    and has imported none of HEAVY_MODULES (the heavy parts are imported after parsing)."""
    done = subprocess.run([sys.executable, "-c", _HELP_PROBE, str(tool), ",".join(HEAVY_MODULES)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"code": 0, "usage": True, "heavy": []}
