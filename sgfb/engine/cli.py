"""Shared behaviour of the command-line tools."""
from __future__ import annotations

import os
import sys
from typing import Callable, Optional, Sequence

USER_ERRORS = (ValueError, KeyError, FileNotFoundError)


def run_cli(main: Callable[[Optional[Sequence[str]]], int], prog: str) -> None:
    """Run a tool's ``main`` and exit with its status; a user error (bad input, missing file,
    unknown key) is printed as one line naming the tool, not as a traceback."""
    try:
        sys.exit(main(None))
    except RuntimeError as exc:
        # sgfb.engine.trainer.Interrupted, looked up only when raised: importing the trainer
        # here would import torch into tools that do not need it (tools/eval_sg.py)
        trainer = sys.modules.get("sgfb.engine.trainer")
        if trainer is None or not isinstance(exc, trainer.Interrupted):
            raise
        print(f"{os.path.basename(prog)}: {exc}", file=sys.stderr)   # checkpoint saved
        sys.exit(143)                                  # 128 + SIGTERM, as schedulers expect
    except USER_ERRORS as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        sys.exit(f"{os.path.basename(prog)}: error: {message}")
