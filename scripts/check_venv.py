"""Refuse to re-point a virtual environment at this checkout when it already holds an
editable install of sgfb from another folder (make setup runs this first).

Usage: python -I scripts/check_venv.py CHECKOUT
"""
import json
import os
import sys
from importlib import metadata
from urllib.parse import unquote, urlparse


def installed_from() -> str:
    try:
        dist = metadata.distribution("sgfb")
    except metadata.PackageNotFoundError:
        return ""
    text = dist.read_text("direct_url.json") or "{}"
    url = json.loads(text).get("url", "")
    return os.path.realpath(unquote(urlparse(url).path)) if url.startswith("file:") else ""


def main() -> int:
    checkout = os.path.realpath(sys.argv[1])
    other = installed_from()
    if other and other != checkout:
        print(f"make: this virtual environment ({sys.prefix}) holds sgfb installed from "
              f"{other}, not from {checkout}.\n      Use another VENV=path for this checkout, or "
              f"run `make setup FORCE_VENV=1` to re-point it here.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
