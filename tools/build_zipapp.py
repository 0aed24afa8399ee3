"""Build the single-file pnetstat: ``python3 tools/build_zipapp.py [OUT]`` (default
dist/pnetstat.pyz), what ``make zipapp`` runs.

The archive holds the package's sources and, beside each, its byte code compiled by the
interpreter that builds it (unchecked-hash .pyc files, which zipimport loads without comparing
times; another Python version ignores them and compiles the sources). It needs nothing but a
Python 3.11+ standard library, and starts as ``./pnetstat.pyz``, ``python3 pnetstat.pyz`` or,
quickest, ``python3 -S pnetstat.pyz``; renamed ``netstat``, its messages say ``netstat``.
"""

from __future__ import annotations

import compileall
import py_compile
import shutil
import sys
import tempfile
import zipapp
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent


def build(target: Path) -> Path:
    """Write the zipapp to ``target`` and return it."""
    with tempfile.TemporaryDirectory() as staging:
        package = Path(staging) / "pnetstat"
        shutil.copytree(
            TOP / "pnetstat", package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        compiled = compileall.compile_dir(
            package,
            quiet=1,
            legacy=True,  # name.pyc beside name.py: where zipimport looks
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        if not compiled:
            raise SystemExit("byte-compiling the package failed")
        target.parent.mkdir(parents=True, exist_ok=True)
        zipapp.create_archive(
            staging,
            target,
            interpreter="/usr/bin/env python3",
            main="pnetstat.cli:run",
            compressed=True,
        )
    return target


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else TOP / "dist" / "pnetstat.pyz"
    print(build(out))
