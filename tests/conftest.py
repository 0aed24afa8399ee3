"""pytest fixtures for namespace-based tests: ``netns``, ``module_netns``,
``populated_ns``, and the ``differential`` marker.

Namespace tests never skip: without root (or without ``ip``/``netstat``) they
FAIL with a message saying why, because CI runs as root and a silently
skipped differential suite would look green while testing nothing.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Import the harness as the top-level module "netns" whether or not tests/ is
# a package, so every test module shares one copy of it.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from netns import (  # noqa: E402
    POPULATED_ADDRESSES,
    POPULATED_HOSTS,
    REPO_ROOT,
    NetNS,
    populate,
)


def pytest_configure(config: pytest.Config) -> None:
    """Register markers here rather than in an ini file."""
    config.addinivalue_line(
        "markers",
        "differential: runs netstat and pnetstat in a network namespace and "
        "compares their output byte for byte (needs root)",
    )


def require_namespace_support() -> None:
    """Fail (not skip) when namespace tests cannot run here."""
    if os.geteuid() != 0:
        pytest.fail(
            f"namespace tests need root (ip netns add, bind mounts over /etc); "
            f"running as uid {os.geteuid()}. Run the suite as root, as CI does.",
            pytrace=False,
        )
    missing = [tool for tool in ("ip", "netstat") if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"namespace tests need {', '.join(missing)} on PATH (packages iproute2, net-tools)",
            pytrace=False,
        )


@pytest.fixture
def namespace_support() -> None:
    """For tests that build their own NetNS: the same fail-don't-skip guard."""
    require_namespace_support()


@pytest.fixture
def netns() -> Iterator[NetNS]:
    """A fresh, empty namespace for one test; removed even if the test fails."""
    require_namespace_support()
    with NetNS() as ns:
        yield ns


@pytest.fixture(scope="module")
def module_netns() -> Iterator[NetNS]:
    """An empty namespace shared by the tests of one module."""
    require_namespace_support()
    with NetNS() as ns:
        yield ns


@pytest.fixture(scope="module")
def populated_ns() -> Iterator[NetNS]:
    """A namespace holding one socket of every kind (netns.POPULATED_SPEC),
    shared by a module.  ``populated_ns.holders[0]`` is the holder; its
    children share or own sockets.  TIME_WAIT and orphaned FIN_WAIT2 rows
    expire 60 s after creation, so tests needing them should make their own.
    """
    require_namespace_support()
    with NetNS(hosts=POPULATED_HOSTS, addresses=POPULATED_ADDRESSES) as ns:
        populate(ns)
        yield ns


@pytest.fixture(scope="session")
def readable_package() -> Iterator[Path]:
    """A copy of the package any user can import, for tests that run pnetstat as another
    user: the checkout itself may sit in a directory only its owner can enter (a ``mktemp -d``
    clone is 0700). Yields the directory to put on PYTHONPATH."""
    top = Path(tempfile.mkdtemp(prefix="pnetstat-readable-"))
    try:
        shutil.copytree(
            REPO_ROOT / "pnetstat", top / "pnetstat", ignore=shutil.ignore_patterns("__pycache__")
        )
        for path in [top, *top.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        yield top
    finally:
        shutil.rmtree(top, ignore_errors=True)
