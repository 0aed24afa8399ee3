#!/usr/bin/env python3
"""Socket holder for pnetstat's differential tests (standard library only).

Opens the sockets a JSON spec asks for inside the network namespace it runs in,
waits until the kernel shows each one in the state the spec asked for, prints
ONE JSON line describing them on stdout and then blocks until stdin reaches EOF
(or it is killed).  netstat and pnetstat are then run against this fixed set
of sockets.  Everything is bound to loopback (or to addresses the harness put
on ``lo`` inside the namespace), so no packet ever leaves the namespace.

Usage::

    sockholder.py [--argv0 NAME] [SPEC_JSON]     # spec on argv, or first stdin line
    sockholder.py --child                          # internal: exec'd child mode

``--argv0 NAME`` re-executes the interpreter with argv[0] = NAME, because
netstat's -p column shows argv[0] of /proc/PID/cmdline, not the comm name.

Spec (all keys optional except ``kind``)::

    {"dir": "/tmp/x",                    # base for relative UNIX socket paths
     "sockets": [{"id": "l4", "kind": "tcp_listen", "family": 4, "count": 1, ...}],
     "children": [{"id": "c", "argv0": "pnt-two", "mode": "exec",
                   "share": ["l4"], "move": []}]}

Kinds (options after the colon):

* ``tcp_listen``: family 4|6|"dual", addr, port, backlog, pending (connections
  left unaccepted in the accept queue; the listener's Recv-Q equals it).
* ``tcp_established``: family 4|6|"mapped" (IPv4 client to a dual-stack
  listener), addr, recv_q (bytes the server leaves unread), keep_listener.
* ``tcp_time_wait``: family, addr, keep_listener; the client closes first,
  so its side ends in TIME_WAIT (inode 0, expires after 60 s).
* ``tcp_close_wait`` / ``tcp_fin_wait2``: family, addr, orphan, keep_listener;
  the client sends FIN (shutdown, or close() when orphan is true), the server
  keeps its socket: server CLOSE_WAIT, client FIN_WAIT2 (orphaned: inode 0,
  expires after tcp_fin_timeout).
* ``udp`` / ``udplite``: family, addr, port, connect (to a second bound
  socket, role "peer"), recv_q (size of one datagram left unread).
* ``raw``: family, proto (default ICMP / ICMPv6), addr (bind), connect (addr),
  filter (default true: block every ICMP type so Recv-Q stays 0 even though
  failed DNS lookups produce ICMP port-unreachable messages).
* ``unix``: type stream|dgram|seqpacket, path (null: unbound; "@name":
  abstract; relative: under "dir"), listen, accepted, pending, clients (dgram
  sockets connected to the bound one).
* ``unix_pair``: type; a socketpair (roles "a" and "b").

Every kind takes ``count`` (default 1): the sockets are made that many times.

Children: ``mode`` "exec" starts this interpreter again with argv[0] =
``argv0`` (may start with "/", contain spaces, be long); "fork" forks (same
cmdline).  ``share`` lists socket ids both processes hold (netstat shows the
first owner in /proc order, normally the parent); ``move`` lists ids only the
child keeps.  Children block on the same stdin, so they exit with the holder.

Report (one line)::

    {"ready": true, "pid": 123, "argv0": "pnt-holder", "dir": "/tmp/x",
     "sockets": [{"id": "l4", "n": 0, "kind": "tcp_listen", "role": "listener",
                  "proto": "tcp", "state": "LISTEN", "inode": 4567, "fd": 3,
                  "local": ["127.0.0.1", 40001], "remote": ["0.0.0.0", 0],
                  "path": null, "pids": [123]}],
     "children": [{"id": "c", "pid": 130, "argv0": "pnt-two", "mode": "exec",
                   "share": ["l4"], "move": []}]}

``state`` is the text netstat prints for the row ("" for an unbound UNIX
socket); ``inode`` is 0 for sockets without a file (TIME_WAIT, orphans,
connections still in an accept queue); ``pids`` lists every process holding
the socket, in spawn order.  On failure the line is
``{"ready": false, "error": "..."}`` and the exit status is 1.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import socket
import struct
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Every wait for the kernel is bounded by this many seconds.
WAIT_SECONDS = 10.0
# Polling interval while waiting for a state to appear in /proc/net/*.
POLL_SECONDS = 0.002

IPPROTO_UDPLITE = 136
# <linux/icmp.h>: SOL_RAW level option ICMP_FILTER, a 32-bit mask of ICMP types
# to drop; <linux/icmpv6.h>: ICMPV6_FILTER, eight 32-bit words.
SOL_RAW = 255
ICMP_FILTER = 1
ICMPV6_FILTER = 1

# Kernel TCP state numbers (include/net/tcp_states.h) and netstat's names.
TCP_ESTABLISHED = 1
TCP_FIN_WAIT2 = 5
TCP_TIME_WAIT = 6
TCP_CLOSE_WAIT = 8
TCP_LISTEN = 10

SPLIT_LIMIT_FDS = 19_000  # stay under the ~20,000 fds one process may hold

Json = dict[str, Any]


class SpecError(Exception):
    """The spec asks for something this holder cannot or must not do."""


@dataclass
class Entry:
    """One socket as reported, plus the socket object keeping it open."""

    id: str
    n: int
    kind: str
    role: str
    proto: str
    state: str
    sock: socket.socket | None
    local: tuple[str, int] | None = None
    remote: tuple[str, int] | None = None
    path: str | None = None
    inode: int = 0
    pids: list[int] = field(default_factory=list)

    def report(self) -> Json:
        """The JSON object describing this socket."""
        return {
            "id": self.id,
            "n": self.n,
            "kind": self.kind,
            "role": self.role,
            "proto": self.proto,
            "state": self.state,
            "inode": self.inode,
            # A closed socket (moved to a child) reports fileno() -1.
            "fd": (
                self.sock.fileno() if self.sock is not None and self.sock.fileno() >= 0 else None
            ),
            "local": list(self.local) if self.local else None,
            "remote": list(self.remote) if self.remote else None,
            "path": self.path,
            "pids": self.pids,
        }


# --------------------------------------------------------------------------
# small helpers


def wait_for(what: str, predicate: Callable[[], bool], timeout: float = WAIT_SECONDS) -> None:
    """Poll ``predicate`` until it is true; fail loudly after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(POLL_SECONDS)


