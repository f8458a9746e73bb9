"""Shared behaviour of the command-line tools."""
from __future__ import annotations

import os
import sys
from typing import Callable, Optional, Sequence

USER_ERRORS = (ValueError, KeyError, FileNotFoundError)


def run_cli(main: Callable[[Optional[Sequence[str]]], int], prog: str) -> None:
    """Run a tool's ``main`` and exit with its status; a user error (bad input, missing file,
    unknown key) is printed as one line naming the tool, not as a traceback."""
    from sgfb.engine.trainer import Interrupted

    try:
        sys.exit(main(None))
    except Interrupted as exc:  # checkpoint saved; 128 + SIGTERM, as schedulers expect
        print(f"{os.path.basename(prog)}: {exc}", file=sys.stderr)
        sys.exit(143)
    except USER_ERRORS as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        sys.exit(f"{os.path.basename(prog)}: error: {message}")
