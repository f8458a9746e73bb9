#!/usr/bin/env python
"""Start-up time of every tool: the wall time of ``python tools/X.py --help``.

    python bench/tool_startup.py [--repeat 3] [--tools demo train_sgfb] [--baseline DIR]

Runs each tool's ``--help`` in a fresh interpreter ``--repeat`` times (rounds interleaved over
the tools, so load on a shared machine spreads over all of them) and prints a Markdown table of
the median wall seconds per tool, with the heavy modules the ``--help`` imported (see
``HEAVY``). The first row is ``python -c "import torch"``, the reference cost of one heavy
import. ``--baseline DIR``: another checkout of sgfb (e.g. ``git worktree add /tmp/old main``)
whose tools are timed in the same rounds, as the "before" columns. The load average before and
after is printed: absolute times are noise on a shared machine, compare rows of one run.
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


def environment(root: Path) -> dict:
    """This environment with ``root`` first on PYTHONPATH (the checkout whose sgfb is used)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(root)
    return env


def heavy_imports(root: Path, tool: str) -> str:
    """The heavy modules ``tools/TOOL.py --help`` of ``root`` imports (fresh interpreter)."""
    done = subprocess.run([sys.executable, "-c", _PROBE, str(root / "tools" / f"{tool}.py")],
                          capture_output=True, text=True, env=environment(root), cwd=root,
                          check=True, timeout=300)
    return " ".join(done.stdout.split()) or "-"


def seconds(command: list, root: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, env=environment(root), cwd=root,
                   check=True, timeout=300)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool (median kept)")
    parser.add_argument("--tools", nargs="*", help="tool names (default: every tools/*.py)")
    parser.add_argument("--baseline", type=Path,
                        help="another sgfb checkout, timed in the same rounds as 'before'")
    args = parser.parse_args(argv)
    tools = [t.stem for t in sorted((ROOT / "tools").glob("*.py"))
             if not args.tools or t.stem in args.tools]
    roots = ([args.baseline.resolve()] if args.baseline else []) + [ROOT]
    reference = "`python -c \"import torch\"` (reference)"
    runs = {(reference, ROOT): [sys.executable, "-c", "import torch"]}
    for tool in tools:
        for root in roots:
            if (root / "tools" / f"{tool}.py").exists():
                runs[(tool, root)] = [sys.executable, str(root / "tools" / f"{tool}.py"), "--help"]
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    times = {key: [] for key in runs}
    for _ in range(args.repeat):
        for key, command in runs.items():
            times[key].append(seconds(command, key[1]))
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")

    def cells(tool: str, root: Path) -> list:
        if (tool, root) not in times:
            return ["", ""]
        heavy = "torch" if tool == reference else heavy_imports(root, tool)
        return [f"{statistics.median(times[(tool, root)]):.2f}", heavy]

    label = {root: ("before: " if root != ROOT else "after: ") if len(roots) > 1 else ""
             for root in roots}
    head = [f"{label[root]}{what}"
            for root in roots for what in (f"wall s (median of {args.repeat})", "heavy imports")]
    print("| tool | " + " | ".join(head) + " |")
    print("|---" * (1 + len(head)) + "|")
    for tool in [reference] + tools:
        row = [c for root in roots for c in cells(tool, root)]
        print(f"| {tool} | " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