def read_tcp_states(v6: bool) -> dict[tuple[int, int], int]:
    """Map (local port, remote port) -> kernel state from /proc/net/tcp[6].

    Ports identify a loopback connection uniquely inside one namespace, and
    we need this for sockets that no longer have a file (TIME_WAIT, orphans).
    """
    states: dict[tuple[int, int], int] = {}
    with open("/proc/net/tcp6" if v6 else "/proc/net/tcp", encoding="ascii") as f:
        next(f)
        for line in f:
            fields = line.split()
            lport = int(fields[1].rsplit(":", 1)[1], 16)
            rport = int(fields[2].rsplit(":", 1)[1], 16)
            states[(lport, rport)] = int(fields[3], 16)
    return states


def read_inode_rx_queue(path: str, inode: int) -> int | None:
    """Recv-Q of the socket with ``inode`` in /proc/net/<path>, or None."""
    with open(path, encoding="ascii") as f:
        next(f)
        for line in f:
            fields = line.split()
            if int(fields[9]) == inode:
                return int(fields[4].split(":")[1], 16)
    return None


def tcp_state(sock: socket.socket) -> int:
    """Kernel TCP state of an open socket (first byte of struct tcp_info)."""
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]


def fionread(sock: socket.socket) -> int:
    """Bytes waiting to be read (SIOCINQ), for waiting on queued data."""
    import fcntl
    import termios

    buf = fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0")
    return int(struct.unpack("i", buf)[0])


def inode_of(sock: socket.socket) -> int:
    """The socket inode netstat prints (and matches /proc/PID/fd links by)."""
    return os.fstat(sock.fileno()).st_ino


def addr_pair(sockaddr: Any) -> tuple[str, int]:
    """(host, port) from an AF_INET/AF_INET6 sockaddr tuple."""
    return (str(sockaddr[0]), int(sockaddr[1]))


def inet_family(spec: Json) -> tuple[socket.AddressFamily, str]:
    """Address family and default loopback address for a spec's family."""
    family = spec.get("family", 4)
    if family == 4:
        return socket.AF_INET, "127.0.0.1"
    if family == 6:
        return socket.AF_INET6, "::1"
    raise SpecError(f"{spec['id']}: family must be 4 or 6, got {family!r}")


