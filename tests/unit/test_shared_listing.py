"""The TCP listing shared with a worker process gives the bytes of the listing done alone.

A constructed dump (no kernel needed) long enough for a worker to be forked, with what makes
sharing hard: a socket repeated across a datagram boundary, a malformed message, IPv6 rows
set aside, listeners and request sockets, and a dump that ends in an error.
"""

from __future__ import annotations

import errno
import io
import json
import os
import subprocess
import sys
from ipaddress import IPv6Address
from pathlib import Path

import pytest
from test_procfs import unix_table
from test_sockdiag import header, inet, old

import pnetstat.commands.sockets as sockets
from pnetstat import fanout
from pnetstat.cli import main
from pnetstat.sources.sockdiag import inet as inet_diag
from pnetstat.sources.sockdiag import netlink
from tests.netns import NetNS

V6 = IPv6Address("fd00:1::5").packed


def answer(end: bytes) -> list[bytes]:
    datagrams = []
    cookie = 0
    for d in range(200):  # IPv4 rows in 200 datagrams, IPv6 rows set aside in 11 chunks
        messages = []
        for i in range(40):
            cookie += 1
            if i % 2 == 0:
                messages.append(
                    old(
                        inet(
                            family=10, src=V6, sport=d, dport=d % 2 * 7, inode=cookie, cookie=cookie
                        )
                    )
                )
            elif i % 7 == 0:
                messages.append(old(inet(state=10, sport=1000 + d, inode=cookie, cookie=cookie)))
            else:
                state = (1, 3, 6, 8)[i % 4]
                messages.append(
                    old(inet(state=state, sport=d * 40 + i, dport=i + 1, rqueue=i, wqueue=d,
                             timer=i % 5, expires=i * 1000, inode=cookie, cookie=cookie))
                )  # fmt: skip
        if d == 20:  # the dump resumed one socket early: it comes again, and is shown once
            messages.insert(0, old(inet(sport=5, dport=6, inode=cookie - 40, cookie=cookie - 40)))
        if d == 45:
            messages.insert(3, header(8, netlink.TCPDIAG_GETSOCK) + bytes(8))  # a malformed message
        datagrams.append(b"".join(messages))
    datagrams[-1] += end
    return datagrams


def listing(flags: list[str], shared: bool, end: bytes) -> tuple[list[object], int]:
    """``[status, stdout, stderr]`` of one in-process run, and how many workers were forked."""
    started: list[object] = []
    start = fanout._Worker.start

    def spy(work):  # type: ignore[no-untyped-def]
        worker = start(work)
        started.append(worker)
        return worker

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(inet_diag, "dump_tcp", lambda states, **_: iter(answer(end)))
        patch.setattr(fanout._Worker, "start", staticmethod(spy))
        if not shared:
            patch.setattr(sockets, "_shared_out", lambda options, sink: False)
        out, err = io.StringIO(), io.StringIO()
        status = main([*flags, "--source=netlink"], stdout=out, stderr=err)
    assert len(started) <= 2  # one for each family's rows at most
    return [status, out.getvalue(), err.getvalue()], sum(w is not None for w in started)


# A worker is forked only by a process with no other thread: this test's runs get a fresh
# interpreter (the test process may hold threads that other tests started).
RUN = """
import json, sys
sys.path[:0] = [sys.argv[1]]
from test_shared_listing import listing
from test_sockdiag import done
end = done(int(sys.argv[2]))
print(json.dumps([listing(flags, shared, end) for flags in json.loads(sys.argv[3])
                  for shared in (False, True)]))
"""
FLAGS = [["-tan"], ["-tn"], ["-tln"], ["-tano"], ["-tanW"], ["-ta", "--numeric-hosts"]]


def run(
    code: int, flag_sets: list[list[str]], ns: NetNS | None = None
) -> list[tuple[list[object], int]]:
    """Each flag set alone and shared, in a fresh interpreter (inside ``ns`` when given)."""
    here = os.path.dirname(__file__)
    argv = [sys.executable, "-c", RUN, here, str(code), json.dumps(flag_sets)]
    if ns is None:
        child = subprocess.run(argv, capture_output=True, check=True, timeout=120)
    else:
        child = ns.run(argv, timeout=120)
        assert child.returncode == 0, child.stderr.decode(errors="replace")
    return [(got, forked) for got, forked in json.loads(child.stdout)]


@pytest.mark.parametrize("code", [0, -errno.ENOENT], ids=["done", "error"])
def test_shared_and_alone_give_the_same_bytes(code: int) -> None:
    results = run(code, FLAGS)
    for flags, alone, shared in zip(FLAGS, results[::2], results[1::2], strict=True):
        # Shared: a worker for the IPv4 rows, another for the IPv6 ones (if the dump ended).
        assert alone[1] == 0 and shared[1] == (2 if code == 0 else 1), flags
        assert shared[0] == alone[0], flags
        status, out, err = shared[0]
        assert isinstance(out, str) and isinstance(err, str)
        assert err.count("warning, got bogus tcp line.") == 1
        if code == 0:
            assert status == 0 and out.count("\ntcp6 ") > 0
        else:
            assert status == 1 and "refused the tcp dump" in err


def test_rows_that_need_more_than_themselves_are_not_shared(netns: NetNS) -> None:
    # Host names share one lookup deadline; -e and -p show a SYN_RECV row its listener's user.
    # -ta looks names up: in a test namespace, where /etc/hosts is pinned and the only
    # nameserver (127.0.0.1) answers every query at once with a port-unreachable.
    flag_sets = [["-ta"], ["-tane"], ["-tanp"]]
    results = run(0, flag_sets, netns)
    assert [forked for _, forked in results] == [0] * 6
    assert results[0][0] == results[1][0]


RUN_UNIX = """
import io, json, sys
sys.path[:0] = [sys.argv[1]]
import pytest
import pnetstat.commands.sockets as sockets
from pnetstat import fanout
from pnetstat.cli import main
forked = []
start = fanout._Worker.start
fanout._Worker.start = staticmethod(lambda work: forked.append(start(work)) or forked[-1])
results = []
for flags in json.loads(sys.argv[3]):
    for shared in (False, True):
        forked.clear()
        with pytest.MonkeyPatch.context() as patch:
            if not shared:
                patch.setattr(sockets, "_unix_shared_out", lambda sink, owners: False)
            out, err = io.StringIO(), io.StringIO()
            status = main([*flags, "--proc-root", sys.argv[2]], stdout=out, stderr=err)
        results.append([[status, out.getvalue(), err.getvalue()], any(forked)])
print(json.dumps(results))
"""


def test_a_unix_table_shared_and_alone_give_the_same_bytes(tmp_path: Path) -> None:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "unix").write_text(unix_table(30000))
    flag_sets = [["-x"], ["-xa"], ["-xl"], ["-xaW"]]
    here = os.path.dirname(__file__)
    argv = [sys.executable, "-c", RUN_UNIX, here, str(tmp_path), json.dumps(flag_sets)]
    child = subprocess.run(argv, capture_output=True, check=True, timeout=120)
    results = json.loads(child.stdout)
    for flags, alone, shared in zip(flag_sets, results[::2], results[1::2], strict=True):
        assert not alone[1] and shared[1], flags  # a worker was forked for the shared run
        assert shared[0] == alone[0], flags
        status, out, err = shared[0]
        bogus = len(range(5, 30000, 11)) + len(range(9, 30000, 110))  # see unix_table
        assert status == 0 and err.count("warning, got bogus unix line.") == bogus
        assert ("/run/a\\x0ab" in out) == (flags != ["-x"])  # a listener's path, escaped
