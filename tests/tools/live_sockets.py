#!/usr/bin/env python3
"""Open a fixed zoo of sockets (loopback only) and hold them, for the live-ns fixture.

Run inside a throwaway network namespace (make_live_ns.py does that)::

    ip netns exec NS python3 tests/tools/live_sockets.py OUT.json UNIX_DIR

Writes ``{"role": inode, ...}`` to OUT.json once every socket is in place, then sleeps
until SIGTERM. Roles are the names make_live_ns.py uses to give sockets fake owners.
Expects ``lo`` up and 2001:db8:1234:5678:9abc:def0:1234:5678/128 on it.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import struct
import sys
import time
from pathlib import Path

IPPROTO_UDPLITE = 136
LONG_V6 = "2001:db8:1234:5678:9abc:def0:1234:5678"

held: dict[str, socket.socket] = {}


def keep(role: str, sock: socket.socket) -> socket.socket:
    held[role] = sock
    return sock


def tcp_listener(
    family: int, addr: tuple, backlog: int = 5, v6only: bool | None = None
) -> socket.socket:
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
    s.bind(addr)
    s.listen(backlog)
    return s


def tcp_pair(
    family: int, listener: socket.socket, dest: tuple
) -> tuple[socket.socket, socket.socket]:
    c = socket.socket(family, socket.SOCK_STREAM)
    c.connect(dest)
    a, _ = listener.accept()
    return c, a


def wait_state(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for a socket state")
        time.sleep(0.02)


def tcp_states() -> list[str]:
    """The state column of every row of /proc/net/tcp and tcp6."""
    rows = []
    for name in ("tcp", "tcp6"):
        with open(f"/proc/net/{name}") as f:
            rows += [line.split()[3] for line in list(f)[1:]]
    return rows


def open_tcp() -> None:
    keep("tcp4_listen_ssh", tcp_listener(socket.AF_INET, ("0.0.0.0", 22)))
    httpalt = keep("tcp4_listen_httpalt", tcp_listener(socket.AF_INET, ("127.0.0.1", 8080)))
    keep("tcp4_listen_clc", tcp_listener(socket.AF_INET, ("127.0.0.1", 8990)))
    dual = keep("tcp6_listen_dual", tcp_listener(socket.AF_INET6, ("::", 80), v6only=False))
    rdp = keep("tcp6_listen_v6only", tcp_listener(socket.AF_INET6, ("::1", 3389), v6only=True))
    keep("tcp6_listen_long", tcp_listener(socket.AF_INET6, (LONG_V6, 45678), v6only=True))

    # A listener created by uid 65534 (sk_uid comes from the creator's fsuid).
    os.setresuid(-1, 65534, 0)
    try:
        nob = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    finally:
        os.setresuid(-1, 0, 0)
    nob.bind(("127.0.0.1", 8000))
    nob.listen(5)
    keep("tcp4_listen_nobody", nob)

    # ESTABLISHED with 100 unread bytes (Recv-Q) and a keepalive timer on the client.
    c, a = tcp_pair(socket.AF_INET, httpalt, ("127.0.0.1", 8080))
    c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    c.sendall(b"x" * 100)
    keep("tcp4_est_client", c)
    keep("tcp4_est_server", a)

    # IPv4 client to the dual-stack listener: the accepted socket is ::ffff:127.0.0.1 in tcp6.
    c, a = tcp_pair(socket.AF_INET, dual, ("127.0.0.1", 80))
    keep("tcp4_mapped_client", c)
    keep("tcp6_mapped_server", a)

    # Plain IPv6 connection over ::1.
    c, a = tcp_pair(socket.AF_INET6, rdp, ("::1", 3389))
    keep("tcp6_est_client", c)
    keep("tcp6_est_server", a)

    # TIME_WAIT: the client closes first, then the server; the client ends in TIME_WAIT.
    tw = tcp_listener(socket.AF_INET, ("127.0.0.1", 9000))
    keep("tcp4_listen_9000", tw)
    c, a = tcp_pair(socket.AF_INET, tw, ("127.0.0.1", 9000))
    c.close()
    assert a.recv(10) == b""
    a.close()

    # CLOSE_WAIT on the client, orphaned FIN_WAIT2 on the server side.
    cw = keep("tcp4_listen_9001", tcp_listener(socket.AF_INET, ("127.0.0.1", 9001)))
    c, a = tcp_pair(socket.AF_INET, cw, ("127.0.0.1", 9001))
    a.close()
    keep("tcp4_closewait_client", c)

    # A connection queued on a listener and never accepted (listener Recv-Q 1, child inode 0).
    pend = keep("tcp4_listen_pending", tcp_listener(socket.AF_INET, ("127.0.0.1", 9002)))
    keep("tcp4_pending_client", socket.create_connection(("127.0.0.1", 9002)))
    del pend

    # SYN_SENT: with backlog 0 the accept queue holds one connection; a second SYN is dropped.
    full = keep("tcp4_listen_full", tcp_listener(socket.AF_INET, ("127.0.0.1", 9003), backlog=0))
    keep("tcp4_full_client1", socket.create_connection(("127.0.0.1", 9003)))
    time.sleep(0.1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    err = s.connect_ex(("127.0.0.1", 9003))
    assert err == errno.EINPROGRESS, err
    keep("tcp4_synsent_client", s)
    del full

    # Zero-window probe: a tiny receive buffer that is never read, a sender that fills it.
    rl = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    rl.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    rl.bind(("127.0.0.1", 9004))
    rl.listen(5)
    keep("tcp4_listen_9004", rl)
    sender = socket.create_connection(("127.0.0.1", 9004))
    receiver, _ = rl.accept()
    sender.setblocking(False)
    try:
        while True:
            sender.send(b"z" * 4096)
    except BlockingIOError:
        pass
    keep("tcp4_probe_sender", sender)
    keep("tcp4_probe_receiver", receiver)

    wait_state(lambda: "06" in tcp_states())  # TIME_WAIT present
    wait_state(lambda: "05" in tcp_states())  # FIN_WAIT2 present
    wait_state(lambda: "02" in tcp_states())  # SYN_SENT present


def open_udp() -> None:
    dom = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dom.bind(("0.0.0.0", 53))
    keep("udp4_bound_domain", dom)
    mdns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mdns.bind(("127.0.0.1", 5353))
    keep("udp4_bound_mdns", mdns)
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.connect(("127.0.0.1", 53))
    c.send(b"q" * 40)  # unread by dom -> Recv-Q
    keep("udp4_connected", c)

    b6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    b6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    b6.bind(("::", 546))
    keep("udp6_bound_dhcpv6", b6)
    c6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    c6.connect(("::1", 547))
    keep("udp6_connected", c6)

    # Multicast memberships (for /proc/net/igmp and igmp6, used by later -g work).
    mreq = struct.pack(
        "4s4si",
        socket.inet_aton("239.1.2.3"),
        socket.inet_aton("0.0.0.0"),
        socket.if_nametoindex("lo"),
    )
    try:
        mdns.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    except OSError as e:
        print(f"IPv4 multicast join failed: {e}", file=sys.stderr)
    mreq6 = socket.inet_pton(socket.AF_INET6, "ff15::1234") + struct.pack(
        "@I", socket.if_nametoindex("lo")
    )
    try:
        b6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq6)
    except OSError as e:
        print(f"IPv6 multicast join failed: {e}", file=sys.stderr)

    ul = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, IPPROTO_UDPLITE)
    ul.bind(("0.0.0.0", 7000))
    keep("udpl4_bound", ul)
    ulc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, IPPROTO_UDPLITE)
    ulc.connect(("127.0.0.1", 7000))
    keep("udpl4_connected", ulc)
    ul6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, IPPROTO_UDPLITE)
    ul6.bind(("::", 7001))
    keep("udpl6_bound", ul6)


def open_raw() -> None:
    keep("raw4_icmp", socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
    keep("raw6_icmp6", socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6))
    keep("raw4_255", socket.socket(socket.AF_INET, socket.SOCK_RAW, 255))
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    r.connect(("127.0.0.1", 0))
    keep("raw4_tcp_connected", r)


def open_unix(base: Path) -> None:
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(base / "srv.sock"))
    srv.listen(5)
    keep("unix_listen_named", srv)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(str(base / "srv.sock"))
    a, _ = srv.accept()
    keep("unix_named_client", c)
    keep("unix_named_server", a)

    pend = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    pend.bind(str(base / "pending.sock"))
    pend.listen(5)
    keep("unix_listen_pending", pend)
    pc = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    pc.connect(str(base / "pending.sock"))
    keep("unix_pending_client", pc)

    ab = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ab.bind("\0pnetstat-abstract")
    ab.listen(5)
    keep("unix_listen_abstract", ab)
    ac = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ac.connect("\0pnetstat-abstract")
    aa, _ = ab.accept()
    keep("unix_abstract_client", ac)
    keep("unix_abstract_server", aa)

    sp = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sp.bind("\0pnetstat-seqp")
    sp.listen(5)
    keep("unix_listen_seqpacket", sp)

    dg = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dg.bind(str(base / "dg.sock"))
    keep("unix_dgram_named", dg)
    dsp = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dsp.bind(str(base / "with space.sock"))
    keep("unix_dgram_space", dsp)
    nul = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    nul.bind("\0abs\0with\0nul")
    keep("unix_dgram_abstract_nul", nul)
    dc = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dc.connect(str(base / "dg.sock"))
    keep("unix_dgram_connected", dc)
    keep("unix_dgram_unbound", socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))
    keep("unix_stream_unbound", socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))

    x, y = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    keep("unix_pair_dgram_a", x)
    keep("unix_pair_dgram_b", y)
    x, y = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    keep("unix_pair_stream_a", x)
    keep("unix_pair_stream_b", y)


def main() -> int:
    out, base = Path(sys.argv[1]), Path(sys.argv[2])
    base.mkdir(parents=True, exist_ok=True)
    open_tcp()
    open_udp()
    open_raw()
    open_unix(base)
    time.sleep(0.3)  # let the probe timer arm and the queues settle
    inodes = {role: os.fstat(s.fileno()).st_ino for role, s in held.items()}
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(inodes, indent=1))
    tmp.rename(out)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
