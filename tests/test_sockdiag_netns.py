"""NETLINK_SOCK_DIAG against /proc, in a namespace holding one socket of every kind.

Netlink answers for the caller's network namespace, so the reading runs inside it (one
script, both sources read back to back, the rows printed as JSON). Every model field must
agree, in the same order, except these (see pnetstat/sources/sockdiag's docstring):

* ``tail``: the columns after the inode are not in sock_diag (netstat ignores them);
* ``sl`` of UDP and UDP-Lite rows: /proc prints the hash bucket (netstat ignores it);
* ``timer_expires``: a running timer moves between the two reads (within TIMER_SLACK ticks);
* ``retransmits`` of SYN_RECV rows: ``num_retrans`` vs ``num_timeout`` (equal until the
  first SYN-ACK timer under TCP_DEFER_ACCEPT, a second after the connection);
* UNIX ``num`` (a kernel address) and the place of a connection waiting in an accept queue.
"""

from __future__ import annotations

import errno
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from netns import PYTHON, NetNS, assert_same, background_script, compare, pnetstat_cmd

pytestmark = pytest.mark.differential

TIMER_SLACK = 50  # clock ticks: the two reads may part by a few hundred ms on a busy machine

# Sockets the standard holder does not make.
EXTRA = r"""
import os, socket, sys
held = []
bound = socket.socket(); bound.bind(("127.0.0.1", 0))  # never listens: not in /proc/net/tcp
held.append(bound)
os.setresuid(65534, 65534, 0)  # listeners owned by nobody, whose bare ACKs are deferred
for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::")):
    listener = socket.socket(family)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 30)
    listener.bind((host, 0)); listener.listen()
    held.append(listener)
os.setresuid(0, 0, 0)
for listener in held[1:3]:  # each server side stays in SYN_RECV, a request socket
    held.append(socket.create_connection(("127.0.0.1", listener.getsockname()[1])))
many = socket.socket(); many.bind(("127.0.0.1", 0)); many.listen(512)
for _ in range(200):  # enough rows for answers of several datagrams
    held.append(socket.create_connection(many.getsockname())); held.append(many.accept()[0])
for _ in range(300):
    held.extend(socket.socketpair())
# UNIX queues: 5 bytes unread; a listener with a backlog of 7 and 2 connections to accept.
sender, reader = socket.socketpair()
sender.send(b"12345")
server = socket.socket(socket.AF_UNIX); server.bind("\0pnetstat-queues"); server.listen(7)
clients = [socket.socket(socket.AF_UNIX) for _ in range(2)]
for client in clients:
    client.connect("\0pnetstat-queues")
held += [sender, reader, server, *clients]
print("ready", flush=True)
print(bound.getsockname()[1], held[1].getsockname()[1], held[2].getsockname()[1],
      os.fstat(reader.fileno()).st_ino, os.fstat(server.fileno()).st_ino, flush=True)
sys.stdin.read()
"""

