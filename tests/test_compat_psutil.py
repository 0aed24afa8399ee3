"""pnetstat.compat against psutil itself: ``net_connections`` and ``process_connections``
against ``psutil.net_connections`` and ``psutil.Process(pid).net_connections`` on sockets the
test opened, and both on broken proc trees (the same exceptions).

Both run inside the same namespace (tests/conftest.py ``populated_ns``), for every ``kind``
psutil accepts. The named, deliberate differences: pnetstat lists every holder of a shared
socket (psutil keeps one), keeps the kernel's order (psutil returns a set's order), and keeps a
unix path with spaces whole (psutil returns "").
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest
from netns import NetNS

from pnetstat import compat

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


# ------------------------------------------------------------------- per-process call

PROCESS_SCRIPT = """
import json, sys
import psutil
from pnetstat import compat
def rows(conns):
    return [[c.fd, int(c.family), int(c.type), list(c.laddr) if isinstance(c.laddr, tuple)
             else c.laddr, list(c.raddr) if isinstance(c.raddr, tuple) else c.raddr, c.status,
             None, type(c.family).__name__, type(c.type).__name__,
             type(c.laddr).__name__, type(c.raddr).__name__, list(c._fields)] for c in conns]
kind, pids = sys.argv[1], [int(pid) for pid in sys.argv[2:]]
print(json.dumps({pid: {"psutil": rows(psutil.Process(pid).net_connections(kind)),
                        "ours": rows(compat.process_connections(pid, kind))} for pid in pids}))
"""


def _holder_pids(ns: NetNS) -> list[str]:
    holder = ns.holders[0]
    return [str(holder.pid), *(str(child["pid"]) for child in holder.children)]


@pytest.mark.parametrize("kind", KINDS)
def test_process_connections_as_psutil_process(populated_ns: NetNS, kind: str) -> None:
    """Each holder process, each kind: the same entries as psutil.Process(pid).net_connections,
    the same fields (pconn: no pid), the same types; order aside (psutil's is a set's)."""
    done = populated_ns.run(
        [sys.executable, "-c", PROCESS_SCRIPT, kind, *_holder_pids(populated_ns)]
    )
    assert done.returncode == 0, done.stderr.decode()
    result = json.loads(done.stdout)
    assert sum(len(r["psutil"]) for r in result.values()) > 0 or kind in {"udp6", "inet6"}
    for pid, both in result.items():
        ours = sorted(map(_key, (_as_psutil_sees_it(r) for r in both["ours"])))
        assert ours == sorted(map(_key, both["psutil"])), f"pid {pid}"
        assert all(
            r[-1] == ["fd", "family", "type", "laddr", "raddr", "status"] for r in both["ours"]
        )


GONE_SCRIPT = """
import json, os, signal, subprocess, sys
import psutil
from pnetstat import compat
def outcome(call):
    try:
        return sorted(map(repr, call()))
    except Exception as exc:
        return type(exc).__name__
child = subprocess.Popen([sys.executable, "-c", "import socket, sys; s = socket.socket(); "
                          "s.bind(('127.0.0.1', 0)); s.listen(); print(flush=True); sys.stdin.read()"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
child.stdout.readline()
report = {"alive": [outcome(lambda: psutil.Process(child.pid).net_connections("tcp")),
                    outcome(lambda: compat.process_connections(child.pid, "tcp"))]}
process = psutil.Process(child.pid)  # made while it lives: the dead process is then asked
os.kill(child.pid, signal.SIGKILL)
os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # a zombie now, not reaped
report["zombie"] = [outcome(lambda: process.net_connections("all")),
                    outcome(lambda: compat.process_connections(child.pid, "all"))]
child.wait()
report["reaped"] = [outcome(lambda: process.net_connections("all")),
                    outcome(lambda: compat.process_connections(child.pid, "all"))]
print(json.dumps(report))
"""


def test_a_dead_process_is_no_such_process(netns: NetNS) -> None:
    """Where psutil raises NoSuchProcess, process_connections raises ProcessLookupError; a
    zombie has no sockets in both."""
    done = netns.run([sys.executable, "-c", GONE_SCRIPT])
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    theirs, ours = report["alive"]
    assert len(ours) == 1 and "LISTEN" in ours[0] and theirs == ours
    assert report["zombie"] == [[], []]
    assert report["reaped"] == ["NoSuchProcess", "ProcessLookupError"]


# ---------------------------------------------------------------- unique entries, live

UNSEEN_SCRIPT = """
import json, os, sys
import psutil
from pnetstat import compat
root = sys.argv[1]
# A proc root with this namespace's tables and no process: no holder is visible, as for an
# unprivileged caller and root's sockets.
os.symlink(f"/proc/{os.getpid()}/net", f"{root}/net")
psutil.PROCFS_PATH = root
def rows(conns):
    return [[c.fd, int(c.family), int(c.type), c.laddr, c.raddr, c.status, c.pid] for c in conns]
print(json.dumps({"psutil": rows(psutil.net_connections("unix")),
                  "ours": rows(compat.net_connections("unix", proc=root))}))
"""


def test_unseen_holders_give_each_entry_once(populated_ns: NetNS, tmp_path: Path) -> None:
    """The populated namespace has several unnamed socket pairs; with no holder visible they
    are identical entries, which psutil returns once and so does pnetstat."""
    done = populated_ns.run([sys.executable, "-c", UNSEEN_SCRIPT, str(tmp_path)])
    assert done.returncode == 0, done.stderr.decode()
    result = json.loads(done.stdout)
    ours = list(map(_key, result["ours"]))
    assert len(ours) == len(set(ours))
    assert sum(1 for r in result["ours"] if r[2] == 1 and r[3] == "") == 1  # stream, unnamed
    # The same entries as psutil's, once the named difference in paths is applied
    # (which may make two of ours equal, as psutil's "" for a spaced path does).
    assert {_key(_as_psutil_sees_it(r)) for r in result["ours"]} == set(map(_key, result["psutil"]))


# ------------------------------------------------------------------ errors, psutil's


FIXTURE_NET = Path(__file__).resolve().parent / "fixtures" / "proc" / "live-ns" / "net"


def _outcome(call: Callable[[], list[Any]]) -> str | list[str]:
    """The exception and the file it names, or the entries as psutil would see them."""
    try:
        conns = call()
    except OSError as exc:
        return f"{type(exc).__name__} {os.fsdecode(exc.filename)}"
    rows = [[list(v) if isinstance(v, tuple) else v for v in c] for c in conns]
    return sorted({_key(_as_psutil_sees_it(r)) for r in rows})


@pytest.mark.parametrize(
    "case", ["missing", "file", "empty", "no-tcp6", "no-udp6", "no-udp", "no-unix", "udp-dir"]
)
def test_errors_as_psutil(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    """psutil itself on the same broken trees, every kind: the same exception naming the same
    file, or the same entries."""
    root = tmp_path / "proc"
    if case == "file":
        root.write_text("")
    elif case != "missing":
        root.mkdir()
    if case.startswith(("no-", "udp-")):
        shutil.copytree(FIXTURE_NET, root / "net")
        (root / "net" / case.removeprefix("no-").removesuffix("-dir")).unlink()
        if case == "udp-dir":
            (root / "net" / "udp").mkdir()
    monkeypatch.setattr(psutil, "PROCFS_PATH", str(root))
    for kind in KINDS:
        theirs = _outcome(lambda: psutil.net_connections(kind))  # noqa: B023
        ours = _outcome(lambda: compat.net_connections(kind, proc=root))  # noqa: B023
        assert ours == theirs, kind
