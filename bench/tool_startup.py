#!/usr/bin/env python
"""Start-up time of every tool: the wall time of ``python tools/X.py --help``.

    python bench/tool_startup.py [--repeat 3] [--tools demo train_sgfb]

Runs each tool's ``--help`` in a fresh interpreter ``--repeat`` times (rounds interleaved over
the tools, so load on a shared machine spreads over all of them) and prints a Markdown table of
the median wall seconds per tool, with the heavy modules the ``--help`` imported (see
``HEAVY``). The first row is ``python -c "import torch"``, the reference cost of one heavy
import. The load average before and after is printed: absolute times are noise on a shared
machine, compare rows of one run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "torchvision", "torch_geometric", "cv2", "av", "matplotlib", "scipy",
         "sklearn")
#: Runs a tool's --help in this interpreter and prints the heavy modules it imported.
_PROBE = (
    "import contextlib, io, runpy, sys\n"
    "tool = sys.argv[1]; sys.argv = [tool, '--help']\n"
    "try:\n"
    "    with contextlib.redirect_stdout(io.StringIO()): runpy.run_path(tool, run_name='__main__')\n"
    "except SystemExit: pass\n"
    f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n")


def environment() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def heavy_imports(tool: Path) -> list:
    """The heavy modules a ``--help`` of ``tool`` imports (in a fresh interpreter)."""
    done = subprocess.run([sys.executable, "-c", _PROBE, str(tool)], capture_output=True,
                          text=True, env=environment(), cwd=ROOT, check=True, timeout=300)
    return done.stdout.split()


def seconds(command: list) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, env=environment(), cwd=ROOT, check=True,
                   timeout=300)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool (median kept)")
    parser.add_argument("--tools", nargs="*", help="tool names (default: every tools/*.py)")
    args = parser.parse_args(argv)
    tools = sorted((ROOT / "tools").glob("*.py"))
    if args.tools:
        tools = [t for t in tools if t.stem in set(args.tools)]
    commands = {"`import torch` (reference)": [sys.executable, "-c", "import torch"]}
    commands.update({t.stem: [sys.executable, str(t), "--help"] for t in tools})
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    times = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, command in commands.items():
            times[name].append(seconds(command))
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print(f"| tool | `--help` wall s (median of {args.repeat}) | heavy modules imported |")
    print("|---|---|---|")
    for name, runs in times.items():
        heavy = "torch" if name.startswith("`") else " ".join(heavy_imports(ROOT / "tools" /
                                                                            f"{name}.py"))
        print(f"| {name} | {statistics.median(runs):.2f} | {heavy or '-'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