READ = r"""
import json, struct
from ipaddress import IPv4Address, IPv6Address
from pnetstat.sources import sockdiag
from pnetstat.errors import NetlinkError
from pnetstat.model import Family, Protocol
from pnetstat.sources.proc_inet import read_inet_sockets
from pnetstat.sources.proc_unix import read_unix_sockets
from pnetstat.sources.procfs import ProcFS

def record(row):
    return {k: str(v) if isinstance(v, (IPv4Address, IPv6Address)) else
            v.value if isinstance(v, Protocol) else v for k, v in row._asdict().items()}

def datagrams(answer):  # how many datagrams an answer took
    count = 0
    for datagram in answer:
        count += 1
        offset = 0
        while offset + 16 <= len(datagram):
            length, kind = struct.unpack_from("=IH", datagram, offset)
            if kind in (2, 3):
                return count
            offset += (length + 3) & ~3
    return count

out = {}
for protocol in Protocol:
    for family in (Family.INET, Family.INET6):
        key = f"{protocol.value}{family.value}"
        try:
            diag = [record(r) for r in sockdiag.read_inet_sockets_diag(protocol, family)]
        except NetlinkError as exc:
            diag = exc.errno
        out[key] = {"diag": diag,
                    "proc": [record(r) for r in read_inet_sockets(ProcFS(), protocol, family)]}
out["unix"] = {"diag": [record(r) for r in sockdiag.read_unix_sockets_diag()],
               "proc": [record(r) for r in read_unix_sockets(ProcFS())]}
out["datagrams"] = {"tcp": datagrams(sockdiag.dump_inet(Protocol.TCP, Family.INET)),
                    "unix": datagrams(sockdiag.dump_unix())}
# The exporter's counted reading against the listing's rows, counted as its metrics count them.
from pnetstat.serve.metrics import Scope, socket_families
from pnetstat.sources.sockdiag.counts import read_tcp_counts, read_unix_count
inet4, inet6 = sockdiag.read_tcp_sockets_diag_both(backlog=True)
out["counted"] = {
    "tcp": [socket_families([(Scope(), [*inet4, *inet6])], 1000)[0],
            socket_families([(Scope(tcp=read_tcp_counts()), [])], 1000)[0]],
    "unix": read_unix_count(),
}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def extra(populated_ns: NetNS) -> Iterator[list[int]]:
    """The extra sockets, held for the module: ports of the bound socket and the listeners."""
    with background_script(populated_ns, EXTRA) as script:
        assert script.stdout is not None
        ports = [int(p) for p in script.stdout.readline().split()]
        yield ports


@pytest.fixture(scope="module")
def tables(populated_ns: NetNS, extra: list[int]) -> dict[str, Any]:
    done = populated_ns.run([PYTHON, "-c", READ])
    assert done.returncode == 0, done.stderr.decode()
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _without(row: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in fields}


INET_TABLES = [f"{p}{f}" for p in ("tcp", "udp", "udplite", "raw") for f in (2, 10)]


@pytest.mark.parametrize("table", INET_TABLES)
def test_internet_table_agrees_row_by_row(tables: dict[str, Any], table: str) -> None:
    diag, proc = tables[table]["diag"], tables[table]["proc"]
    if isinstance(diag, int):
        # Only RAW may be refused: raw_diag is optional (CONFIG_INET_RAW_DIAG, not built on
        # the kernel measured); the caller then reads /proc.
        assert table.startswith("raw") and diag == errno.ENOENT
        return
    assert {r["inode"] for r in diag} == {r["inode"] for r in proc}
    assert len(diag) == len(proc)
    skip = ("tail", "timer_expires") if table.startswith("tcp") else ("tail", "timer_expires", "sl")
    for ours, theirs in zip(diag, proc, strict=True):  # same order: netstat prints /proc's
        syn_recv = ("retransmits",) if ours["state"] == 3 and ours["protocol"] == "tcp" else ()
        assert _without(ours, *skip, *syn_recv) == _without(theirs, *skip, *syn_recv)
        assert abs(ours["timer_expires"] - theirs["timer_expires"]) <= TIMER_SLACK


def test_the_namespace_holds_the_interesting_rows(tables: dict[str, Any], extra: list[int]) -> None:
    bound, deferred, deferred6, _, _ = extra
    tcp = tables["tcp2"]["diag"] + tables["tcp10"]["diag"]
    assert {r["state"] for r in tcp} >= {1, 3, 5, 6, 8, 10}  # incl. SYN_RECV, TIME_WAIT
    assert all(r["local_port"] != bound for r in tcp)  # TCP_BOUND_INACTIVE is not asked for
    syn_recv = {r["local_port"]: r["uid"] for r in tcp if r["state"] == 3}
    assert syn_recv == {deferred: 65534, deferred6: 65534}  # the listener's uid, as in /proc
    assert tables["datagrams"]["tcp"] > 1 and tables["datagrams"]["unix"] > 1


def test_unix_table_agrees_but_for_queued_connections_place(tables: dict[str, Any]) -> None:
    diag, proc = tables["unix"]["diag"], tables["unix"]["proc"]
    assert all(r["num"] == 0 for r in diag)
    # Queue lengths are sock_diag's alone (checked below): the rest must agree.
    assert all(r["rx_queue"] is None and r["tx_queue"] is None for r in proc)
    assert all(r["rx_queue"] is not None for r in diag if r["inode"])
    diag = [{**r, "rx_queue": None, "tx_queue": None} for r in diag]
    proc = [{**r, "num": 0} for r in proc]
    assert [r for r in diag if r["inode"]] == [r for r in proc if r["inode"]]
    queued = [r for r in proc if r["inode"] == 0]
    assert queued  # the holder leaves a connection in srv.sock's accept queue
    key: Callable[[dict[str, Any]], str] = json.dumps
    assert sorted(map(key, diag)) == sorted(map(key, proc))


def test_the_exporters_counts_agree_with_the_listing(tables: dict[str, Any]) -> None:
    listed, counted = tables["counted"]["tcp"]
    assert counted == listed
    assert tables["counted"]["unix"] == len(tables["unix"]["proc"])  # queued connections too


def test_unix_queue_lengths_come_from_sock_diag(tables: dict[str, Any], extra: list[int]) -> None:
    *_, reader, server = extra
    queues = {r["inode"]: (r["rx_queue"], r["tx_queue"]) for r in tables["unix"]["diag"]}
    assert queues[reader][0] == 5  # bytes not yet read
    assert queues[server] == (2, 7)  # connections waiting to be accepted, and the backlog


def _netlink(flags: Sequence[str]) -> list[str]:
    return pnetstat_cmd([*flags, "--source=netlink"])


# Without -o: a SYN_RECV row's retransmits part a second in (see the module docstring).
@pytest.mark.parametrize("flags", [["-tane"], ["-tua"]])
def test_netstat_text_from_netlink_is_byte_identical(
    populated_ns: NetNS, extra: list[int], flags: list[str]
) -> None:
    assert_same(compare(populated_ns, flags, candidate=_netlink))


UNIX_REFS = r"""
import json, sys
from pnetstat.sources.proc_unix import read_unix_sockets
from pnetstat.sources.procfs import ProcFS
from pnetstat.sources.sockdiag import read_unix_sockets_diag
inode = int(sys.argv[1])
print(json.dumps([[r.ref_count for r in rows if r.inode == inode]
                  for rows in (read_unix_sockets(ProcFS()), read_unix_sockets_diag())]))
