"""Differential tests of the socket listing: netstat and pnetstat, same flags, same namespace.

The namespace (tests/conftest.py ``populated_ns``) holds every kind of socket from holder
processes with known names; each flag set must give the same stdout, stderr and exit status,
with only queue sizes and timers masked where two netstat runs show they moved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from netns import NetNS, assert_same, compare, netstat_cmd, pnetstat_cmd

pytestmark = pytest.mark.differential

# Selections of point 4 of the foundation issue, each also run with -n.
SELECTIONS = [
    [], ["-a"], ["-l"], ["-t"], ["-u"], ["-U"], ["-w"], ["-x"],
    ["-at"], ["-au"], ["-aU"], ["-aw"], ["-ax"], ["-lt"], ["-lu"], ["-lx"], ["-lw"],
    ["-tu"], ["-tul"], ["-atu"], ["-atuwx"], ["-ltuwUx"],
    ["-4"], ["-6"], ["-a4"], ["-a6"], ["-l6"], ["-x", "-4"], ["-t6"],
    ["-A", "inet,unix"], ["-a", "-A", "inet6"], ["--inet", "-a"], ["--unix", "-a"],
    ["-a", "--tcp", "--udp"],
]  # fmt: skip

# Column options, each on the full listing (with and without -n).
MODIFIERS = [
    ["-e"], ["-ee"], ["-o"], ["-p"], ["-W"], ["-ep"], ["-eo"], ["-pW"], ["-epoW"],
    ["--numeric-hosts"], ["--numeric-ports"], ["--numeric-users", "-e"],
    ["--numeric-hosts", "--numeric-ports"],
]  # fmt: skip

# What people type from habit.
HABITS = [
    ["-tulpn"], ["-anp"], ["-tanp"], ["-xap"], ["-tulpen"], ["-tunapo"], ["-antp"],
    ["-anep"], ["-lnp"], ["-ltnp"], ["-uanp"], ["-wanp"], ["-xlp"], ["-aWp"], ["-v"],
    ["-av"], ["-lv"], ["-tv"], ["--all", "--programs", "--numeric"], ["--extend", "--extend", "-a"],
    ["-S"], ["-tS"], ["-aS"], ["-S", "-6"], ["-lS", "-6"], ["-S", "-4"], ["-tx", "-2"], ["--ipx"], ["-x", "--ipx", "-t"], ["-A", "ipx,unix"],
    ["-A", "ddp"], ["-A", "econet", "-n"], ["--tcpip", "-t"], ["-d", "-n"], ["-F", "-n"],
]  # fmt: skip
# netstat ignores words that are not options ("stray args -tn", "-n -- -a"); pnetstat reads
# them as a filter: the README's deliberate difference, pinned in test_cli_behaviour.py.


def _ids(sets: list[list[str]]) -> list[str]:
    return [" ".join(s) or "(none)" for s in sets]


def _source(source: str) -> Callable[[Sequence[str]], list[str]]:
    """pnetstat with --source added (before a "--", which ends the options)."""

    def argv(flags: Sequence[str]) -> list[str]:
        if "--" in flags:
            return pnetstat_cmd([f"--source={source}", *flags])
        return pnetstat_cmd([*flags, f"--source={source}"])

    return argv


SOURCES = ["netlink", "proc"]


@pytest.mark.parametrize("flags", SELECTIONS, ids=_ids(SELECTIONS))
@pytest.mark.parametrize("numeric", [False, True], ids=["names", "n"])
@pytest.mark.parametrize("source", SOURCES)
def test_selection(populated_ns: NetNS, flags: list[str], numeric: bool, source: str) -> None:
    flags = [*flags, "-n"] if numeric else flags
    assert_same(compare(populated_ns, flags, candidate=_source(source)))


@pytest.mark.parametrize("flags", MODIFIERS, ids=_ids(MODIFIERS))
@pytest.mark.parametrize("numeric", [False, True], ids=["names", "n"])
@pytest.mark.parametrize("source", SOURCES)
def test_columns(populated_ns: NetNS, flags: list[str], numeric: bool, source: str) -> None:
    flags = ["-a", *flags, *(["-n"] if numeric else [])]
    assert_same(compare(populated_ns, flags, candidate=_source(source)))


@pytest.mark.parametrize("flags", HABITS, ids=_ids(HABITS))
@pytest.mark.parametrize("source", SOURCES)
def test_habits(populated_ns: NetNS, flags: list[str], source: str) -> None:
    assert_same(compare(populated_ns, flags, candidate=_source(source)))


def test_populated_rows_present(populated_ns: NetNS) -> None:
    """The namespace really holds what the comparisons claim to cover."""
    out = populated_ns.run(["netstat", "-anp"]).stdout.decode()
    for needle in ("LISTEN", "ESTABLISHED", "CLOSE_WAIT", "udp6", "udpl", "raw6", "SEQPACKET",
                   "@pnt-abstract", "pnt-holder", "pnt-holder-2", "/pnt-abs-hol",
                   "/pnt spaced ", "/pnt-a-very-l", "DGRAM"):  # fmt: skip
        assert needle in out, needle


def test_transient_states(netns: NetNS) -> None:
    """TIME_WAIT and FIN_WAIT2/CLOSE_WAIT rows, in a fresh namespace (they expire in 60 s)."""
    netns.spawn_holder(
        {
            "sockets": [
                {"id": "tw4", "kind": "tcp_time_wait", "family": 4},
                {"id": "tw6", "kind": "tcp_time_wait", "family": 6},
                {"id": "cw", "kind": "tcp_close_wait", "family": 4},
                {"id": "fw", "kind": "tcp_fin_wait2", "family": 6, "orphan": True},
            ]
        }
    )
    out = netns.run(["netstat", "-tan"]).stdout.decode()
    assert "TIME_WAIT" in out and "CLOSE_WAIT" in out and "FIN_WAIT2" in out
    for flags in (["-tan"], ["-ta"], ["-tanoe"], ["-tanp"], ["-taeeW"]):
        for source in SOURCES:
            assert_same(compare(netns, flags, candidate=_source(source)))


def _as_nobody(build: Callable[[Sequence[str]], list[str]]) -> Callable[[Sequence[str]], list[str]]:
    def argv(flags: Sequence[str]) -> list[str]:
        return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *build(flags)]

    return argv


@pytest.mark.parametrize("flags", [["-tanp"], ["-anp"], ["-xp"], ["-anpe"], ["-tulpn"]])
def test_unprivileged_user_sees_what_netstat_sees(
    populated_ns: NetNS, flags: list[str], readable_package: Path
) -> None:
    """As nobody, -p shows only what netstat shows, with its note on stderr."""
    result = compare(
        populated_ns,
        flags,
        reference=_as_nobody(netstat_cmd),
        candidate=_as_nobody(pnetstat_cmd),
        env={"PYTHONPATH": str(readable_package)},
    )
    assert b"Not all processes" in result.first.stderr or b"No info" in result.first.stderr
    assert_same(result)
