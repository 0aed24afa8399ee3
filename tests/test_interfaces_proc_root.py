"""-i with --proc-root on a copied tree whose /proc/net/dev names an interface the namespace
lacks: pnetstat prints what netstat prints reading the same tree (through a bind mount over
/proc), both inside one test namespace: the interfaces sorted before the missing one, then
netstat's two error lines and status 1. A name with control bytes is the README's deliberate
difference: the message names it escaped."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from netns import NetNS, pnetstat_cmd

from tests.tools.escape_rule import escape_name

pytestmark = pytest.mark.differential

COUNTERS = b" 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
FILES = ("dev", "if_inet6", "dev_mcast")


@pytest.fixture(scope="module")
def namespace() -> Iterator[NetNS]:
    with NetNS() as ns:
        for command in (
            ["link", "add", "pnt-va", "type", "veth", "peer", "name", "pnt-vb"],
            ["link", "set", "pnt-va", "up"],
            ["link", "set", "pnt-vb", "up"],
            ["addr", "add", "10.78.0.1/24", "dev", "pnt-va"],
        ):
            subprocess.run(["ip", "-n", ns.name, *command], check=True, capture_output=True)
        yield ns


def _copy(ns: NetNS, tree: Path, extra: bytes) -> None:
    """The namespace's /proc/net files, copied into ``tree``, with ``extra`` after net/dev."""
    (tree / "net").mkdir(parents=True)
    for name in FILES:
        done = ns.run(["cat", f"/proc/net/{name}"])
        assert done.returncode == 0, done.stderr
        data = done.stdout + (extra if name == "dev" else b"")
        (tree / "net" / name).write_bytes(data)


def _netstat(ns: NetNS, tree: Path, flags: list[str]) -> subprocess.CompletedProcess[bytes]:
    mount = f"mount --bind {tree} /proc && exec netstat {' '.join(flags)}"
    return ns.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", mount])


@pytest.mark.parametrize("flags", [["-i"], ["-ia"], ["-ie"]])
def test_missing_interface_as_netstat(namespace: NetNS, tmp_path: Path, flags: list[str]) -> None:
    _copy(namespace, tmp_path, b"pnt-gone0:" + COUNTERS)
    theirs = _netstat(namespace, tmp_path, flags)
    ours = namespace.run(pnetstat_cmd([*flags, f"--proc-root={tmp_path}"]))
    assert theirs.returncode == 1 and b"pnt-gone0: error fetching" in theirs.stderr
    assert b"lo" in theirs.stdout  # the rows before the missing one are printed
    assert (ours.stdout, ours.stderr, ours.returncode) == (
        theirs.stdout,
        theirs.stderr,
        theirs.returncode,
    )


def test_missing_interface_with_control_bytes(namespace: NetNS, tmp_path: Path) -> None:
    """README, "control characters in interface names": only the name in the message differs."""
    name = b"pnt-\x1b[2Jx"
    _copy(namespace, tmp_path, name + b":" + COUNTERS)
    theirs = _netstat(namespace, tmp_path, ["-i"])
    ours = namespace.run(pnetstat_cmd(["-i", f"--proc-root={tmp_path}"]))
    assert name in theirs.stderr
    assert ours.stdout == theirs.stdout and ours.returncode == theirs.returncode == 1
    assert ours.stderr == theirs.stderr.replace(name, escape_name(name))
    assert b"\x1b" not in ours.stderr
