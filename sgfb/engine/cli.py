"""Shared behaviour of the command-line tools: one parser style, checked argument types, and
one entry wrapper that turns user errors into a single ``tool: error: ...`` line.

A user error (missing file, wrong format, bad value) prints one line and exits 1; argparse's
own usage errors exit 2. Program bugs keep their traceback. ``--debug`` (every tool's parser
has it) or ``SGFB_DEBUG=1`` shows the traceback of user errors too.
"""
from __future__ import annotations

import argparse
import os
import pickle
import sys
from typing import Callable, Optional, Sequence


class UserError(ValueError):
    """Bad input the user can fix; the message names the file, video, row or key."""


#: Exceptions that mean "the input is wrong", not "the program is wrong". The readers raise
#: ValueError / KeyError naming the file and key; decoders raise VideoDecodeError (a
#: RuntimeError) naming the video; pickles that are not what they claim raise UnpicklingError.
USER_ERRORS = (UserError, ValueError, KeyError, FileNotFoundError, NotADirectoryError,
               IsADirectoryError, PermissionError, FileExistsError, pickle.UnpicklingError)


def tool_parser(doc: Optional[str]) -> argparse.ArgumentParser:
    """The parser every tool starts from: the module docstring as description with its line
    breaks kept (so the usage examples read as written), and ``--debug``."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true",
                        help="show Python tracebacks for input errors (or set SGFB_DEBUG=1)")
    return parser


def _number(kind: type, test: Callable[[float], bool], words: str) -> Callable[[str], float]:
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {words}") from None
        if not test(value) or value != value or value in (float("inf"), float("-inf")):
            raise argparse.ArgumentTypeError(f"{text!r} is not a {words}")
        return value

    parse.__name__ = words.replace(" ", "_")
    return parse


positive_int = _number(int, lambda v: v > 0, "positive integer")
nonnegative_int = _number(int, lambda v: v >= 0, "non-negative integer")
positive_float = _number(float, lambda v: v > 0, "positive number")
nonnegative_float = _number(float, lambda v: v >= 0, "non-negative number")
probability = _number(float, lambda v: 0 <= v <= 1, "number between 0 and 1")


def debug_requested(argv: Optional[Sequence[str]] = None) -> bool:
    argv = sys.argv[1:] if argv is None else argv
    return "--debug" in argv or os.environ.get("SGFB_DEBUG", "") not in ("", "0")


def user_error_message(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc) or type(exc).__name__


def _loaded(module: str, name: str) -> Optional[type]:
    """A class from ``module`` if that module is imported (an exception can only be an
    instance of a class that exists), without importing anything heavy here."""
    return getattr(sys.modules.get(module), name, None)


def run_cli(main: Callable[[Optional[Sequence[str]]], int], prog: str) -> None:
    """Run a tool's ``main`` and exit with its status; a user error (bad input, missing file,
    unknown key, unreadable video) is printed as one line naming the tool."""
    name = os.path.basename(prog)
    try:
        sys.exit(main(None))
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        interrupted = _loaded("sgfb.engine.trainer", "Interrupted")
        if interrupted is not None and isinstance(exc, interrupted):
            print(f"{name}: {exc}", file=sys.stderr)  # checkpoint saved
            sys.exit(143)  # 128 + SIGTERM, as schedulers expect
        decode_error = _loaded("sgfb.data.video", "VideoDecodeError")
        user = USER_ERRORS + ((decode_error,) if decode_error is not None else ())
        if not isinstance(exc, user) or debug_requested():
            raise
        print(f"{name}: error: {user_error_message(exc)}", file=sys.stderr)
        sys.exit(1)