def check_port(spec: Json, port: int, dgram: bool) -> None:
    """Refuse UDP port 53: a silent bound socket there would make every
    failed DNS lookup in the namespace wait for the resolver timeout."""
    if dgram and port == 53:
        raise SpecError(f"{spec['id']}: UDP port 53 would stall name lookups")


# --------------------------------------------------------------------------
# socket makers: each returns the entries for one instance of a spec


def make_listener(spec: Json, family: Any, n: int, kind: str) -> Entry:
    """A listening TCP socket (v4, v6-only or dual-stack)."""
    if family == "dual" or family == "mapped":
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        addr, proto = spec.get("addr", "::"), "tcp6"
    else:
        af, default = inet_family({**spec, "family": family})
        sock = socket.socket(af, socket.SOCK_STREAM)
        if af == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        addr, proto = spec.get("addr", default), "tcp" if af == socket.AF_INET else "tcp6"
    sock.bind((addr, int(spec.get("port", 0))))
    sock.listen(int(spec.get("backlog", 16)))
    sock.settimeout(WAIT_SECONDS)
    local = addr_pair(sock.getsockname())
    remote = ("::", 0) if proto == "tcp6" else ("0.0.0.0", 0)
    return Entry(spec["id"], n, kind, "listener", proto, "LISTEN", sock, local, remote)


def connect_client(listener: Entry, spec: Json) -> socket.socket:
    """A client connected to ``listener`` (IPv4 client for the mapped case)."""
    assert listener.local is not None
    host, port = listener.local
    if spec.get("family") == "mapped":
        host = "127.0.0.1" if host == "::" else host
        client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    else:
        if host in ("::", "0.0.0.0"):
            host = "::1" if host == "::" else "127.0.0.1"
        af = socket.AF_INET6 if ":" in host else socket.AF_INET
        client = socket.socket(af, socket.SOCK_STREAM)
    client.settimeout(WAIT_SECONDS)
    client.connect((host, port))
    return client


def tcp_entry(
    spec: Json,
    n: int,
    role: str,
    state: str,
    sock: socket.socket | None,
    local: tuple[str, int],
    remote: tuple[str, int],
) -> Entry:
    """Entry for one end of a TCP connection; proto from the address text."""
    proto = "tcp6" if ":" in local[0] else "tcp"
    inode = inode_of(sock) if sock is not None else 0
    return Entry(spec["id"], n, spec["kind"], role, proto, state, sock, local, remote, inode=inode)


def make_tcp_listen(spec: Json, n: int) -> list[Entry]:
    """LISTEN socket, optionally with ``pending`` unaccepted connections."""
    listener = make_listener(spec, spec.get("family", 4), n, "tcp_listen")
    listener.inode = inode_of(listener.sock)  # type: ignore[arg-type]
    entries = [listener]
    pending = int(spec.get("pending", 0))
    for _ in range(pending):
        client = connect_client(listener, spec)
        local, remote = addr_pair(client.getsockname()), addr_pair(client.getpeername())
        entries.append(tcp_entry(spec, n, "pending_client", "ESTABLISHED", client, local, remote))
        # The server end exists only in the accept queue: no file, inode 0.
        entries.append(tcp_entry(spec, n, "pending_server", "ESTABLISHED", None, remote, local))
    if pending:
        path = "/proc/net/tcp6" if listener.proto == "tcp6" else "/proc/net/tcp"
        wait_for(
            f"{pending} connections in the accept queue of {spec['id']}",
            lambda: read_inode_rx_queue(path, listener.inode) == pending,
        )
    return entries


def make_pair(spec: Json, n: int) -> tuple[Entry, socket.socket, socket.socket]:
    """Listener, client and accepted server socket of one TCP connection."""
    listener = make_listener(spec, spec.get("family", 4), n, spec["kind"])
    listener.inode = inode_of(listener.sock)  # type: ignore[arg-type]
    client = connect_client(listener, spec)
    server, _ = listener.sock.accept()  # type: ignore[union-attr]
    server.settimeout(WAIT_SECONDS)
    return listener, client, server


def finish_listener(spec: Json, listener: Entry, entries: list[Entry]) -> list[Entry]:
    """Keep or close the listener of a pair, as ``keep_listener`` says."""
    if spec.get("keep_listener", True):
        return [listener, *entries]
    listener.sock.close()  # type: ignore[union-attr]
    return entries