"""

SERVER = r"""
import os, socket, sys
server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); server.bind(sys.argv[1])
print("ready", flush=True); print(os.fstat(server.fileno()).st_ino, flush=True)
sys.stdin.read()
"""


def test_unix_refcount_cannot_see_a_peer_in_another_namespace(populated_ns: NetNS) -> None:
    # A documented limit: a client in another namespace holds the server (/proc counts it),
    # but a dump only lists the caller's namespace, so the rebuilt RefCount misses it.
    assert populated_ns.tmpdir is not None
    path = str(populated_ns.tmpdir / "cross.sock")
    with background_script(populated_ns, SERVER, path) as server, NetNS() as other:
        assert server.stdout is not None
        inode = server.stdout.readline().strip().decode()
        client = "import socket, sys; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); "
        client += "s.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()"
        with background_script(other, client, path):
            done = populated_ns.run([PYTHON, "-c", UNIX_REFS, inode])
    assert json.loads(done.stdout) == [[3], [2]]


# Enough connections, in both families, for a TCP dump of well over ``fanout.ordered``'s
# first eight datagrams and IPv6 messages of well over eight set-aside chunks: the rest of
# each is shared with a worker process.
MANY = r"""
import socket, sys
held = []
for family, host, count in ((socket.AF_INET, "127.0.0.1", 1500), (socket.AF_INET6, "::1", 2000)):
    listener = socket.socket(family); listener.bind((host, 0)); listener.listen(4096)
    held.append(listener)
    for _ in range(count):
        held.append(socket.create_connection(listener.getsockname()[:2]))
        held.append(listener.accept()[0])
print("ready", flush=True)
sys.stdin.read()
"""

COUNT = r"""
from pnetstat.sources import sockdiag
dump = sockdiag.TcpDump()
datagrams = 0
for datagram in dump.datagrams:
    datagrams += 1
    dump.rows(datagram)
print(datagrams, len(dump.others))
"""


# And enough UNIX sockets for /proc/net/unix to take far more than eight 16 KiB blocks.
MANY_UNIX = r"""
import socket, sys
held = [socket.socketpair() for _ in range(5000)]
listener = socket.socket(socket.AF_UNIX); listener.bind("\0" + sys.argv[1]); listener.listen()
print("ready", flush=True)
sys.stdin.read()
"""


@pytest.fixture(scope="module")
def crowded_ns(module_netns: NetNS) -> Iterator[NetNS]:
    """An empty namespace but for 3,500 TCP connections and 20,000 UNIX sockets (``MANY``,
    ``MANY_UNIX`` twice: one process may hold 20,000 fds), held for the module."""
    with (
        background_script(module_netns, MANY),
        background_script(module_netns, MANY_UNIX, "pnetstat-crowd-1"),
        background_script(module_netns, MANY_UNIX, "pnetstat-crowd-2"),
    ):
        yield module_netns


def test_the_crowded_tables_take_many_datagrams_and_blocks(crowded_ns: NetNS) -> None:
    done = crowded_ns.run([PYTHON, "-c", COUNT])
    datagrams, chunks = map(int, done.stdout.split())
    assert datagrams > 16 and chunks > 8  # more than are done before a worker is forked
    done = crowded_ns.run(["cat", "/proc/net/unix"])
    assert len(done.stdout) > 64 * 16384  # and many times the blocks


@pytest.mark.parametrize("candidate", [pnetstat_cmd, _netlink], ids=["auto", "netlink"])
@pytest.mark.parametrize(
    "flags",
    [["-tan"], ["-tn"], ["-tln"], ["-tanW"], ["-tano"], ["-ta", "--numeric-hosts"],
     ["-x"], ["-xa"], ["-xl"], ["-an"]],
)  # fmt: skip
def test_a_listing_shared_with_a_worker_is_byte_identical(
    crowded_ns: NetNS, flags: list[str], candidate: Callable[[Sequence[str]], list[str]]
) -> None:
    assert_same(compare(crowded_ns, flags, candidate=candidate))
