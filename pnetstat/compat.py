"""``psutil.net_connections`` for code that used psutil: same shape, from pnetstat's readers.

``net_connections(kind)`` returns ``sconn(fd, family, type, laddr, raddr, status, pid)``
namedtuples with psutil's field names, types and values: ``family`` and ``type`` are
``socket.AddressFamily``/``socket.SocketKind`` members, ``laddr``/``raddr`` are ``addr(ip,
port)`` for Internet sockets (``()`` where the port is 0) and the path (``""`` if unnamed) for
UNIX sockets, ``status`` is one of psutil's ``CONN_*`` strings, ``pid`` is ``None`` and ``fd``
is -1 when no visible process holds the socket.

Deliberate differences from psutil 7:

* Every process holding a socket gets its own entry (psutil keeps one arbitrary holder of an
  Internet socket: the last process it walked), and entries come in the kernel's order
  rather than in a set's.
* A UNIX path with a newline, spaces or bytes that are not UTF-8 is returned whole (psutil
  keeps the last whitespace-separated word, or raises on a line it cannot split).
"""

from __future__ import annotations

import os
import socket
from typing import NamedTuple

from .errors import Unsupported
from .model import Family, InetSocket, OwnerMap, Protocol, UnixSocket
from .sources.processes import read_owners
from .sources.procfs import ProcFS, read_inet_sockets, read_unix_sockets

__all__ = [
    "CONN_CLOSE",
    "CONN_CLOSE_WAIT",
    "CONN_CLOSING",
    "CONN_ESTABLISHED",
    "CONN_FIN_WAIT1",
    "CONN_FIN_WAIT2",
    "CONN_LAST_ACK",
    "CONN_LISTEN",
    "CONN_NONE",
    "CONN_SYN_RECV",
    "CONN_SYN_SENT",
    "CONN_TIME_WAIT",
    "addr",
    "net_connections",
    "sconn",
]

CONN_ESTABLISHED = "ESTABLISHED"
CONN_SYN_SENT = "SYN_SENT"
CONN_SYN_RECV = "SYN_RECV"
CONN_FIN_WAIT1 = "FIN_WAIT1"
CONN_FIN_WAIT2 = "FIN_WAIT2"
CONN_TIME_WAIT = "TIME_WAIT"
CONN_CLOSE = "CLOSE"
CONN_CLOSE_WAIT = "CLOSE_WAIT"
CONN_LAST_ACK = "LAST_ACK"
CONN_LISTEN = "LISTEN"
CONN_CLOSING = "CLOSING"
CONN_NONE = "NONE"

_TCP_STATUS = {
    1: CONN_ESTABLISHED, 2: CONN_SYN_SENT, 3: CONN_SYN_RECV, 4: CONN_FIN_WAIT1,
    5: CONN_FIN_WAIT2, 6: CONN_TIME_WAIT, 7: CONN_CLOSE, 8: CONN_CLOSE_WAIT, 9: CONN_LAST_ACK,
    10: CONN_LISTEN, 11: CONN_CLOSING,
}  # fmt: skip

_TCP4 = (Protocol.TCP, Family.INET)
_TCP6 = (Protocol.TCP, Family.INET6)
_UDP4 = (Protocol.UDP, Family.INET)
_UDP6 = (Protocol.UDP, Family.INET6)
_KINDS: dict[str, tuple[tuple[Protocol, Family] | None, ...]] = {
    "all": (_TCP4, _TCP6, _UDP4, _UDP6, None),
    "tcp": (_TCP4, _TCP6),
    "tcp4": (_TCP4,),
    "tcp6": (_TCP6,),
    "udp": (_UDP4, _UDP6),
    "udp4": (_UDP4,),
    "udp6": (_UDP6,),
    "unix": (None,),
    "inet": (_TCP4, _TCP6, _UDP4, _UDP6),
    "inet4": (_TCP4, _UDP4),
    "inet6": (_TCP6, _UDP6),
}


class addr(NamedTuple):  # psutil spells it so
    """An Internet endpoint, as psutil's ``addr``."""

    ip: str
    port: int


class sconn(NamedTuple):  # psutil spells it so
    """One socket held by one process, as psutil's ``sconn``."""

    fd: int
    family: socket.AddressFamily
    type: socket.SocketKind | int
    laddr: addr | tuple[()] | str
    raddr: addr | tuple[()] | str
    status: str
    pid: int | None


def _endpoint(address: object, port: int) -> addr | tuple[()]:
    if not port:
        return ()
    packed = address.packed  # type: ignore[attr-defined]
    family = socket.AF_INET if len(packed) == 4 else socket.AF_INET6
    return addr(socket.inet_ntop(family, packed), port)


def _holders(owners: OwnerMap, inode: int | None) -> list[tuple[int, int | None]]:
    found = owners.owners.get(inode, ()) if inode else ()
    return [(o.fd, o.pid) for o in found] or [(-1, None)]


def _inet(sock: InetSocket, owners: OwnerMap) -> list[sconn]:
    family = socket.AF_INET6 if sock.family == Family.INET6 else socket.AF_INET
    stream = sock.protocol is Protocol.TCP
    kind = socket.SOCK_STREAM if stream else socket.SOCK_DGRAM
    status = _TCP_STATUS.get(sock.state, CONN_NONE) if stream else CONN_NONE
    laddr = _endpoint(sock.local_address, sock.local_port)
    raddr = _endpoint(sock.remote_address, sock.remote_port)
    return [
        sconn(fd, family, kind, laddr, raddr, status, pid)
        for fd, pid in _holders(owners, sock.inode)
    ]


def _unix(sock: UnixSocket, owners: OwnerMap) -> list[sconn]:
    try:
        kind: socket.SocketKind | int = socket.SocketKind(sock.type)
    except ValueError:
        kind = sock.type
    return [
        sconn(fd, socket.AF_UNIX, kind, sock.path or "", "", CONN_NONE, pid)
        for fd, pid in _holders(owners, sock.inode)
    ]


def net_connections(kind: str = "inet", *, proc: str | os.PathLike[str] = "/proc") -> list[sconn]:
    """System-wide sockets as ``psutil.net_connections(kind)`` returns them.

    ``kind`` is one of psutil's: ``inet``, ``inet4``, ``inet6``, ``tcp``, ``tcp4``, ``tcp6``,
    ``udp``, ``udp4``, ``udp6``, ``unix``, ``all``.

    >>> all(c.status == CONN_NONE for c in net_connections("udp"))
    True
    """
    if kind not in _KINDS:
        raise ValueError(f"invalid kind argument {kind!r}; choose between {', '.join(_KINDS)}")
    root = ProcFS(proc)
    owners = read_owners(root)
    found: list[sconn] = []
    for table in _KINDS[kind]:
        try:
            if table is None:
                for usock in read_unix_sockets(root):
                    found.extend(_unix(usock, owners))
            else:
                for isock in read_inet_sockets(root, *table):
                    found.extend(_inet(isock, owners))
        except Unsupported:
            continue
    return found
