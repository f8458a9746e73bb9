"""README commands cannot rot: every tool's ``--help`` shows a worked example (its module
docstring, layout kept), and every ``tools/X.py`` command written in README.md names an
existing tool and only options that tool's ``--help`` lists.

The tools run in this process (``main(["--help"])``), so the check costs imports, not a
Python start per tool."""
from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
from functools import lru_cache
from typing import List, Tuple

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "tools")) if f.endswith(".py"))
TOOL_CALL = re.compile(r"tools/([a-z_0-9]+)\.py")
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")


@lru_cache(maxsize=None)
def tool_help(name: str) -> str:
    spec = importlib.util.spec_from_file_location(f"_tool_{name}",
                                                  os.path.join(ROOT, "tools", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_info:
        module.main(["--help"])
    assert exit_info.value.code in (0, None), name
    return out.getvalue()


def readme_commands(text: str) -> List[Tuple[int, str]]:
    """(line, command) of each tools/X.py call: in fenced blocks (backslash continuations
    joined) and in inline code spans."""
    found: List[Tuple[int, str]] = []
    lines, in_block, pending, start = text.split("\n"), False, "", 0
    for number, line in enumerate(lines, 1):
        if line.startswith("```"):
            in_block, pending = not in_block, ""
            continue
        if in_block:
            if not pending:
                start = number
            pending += line.rstrip("\\") + " "
            if not line.endswith("\\"):
                if TOOL_CALL.search(pending) and not pending.lstrip().startswith("#"):
                    found.append((start, pending.strip()))
                pending = ""
        else:
            found += [(number, span) for span in re.findall(r"`([^`]*tools/[a-z_0-9]+\.py[^`]*)`",
                                                            line)]
    return found


@pytest.mark.parametrize("name", TOOLS)
def test_every_tool_help_shows_a_worked_example(name):
    text = tool_help(name)
    example = re.search(rf"^ +python tools/{name}\.py .+$", text, re.MULTILINE)
    assert example, f"tools/{name}.py --help shows no example command"
    # RawDescriptionHelpFormatter keeps the docstring's layout: the example line is verbatim
    with open(os.path.join(ROOT, "tools", f"{name}.py"), encoding="utf-8") as f:
        assert example.group(0) in f.read()


def test_readme_commands_name_real_tools_and_options():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        commands = readme_commands(f.read())
    assert len(commands) >= 10
    problems = []
    for line, command in commands:
        for tool in TOOL_CALL.findall(command):
            if tool not in TOOLS:
                problems.append(f"README.md:{line}: no tools/{tool}.py")
                continue
            listed = set(OPTION.findall(tool_help(tool)))
            problems += [f"README.md:{line}: tools/{tool}.py has no option {o}"
                         for o in OPTION.findall(command) if o not in listed]
    assert not problems, "\n".join(problems)


def test_readme_scan_finds_blocks_spans_and_bad_options():
    text = ("```bash\n# tools/x.py in a comment\n.venv/bin/python tools/a.py --one \\\n"
            "    --two\n```\nsee `tools/b.py --three` here\n")
    assert readme_commands(text) == [(3, ".venv/bin/python tools/a.py --one      --two"),
                                     (6, "tools/b.py --three")]