def make_tcp_established(spec: Json, n: int) -> list[Entry]:
    """ESTABLISHED pair; ``recv_q`` bytes are left unread on the server."""
    listener, client, server = make_pair(spec, n)
    recv_q = int(spec.get("recv_q", 0))
    if recv_q:
        client.sendall(b"x" * recv_q)
        wait_for(f"{recv_q} unread bytes on {spec['id']}", lambda: fionread(server) == recv_q)
    cl, cr = addr_pair(client.getsockname()), addr_pair(client.getpeername())
    sl, sr = addr_pair(server.getsockname()), addr_pair(server.getpeername())
    return finish_listener(
        spec,
        listener,
        [
            tcp_entry(spec, n, "client", "ESTABLISHED", client, cl, cr),
            tcp_entry(spec, n, "server", "ESTABLISHED", server, sl, sr),
        ],
    )


def make_tcp_time_wait(spec: Json, n: int) -> list[Entry]:
    """The client closes first and ends in TIME_WAIT; the server closes after
    it has seen the client's FIN (so it does not end in TIME_WAIT too)."""
    listener, client, server = make_pair(spec, n)
    cl, cr = addr_pair(client.getsockname()), addr_pair(client.getpeername())
    v6 = ":" in cl[0]
    client.close()
    if server.recv(1) != b"":
        raise RuntimeError("expected EOF on the server side")
    server.close()
    wait_for(
        f"TIME_WAIT for {spec['id']}",
        lambda: (
            read_tcp_states(v6).get((cl[1], cr[1])) == TCP_TIME_WAIT
            and (cr[1], cl[1]) not in read_tcp_states(v6)
        ),
    )
    return finish_listener(
        spec, listener, [tcp_entry(spec, n, "client", "TIME_WAIT", None, cl, cr)]
    )


def make_tcp_close_wait(spec: Json, n: int) -> list[Entry]:
    """Server CLOSE_WAIT (keeps its socket) and client FIN_WAIT2 (shut down
    for writing, or closed and orphaned when ``orphan`` is true)."""
    listener, client, server = make_pair(spec, n)
    cl, cr = addr_pair(client.getsockname()), addr_pair(client.getpeername())
    sl, sr = addr_pair(server.getsockname()), addr_pair(server.getpeername())
    v6 = ":" in cl[0]
    orphan = bool(spec.get("orphan", False))
    client_entry = tcp_entry(spec, n, "client", "FIN_WAIT2", None if orphan else client, cl, cr)
    if orphan:
        client.close()
    else:
        client.shutdown(socket.SHUT_WR)
    if server.recv(1) != b"":
        raise RuntimeError("expected EOF on the server side")
    wait_for(
        f"CLOSE_WAIT/FIN_WAIT2 for {spec['id']}",
        lambda: (
            tcp_state(server) == TCP_CLOSE_WAIT
            and read_tcp_states(v6).get((cl[1], cr[1])) == TCP_FIN_WAIT2
        ),
    )
    return finish_listener(
        spec, listener, [client_entry, tcp_entry(spec, n, "server", "CLOSE_WAIT", server, sl, sr)]
    )


def make_udp(spec: Json, n: int) -> list[Entry]:
    """Bound (optionally connected) UDP or UDP-Lite socket."""
    af, default = inet_family(spec)
    lite = spec["kind"] == "udplite" or bool(spec.get("lite", False))
    proto_num = IPPROTO_UDPLITE if lite else socket.IPPROTO_UDP
    label = ("udpl" if lite else "udp") + ("6" if af == socket.AF_INET6 else "")
    addr = spec.get("addr", default)
    port = int(spec.get("port", 0))
    check_port(spec, port, True)

    def bound(p: int) -> socket.socket:
        s = socket.socket(af, socket.SOCK_DGRAM, proto_num)
        if af == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, p))
        return s

    sock = bound(port)
    unspec = ("::", 0) if af == socket.AF_INET6 else ("0.0.0.0", 0)
    entries = []
    sender: socket.socket | None = None
    if spec.get("connect"):
        peer = bound(0)
        sock.connect(peer.getsockname())
        entries.append(
            Entry(
                spec["id"],
                n,
                spec["kind"],
                "peer",
                label,
                "",
                peer,
                addr_pair(peer.getsockname()),
                unspec,
                inode=inode_of(peer),
            )
        )
        sender = peer
    main = Entry(
        spec["id"],
        n,
        spec["kind"],
        "socket",
        label,
        "ESTABLISHED" if spec.get("connect") else "",
        sock,
        addr_pair(sock.getsockname()),
        addr_pair(sock.getpeername()) if spec.get("connect") else unspec,
        inode=inode_of(sock),
    )
    recv_q = int(spec.get("recv_q", 0))
    if recv_q:
        temp = None if sender else bound(0)
        (sender or temp).sendto(b"x" * recv_q, sock.getsockname())  # type: ignore[union-attr]
        wait_for(f"a queued datagram on {spec['id']}", lambda: fionread(sock) == recv_q)
        if temp is not None:
            temp.close()
    return [main, *entries]


