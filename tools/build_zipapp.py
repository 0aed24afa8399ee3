"""Build the single-file pnetstat: ``python3 tools/build_zipapp.py [OUT]`` (default
dist/pnetstat.pyz), what ``make zipapp`` runs.

The archive holds the package's sources and, beside each, its byte code compiled by the
interpreter that builds it (unchecked-hash .pyc files, which zipimport loads without comparing
times; another Python version ignores them and compiles the sources). It needs nothing but a
Python 3.11+ standard library, and starts as ``./pnetstat.pyz``, ``python3 pnetstat.pyz`` or,
quickest, ``python3 -S pnetstat.pyz``; renamed ``netstat``, its messages say ``netstat``.

The layout is chosen for start-up (issue 17; instructions counted with callgrind for an idle
``python3 -S pnetstat.pyz -tan``, 107 M with ``zipapp.create_archive``'s layout, 86 M with
this one): the byte code is stored, not deflated (zipimport inflates every module it loads:
13 M), the sources beside it are deflated (read only by tracebacks and other Pythons);
``__main__`` has byte code too (without it the interpreter compiles ``__main__.py``, and
its first compile sets up the compiler: 8 M); and there are no directory entries.
"""

from __future__ import annotations

import compileall
import importlib.util
import marshal
import os
import py_compile
import shutil
import stat
import sys
import tempfile
import zipfile
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
SHEBANG = b"#!/usr/bin/env python3\n"
# As the installed command starts (scripts/pnetstat says why the collector is off).
MAIN = "import gc\ngc.disable()\nimport pnetstat.cli\npnetstat.cli.run()\n"


def _unchecked_pyc(source: str, filename: str) -> bytes:
    """``source`` compiled as py_compile writes an unchecked-hash .pyc (PEP 552)."""
    code = compile(source, filename, "exec", dont_inherit=True)
    flags = (0b01).to_bytes(4, "little")  # hash-based, not checked against the source
    digest = importlib.util.source_hash(source.encode())
    return importlib.util.MAGIC_NUMBER + flags + digest + marshal.dumps(code)


def build(target: Path, *, main: str = MAIN, package: bool = True) -> Path:
    """Write the zipapp to ``target`` and return it. Without ``package`` the archive holds
    only ``__main__`` (bench/startup.py times one whose ``main`` is ``pass``: the
    interpreter's own zipapp start, laid out as pnetstat's)."""
    with tempfile.TemporaryDirectory() as staging:
        files = _compiled_package(Path(staging)) if package else []
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            out.write(SHEBANG)
            with zipfile.ZipFile(out, "w") as archive:
                archive.writestr("__main__.py", main, zipfile.ZIP_DEFLATED)
                archive.writestr("__main__.pyc", _unchecked_pyc(main, "__main__.py"))
                for path in files:
                    name = path.relative_to(staging).as_posix()
                    stored = path.suffix == ".pyc"
                    kind = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                    archive.write(path, name, kind)
        mode = os.stat(target).st_mode
        os.chmod(target, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return target


def _compiled_package(staging: Path) -> list[Path]:
    """The package's sources copied under ``staging``, each with its byte code beside it."""
    package = staging / "pnetstat"
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
    return [path for path in sorted(package.rglob("*")) if path.is_file()]


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else TOP / "dist" / "pnetstat.pyz"
    print(build(out))
