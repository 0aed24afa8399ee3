"""pnetstat.compat.net_connections against psutil.net_connections on sockets the test opened.

Both run inside the same namespace (tests/conftest.py ``populated_ns``), for every ``kind``
psutil accepts. The named, deliberate differences: pnetstat lists every holder of a shared
socket (psutil keeps one), keeps the kernel's order (psutil returns a set's order), and keeps a
unix path with spaces whole (psutil returns "").
"""

from __future__ import annotations

import json
import sys

import pytest
from netns import NetNS

KINDS = ["inet", "inet4", "inet6", "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", "unix", "all"]

SCRIPT = """
import json, sys
import psutil
from pnetstat import compat
def rows(conns):
    return [[c.fd, int(c.family), int(c.type), list(c.laddr) if isinstance(c.laddr, tuple)
             else c.laddr, list(c.raddr) if isinstance(c.raddr, tuple) else c.raddr, c.status,
             c.pid, type(c.family).__name__, type(c.type).__name__,
             type(c.laddr).__name__, type(c.raddr).__name__] for c in conns]
kind = sys.argv[1]
print(json.dumps({"psutil": rows(psutil.net_connections(kind)),
                  "ours": rows(compat.net_connections(kind))}))
"""


def _as_psutil_sees_it(row: list[object]) -> list[object]:
    """The named difference in paths: psutil gives "" for a unix path containing whitespace
    (it splits the /proc line on whitespace); pnetstat gives the whole path."""
    if row[1] == 1 and isinstance(row[3], str) and len(row[3].split()) > 1:
        return [*row[:3], "", *row[4:]]
    return row


def _key(row: list[object]) -> str:
    return json.dumps(row)


def _socket(row: list[object]) -> str:
    # family, type, laddr, raddr, status: the socket, whoever holds it
    return json.dumps(row[1:6])


@pytest.mark.parametrize("kind", KINDS)
def test_same_connections_as_psutil(populated_ns: NetNS, kind: str) -> None:
    done = populated_ns.run([sys.executable, "-c", SCRIPT, kind])
    assert done.returncode == 0, done.stderr.decode()
    result = json.loads(done.stdout)
    theirs, ours = result["psutil"], [_as_psutil_sees_it(r) for r in result["ours"]]
    assert theirs, "psutil saw no sockets: the namespace is not populated"
    # Every row psutil gives, pnetstat gives too: same fields, same types, same holder (for a
    # shared socket psutil's one holder is among the holders pnetstat lists).
    our_rows = {_key(r) for r in ours}
    missing = [r for r in theirs if _key(r) not in our_rows]
    assert missing == []
    # And pnetstat reports no socket psutil does not know.
    assert {_socket(r) for r in ours} == {_socket(r) for r in theirs}


def test_every_holder_of_a_shared_socket_is_listed(populated_ns: NetNS) -> None:
    """The named difference: psutil keeps one holder of a shared socket, pnetstat all."""
    port = populated_ns.holders[0].one("shared")["local"][1]
    done = populated_ns.run([sys.executable, "-c", SCRIPT, "tcp4"])
    rows = json.loads(done.stdout)
    ours = {r[6] for r in rows["ours"] if r[3] and r[3][1] == port}
    theirs = {r[6] for r in rows["psutil"] if r[3] and r[3][1] == port}
    assert len(theirs) == 1 and theirs < ours and len(ours) >= 2