def make_raw(spec: Json, n: int) -> list[Entry]:
    """RAW socket; ICMP types are filtered so the queue stays empty."""
    af, _ = inet_family(spec)
    v6 = af == socket.AF_INET6
    proto = int(spec.get("proto", socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP))
    sock = socket.socket(af, socket.SOCK_RAW, proto)
    if spec.get("filter", True):
        if not v6 and proto == socket.IPPROTO_ICMP:
            sock.setsockopt(SOL_RAW, ICMP_FILTER, struct.pack("=I", 0xFFFFFFFF))
        elif v6 and proto == socket.IPPROTO_ICMPV6:
            sock.setsockopt(socket.IPPROTO_ICMPV6, ICMPV6_FILTER, b"\xff" * 32)
    if spec.get("addr"):
        sock.bind((spec["addr"], 0))
    state = "7"
    if spec.get("connect"):
        sock.connect((spec["connect"], 0))
        state = "1"
    unspec = ("::", 0) if v6 else ("0.0.0.0", 0)
    local = addr_pair(sock.getsockname())
    # getpeername() is not supported on raw sockets; the kernel shows the
    # protocol number as the local "port" and 0 as the remote one.
    local = (local[0], proto)
    remote = (str(spec["connect"]), 0) if spec.get("connect") else unspec
    return [
        Entry(
            spec["id"],
            n,
            "raw",
            "socket",
            "raw6" if v6 else "raw",
            state,
            sock,
            local,
            remote,
            inode=inode_of(sock),
        )
    ]


UNIX_TYPES = {
    "stream": socket.SOCK_STREAM,
    "dgram": socket.SOCK_DGRAM,
    "seqpacket": socket.SOCK_SEQPACKET,
}


