"""Run psutil's own connection tests with pnetstat.compat standing in for psutil's calls.

Usage: ``python tests/psutil_runner.py SDIST_DIR SUMMARY_JSON``. ``SDIST_DIR`` holds the
``tests/`` directory of psutil's sdist (``make test`` unpacks it into
``.venv/psutil-VERSION``); the installed psutil must be that version. The tests of
:data:`SELECTED` run, minus :data:`DESELECTED` (exact node ids, each with the documented
difference that makes it fail); the outcome of every test goes to ``SUMMARY_JSON``.
``tests/test_psutil_suite.py`` runs this inside a fresh network namespace.

Before psutil's tests are imported, ``psutil.net_connections`` and
``psutil.Process.net_connections`` are replaced by adapters over ``pnetstat.compat``: they
read the root psutil would read (``psutil.PROCFS_PATH``, which ``test_procfs_path`` changes)
and turn the standard exceptions back into psutil's (``ProcessLookupError`` ->
``NoSuchProcess``, ``PermissionError`` -> ``AccessDenied``). The entries are pnetstat's own
namedtuples, so psutil's checks of types and fields see ours. The adapters count their calls,
so a run in which psutil's own code answered shows.

Importing this module changes nothing (the test collection imports it); only :func:`main`
patches psutil.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import sysconfig
import tempfile
from typing import Any

PSUTIL_VERSION = "7.2.2"

# The connection tests of psutil 7.2.2 (paths as in its sdist).
SELECTED = (
    "tests/test_connections.py",
    "tests/test_contracts.py::TestSystemAPITypes::test_net_connections",
    "tests/test_unicode.py::TestFSAPIs::test_proc_net_connections",
    "tests/test_unicode.py::TestFSAPIs::test_net_connections",
    "tests/test_unicode.py::TestFSAPIsWithInvalidPath::test_proc_net_connections",
    "tests/test_unicode.py::TestFSAPIsWithInvalidPath::test_net_connections",
    "tests/test_linux.py::TestSystemNetConnections",
    "tests/test_linux.py::TestMisc::test_procfs_path",
    "tests/test_linux.py::TestProcess::test_net_connections_enametoolong",
)

# node id -> why it fails against pnetstat.compat (the README names these).
DESELECTED: dict[str, str] = {}


def substitute(calls: dict[str, int]) -> None:
    """Replace psutil's two connection calls with pnetstat.compat's."""
    import psutil

    from pnetstat import compat

    def net_connections(kind: str = "inet") -> list[compat.sconn]:
        calls["net_connections"] += 1
        return compat.net_connections(kind, proc=psutil.PROCFS_PATH)

    def process_net_connections(self: psutil.Process, kind: str = "inet") -> list[compat.pconn]:
        calls["process_connections"] += 1
        try:
            return compat.process_connections(self.pid, kind, proc=psutil.PROCFS_PATH)
        except ProcessLookupError as exc:
            raise psutil.NoSuchProcess(self.pid) from exc
        except PermissionError as exc:
            raise psutil.AccessDenied(self.pid) from exc

    psutil.net_connections = net_connections  # type: ignore[assignment]
    psutil.Process.net_connections = process_net_connections  # type: ignore[method-assign]


class Recorder:
    """A pytest plugin: applies :data:`DESELECTED` exactly and records every outcome."""

    def __init__(self, deselect: dict[str, str]) -> None:
        self.deselect = deselect
        self.outcomes: dict[str, str] = {}
        self.skip_reasons: dict[str, str] = {}
        self.deselected: list[str] = []

    def pytest_configure(self, config: Any) -> None:
        # psutil's tests group serial tests for pytest-xdist, which is not used here.
        config.addinivalue_line("markers", "xdist_group(name): pytest-xdist grouping")

    def pytest_collection_modifyitems(self, config: Any, items: list[Any]) -> None:
        kept, dropped = [], []
        for item in items:
            (dropped if item.nodeid in self.deselect else kept).append(item)
        self.deselected = [item.nodeid for item in dropped]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.failed:
            self.outcomes[report.nodeid] = "failed" if report.when == "call" else "error"
        elif report.skipped:
            self.outcomes[report.nodeid] = "skipped"
            longrepr = report.longrepr
            reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
            self.skip_reasons[report.nodeid] = reason
        elif report.when == "call":
            self.outcomes.setdefault(report.nodeid, "passed")


def main(argv: list[str]) -> int:
    """Run the selected tests; write the summary; return pytest's exit status."""
    sdist, summary_path = (os.path.abspath(arg) for arg in argv[:2])
    import psutil
    import pytest

    if psutil.__version__ != PSUTIL_VERSION:
        print(f"psutil {psutil.__version__} installed, the tests are {PSUTIL_VERSION}'s")
        return 2
    calls = {"net_connections": 0, "process_connections": 0}
    substitute(calls)
    # psutil's tests start their helper processes with os.path.realpath(sys.executable)
    # (tests/__init__.py, _get_py_exe): for a venv that is the base interpreter, which would
    # not find psutil. The venv's packages go to them through PYTHONPATH.
    packages = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    inherited = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([*packages, *([inherited] if inherited else [])])
    recorder = Recorder(DESELECTED)
    # psutil's tests create their files (unix sockets among them) in the temp directory and
    # some in the working directory: both are a private directory, removed afterwards.
    work = tempfile.mkdtemp(prefix="pnetstat-psutil-")
    tempfile.tempdir = work
    try:
        os.chdir(work)
        status = pytest.main(
            [
                "-c", os.devnull,  # not psutil's pytest configuration (xdist, instafail)
                "--rootdir", sdist,
                "-p", "no:cacheprovider",
                "-W", "error",
                "-q",
                *(os.path.join(sdist, node) for node in SELECTED),
            ],
            plugins=[recorder],
        )  # fmt: skip
    finally:
        os.chdir("/")
        shutil.rmtree(work, ignore_errors=True)
    summary = {
        "psutil": psutil.__version__,
        "status": int(status),
        "outcomes": recorder.outcomes,
        "skip_reasons": recorder.skip_reasons,
        "deselected": recorder.deselected,
        "calls": calls,
    }
    with open(summary_path, "w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=1, sort_keys=True)
    return int(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