def unix_address(spec: Json, base: str, n: int) -> tuple[str | bytes | None, str | None]:
    """(address to bind, path as /proc/net/unix shows it) for a spec."""
    path = spec.get("path")
    if path is None:
        return None, None
    if int(spec.get("count", 1)) > 1:
        path = f"{path}.{n}"
    if path.startswith("@"):
        return b"\0" + path[1:].encode(), path
    full = os.path.join(base, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    return full, full


def make_unix(spec: Json, n: int, base: str) -> list[Entry]:
    """Named, abstract or unbound UNIX socket; listeners may have accepted
    and pending connections, bound datagram sockets may have clients."""
    kind = spec.get("type", "stream")
    stype = UNIX_TYPES[kind]
    bind_to, shown = unix_address(spec, base, n)
    sock = socket.socket(socket.AF_UNIX, stype)
    if bind_to is not None:
        sock.bind(bind_to)
    listening = bool(spec.get("listen", False))
    if listening:
        if stype == socket.SOCK_DGRAM or bind_to is None:
            raise SpecError(f"{spec['id']}: only a bound stream/seqpacket socket can listen")
        sock.listen(int(spec.get("backlog", 16)))
        sock.settimeout(WAIT_SECONDS)
    state = "LISTENING" if listening else ""
    entries = [
        Entry(
            spec["id"],
            n,
            "unix",
            "listener" if listening else "socket",
            "unix",
            state,
            sock,
            path=shown,
            inode=inode_of(sock),
        )
    ]

    def client() -> socket.socket:
        c = socket.socket(socket.AF_UNIX, stype)
        c.settimeout(WAIT_SECONDS)
        c.connect(bind_to)  # type: ignore[arg-type]
        return c

    for _ in range(int(spec.get("accepted", 0))):
        c = client()
        s, _ = sock.accept()
        entries.append(
            Entry(spec["id"], n, "unix", "client", "unix", "CONNECTED", c, inode=inode_of(c))
        )
        # The accepted socket carries the listener's path in /proc/net/unix.
        entries.append(
            Entry(
                spec["id"],
                n,
                "unix",
                "server",
                "unix",
                "CONNECTED",
                s,
                path=shown,
                inode=inode_of(s),
            )
        )
    for _ in range(int(spec.get("pending", 0))):
        c = client()
        entries.append(
            Entry(
                spec["id"], n, "unix", "pending_client", "unix", "CONNECTED", c, inode=inode_of(c)
            )
        )
        # Not yet accepted: the queued server end has no file (inode 0).
        entries.append(
            Entry(spec["id"], n, "unix", "pending_server", "unix", "CONNECTING", None, path=shown)
        )
    for _ in range(int(spec.get("clients", 0))):
        if stype != socket.SOCK_DGRAM or bind_to is None:
            raise SpecError(f"{spec['id']}: clients needs a bound dgram socket")
        c = client()
        # Observed on Linux 6.18: connecting a datagram socket to a bound one
        # also shows the bound one as CONNECTED in /proc/net/unix.
        entries[0].state = "CONNECTED"
        entries.append(
            Entry(spec["id"], n, "unix", "client", "unix", "CONNECTED", c, inode=inode_of(c))
        )
    return entries


def make_unix_pair(spec: Json, n: int) -> list[Entry]:
    """An unnamed connected pair (socketpair)."""
    a, b = socket.socketpair(socket.AF_UNIX, UNIX_TYPES[spec.get("type", "stream")])
    return [
        Entry(spec["id"], n, "unix_pair", role, "unix", "CONNECTED", s, inode=inode_of(s))
        for role, s in (("a", a), ("b", b))
    ]


MAKERS: dict[str, Callable[[Json, int], list[Entry]]] = {
    "tcp_listen": make_tcp_listen,
    "tcp_established": make_tcp_established,
    "tcp_time_wait": make_tcp_time_wait,
    "tcp_close_wait": make_tcp_close_wait,
    "tcp_fin_wait2": make_tcp_close_wait,
    "udp": make_udp,
    "udplite": make_udp,
    "raw": make_raw,
    "unix_pair": make_unix_pair,
}

# Rough fds per instance, to refuse specs that would exceed one process's limit.
FDS_PER_INSTANCE = {
    "tcp_listen": 1,
    "tcp_established": 3,
    "tcp_time_wait": 1,
    "tcp_close_wait": 3,
    "tcp_fin_wait2": 3,
    "udp": 2,
    "udplite": 2,
    "raw": 1,
    "unix": 1,
    "unix_pair": 2,
}


# --------------------------------------------------------------------------
# children


def python_executable() -> str:
    """The running interpreter's real path; sys.executable is unreliable once
    argv[0] has been replaced (CPython derives it from argv[0])."""
    return os.readlink("/proc/self/exe")


def child_env() -> dict[str, str]:
    """Environment for a re-exec with a fake argv[0]: PYTHONHOME pins the
    standard library, which CPython would otherwise search for next to a
    made-up argv[0] such as /usr/local/bin/x (and find a different Python)."""
    env = dict(os.environ)
    env["PYTHONHOME"] = f"{sys.base_prefix}:{sys.base_exec_prefix}"
    return env


def own_argv0() -> str:
    """argv[0] as netstat reads it, from /proc/self/cmdline."""
    with open("/proc/self/cmdline", "rb") as f:
        return f.read().split(b"\0")[0].decode(errors="surrogateescape")


def block_until_stdin_eof() -> None:
    """Hold everything open until whoever started us closes our stdin."""
    while True:
        try:
            if not os.read(0, 65536):
                return
        except InterruptedError:
            continue


def spawn_children(spec: Json, entries: list[Entry]) -> list[Json]:
    """Start the children the spec lists; return their report objects."""
    by_id: dict[str, list[Entry]] = {}
    for e in entries:
        by_id.setdefault(e.id, []).append(e)
    reports = []
    moved: list[Entry] = []
    for i, child in enumerate(spec.get("children", [])):
        share, move = list(child.get("share", [])), list(child.get("move", []))
        held: list[Entry] = []
        for sid in share + move:
            if sid not in by_id:
                raise SpecError(f"child {i}: unknown socket id {sid!r}")
            held += [e for e in by_id[sid] if e.sock is not None]
        mode = child.get("mode", "exec")
        if mode == "fork" and "argv0" in child:
            raise SpecError(f"child {i}: a forked child keeps the parent's argv[0]")
        argv0 = str(child.get("argv0", "pnt-child")) if mode != "fork" else own_argv0()
        if mode == "exec":
            proc = subprocess.Popen(
                [argv0, os.path.abspath(__file__), "--child"],
                executable=python_executable(),
                pass_fds=[e.sock.fileno() for e in held],  # type: ignore[union-attr]
                stdout=subprocess.DEVNULL,
                env=child_env(),
            )
            pid = proc.pid  # Popen returns only after the exec succeeded
        elif mode == "fork":
            keep = {e.sock.fileno() for e in held}  # type: ignore[union-attr]
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                try:
                    for e in entries:
                        if e.sock is not None and e.sock.fileno() not in keep:
                            e.sock.close()
                    devnull = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(devnull, 1)
                    block_until_stdin_eof()
                finally:
                    os._exit(0)
        else:
            raise SpecError(f"child {i}: mode must be exec or fork, got {mode!r}")
        for e in held:
            e.pids.append(pid)
        moved += [e for e in held if e.id in move]
        reports.append(
            {
                "id": child.get("id", f"child{i}"),
                "pid": pid,
                "argv0": argv0,
                "mode": mode,
                "share": share,
                "move": move,
            }
        )
    for e in moved:
        if e.sock is not None and os.getpid() in e.pids:
            e.pids.remove(os.getpid())
            e.sock.close()
    return reports


# --------------------------------------------------------------------------
# main


def build(spec: Json) -> tuple[list[Entry], list[Json]]:
    """Create every socket and child of ``spec``."""
    base = str(spec.get("dir") or os.getcwd())
    sockets = spec.get("sockets", [])
    ids = [s.get("id") for s in sockets]
    if len(set(ids)) != len(ids) or None in ids:
        raise SpecError("every socket needs a unique 'id'")
    need = sum(
        FDS_PER_INSTANCE.get(s.get("kind"), 1)
        * int(s.get("count", 1))
        * (1 + int(s.get("accepted", 0)) + int(s.get("pending", 0)))
        for s in sockets
    )
    if need > SPLIT_LIMIT_FDS:
        raise SpecError(f"spec needs ~{need} fds; split it over several holders")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    entries: list[Entry] = []
    for s in sockets:
        kind = s.get("kind")
        maker: Callable[[Json, int], list[Entry]]
        if kind == "unix":
            maker = functools.partial(make_unix, base=base)
        elif kind in MAKERS:
            maker = MAKERS[kind]
        else:
            raise SpecError(f"{s['id']}: unknown kind {kind!r}")
        for n in range(int(s.get("count", 1))):
            entries += maker(s, n)
    for e in entries:
        if e.sock is not None:
            e.pids.append(os.getpid())
    return entries, spawn_children(spec, entries)


def reexec_with_argv0(argv0: str, rest: list[str]) -> None:
    """Replace this process with the same script under argv[0] = ``argv0``."""
    os.execve(python_executable(), [argv0, os.path.abspath(__file__), *rest], child_env())


def main(argv: list[str]) -> int:
    """Entry point; see the module docstring."""
    if argv[:1] == ["--child"]:
        block_until_stdin_eof()
        return 0
    if argv[:1] == ["--argv0"]:
        if len(argv) < 2:
            print("--argv0 needs a value", file=sys.stderr)
            return 2
        reexec_with_argv0(argv[1], argv[2:])
    out = sys.stdout
    try:
        text = argv[0] if argv else sys.stdin.buffer.readline().decode()
        spec = json.loads(text)
        entries, children = build(spec)
        report = {
            "ready": True,
            "pid": os.getpid(),
            "argv0": own_argv0(),
            "dir": str(spec.get("dir") or os.getcwd()),
            "sockets": [e.report() for e in entries],
            "children": children,
        }
    except Exception as exc:  # report every failure on the protocol line
        out.write(json.dumps({"ready": False, "error": f"{exc!r}\n{traceback.format_exc()}"}))
        out.write("\n")
        out.flush()
        return 1
    out.write(json.dumps(report) + "\n")
    out.flush()
    block_until_stdin_eof()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
