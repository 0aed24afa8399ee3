"""psutil's connection calls for code that used psutil: same shapes, from pnetstat's readers.

``net_connections(kind)`` is ``psutil.net_connections(kind)``: ``sconn(fd, family, type, laddr,
raddr, status, pid)`` namedtuples with psutil's field names, types and values: ``family`` and
``type`` are ``socket.AddressFamily``/``socket.SocketKind`` members, ``laddr``/``raddr`` are
``addr(ip, port)`` for Internet sockets (``()`` where the port is 0) and the path (``""`` if
unnamed) for UNIX sockets, ``status`` is one of psutil's ``CONN_*`` strings, ``pid`` is ``None``
and ``fd`` is -1 when no visible process holds the socket. Each entry comes once, as psutil's
do (psutil gathers them in a set): three unnamed sockets that no visible process holds are one
entry.

``process_connections(pid, kind)`` is ``psutil.Process(pid).net_connections(kind)``: ``pconn(fd,
family, type, laddr, raddr, status)`` for the sockets ``pid`` holds.

Errors are the standard exceptions psutil's own are made from (the library stays free of
psutil): ``ValueError`` for an unknown ``kind``; ``ProcessLookupError`` where psutil raises
``NoSuchProcess``, ``PermissionError`` where it raises ``AccessDenied``; and, as psutil, the
``OSError`` of the failed read for an unusable proc root (``FileNotFoundError`` when it is
missing, ``NotADirectoryError``) or a missing table (``FileNotFoundError`` for
``net/tcp``, ``net/udp`` or ``net/unix``). A missing ``net/tcp6`` or ``net/udp6`` is a kernel
without IPv6, as psutil takes it: those tables then add nothing.

Deliberate differences from psutil 7.2.2:

* Every process and fd holding a socket gets its own entry (psutil keeps one arbitrary holder
  of an Internet socket: the first fd of the last process it walked), and entries come in the
  kernel's order (psutil's come in a set's order).
* A UNIX path containing whitespace is returned whole. psutil splits each /proc/net/unix line
  on whitespace: it returns ``""`` for a path with a space, only the part before a newline (and
  raises ``RuntimeError`` when the part after it has a space).
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Iterator
from typing import NamedTuple, TypeAlias

from .errors import ProcReadError
from .model import Family, InetSocket, Protocol, UnixSocket
from .sources.proc_inet import read_inet_sockets
from .sources.proc_unix import read_unix_sockets
from .sources.processes import parse_socket_link, read_owners
from .sources.procfs import ProcFS

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
    "pconn",
    "process_connections",
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
    """One socket held by one process (or by none visible), as psutil's ``sconn``."""

    fd: int
    family: socket.AddressFamily
    type: socket.SocketKind | int
    laddr: addr | tuple[()] | str
    raddr: addr | tuple[()] | str
    status: str
    pid: int | None


class pconn(NamedTuple):  # psutil spells it so
    """One socket held by the process asked about, as psutil's ``pconn``."""

    fd: int
    family: socket.AddressFamily
    type: socket.SocketKind | int
    laddr: addr | tuple[()] | str
    raddr: addr | tuple[()] | str
    status: str


# family, type, laddr, raddr, status: what every holder of one socket shares.
_Fields: TypeAlias = tuple[
    socket.AddressFamily,
    socket.SocketKind | int,
    addr | tuple[()] | str,
    addr | tuple[()] | str,
    str,
]
_Table: TypeAlias = tuple[Protocol, Family] | None  # None: /proc/net/unix


def _tables(kind: str) -> tuple[_Table, ...]:
    try:
        return _KINDS[kind]
    except KeyError:
        raise ValueError(
            f"invalid kind argument {kind!r}; choose between {', '.join(_KINDS)}"
        ) from None


def _endpoint(address: object, port: int) -> addr | tuple[()]:
    if not port:
        return ()
    packed = address.packed  # type: ignore[attr-defined]
    family = socket.AF_INET if len(packed) == 4 else socket.AF_INET6
    return addr(socket.inet_ntop(family, packed), port)


def _inet_fields(sock: InetSocket) -> _Fields:
    family = socket.AF_INET6 if sock.family == Family.INET6 else socket.AF_INET
    stream = sock.protocol is Protocol.TCP
    kind = socket.SOCK_STREAM if stream else socket.SOCK_DGRAM
    status = _TCP_STATUS.get(sock.state, CONN_NONE) if stream else CONN_NONE
    laddr = _endpoint(sock.local_address, sock.local_port)
    raddr = _endpoint(sock.remote_address, sock.remote_port)
    return family, kind, laddr, raddr, status


def _unix_fields(sock: UnixSocket) -> _Fields:
    try:
        kind: socket.SocketKind | int = socket.SocketKind(sock.type)
    except ValueError:
        kind = sock.type
    return socket.AF_UNIX, kind, sock.path or "", "", CONN_NONE


def _read_table(root: ProcFS, table: _Table) -> Iterator[tuple[int | None, _Fields]]:
    """(inode, fields) of each row of one table, read errors raised as psutil raises them."""
    try:
        if table is None:
            for usock in read_unix_sockets(root):
                yield usock.inode, _unix_fields(usock)
        else:
            for isock in read_inet_sockets(root, *table):
                yield isock.inode, _inet_fields(isock)
    except ProcReadError as exc:
        # psutil takes a missing tcp6/udp6 for a kernel without IPv6 (nothing to list) and lets
        # the error of any other failed open through (psutil/_pslinux.py, process_inet).
        if exc.errno == errno.ENOENT and table is not None and table[1] is Family.INET6:
            return
        raise OSError(exc.errno, exc.strerror, exc.path) from exc


def net_connections(kind: str = "inet", *, proc: str | os.PathLike[str] = "/proc") -> list[sconn]:
    """System-wide sockets as ``psutil.net_connections(kind)`` returns them.

    ``kind`` is one of psutil's: ``inet``, ``inet4``, ``inet6``, ``tcp``, ``tcp4``, ``tcp6``,
    ``udp``, ``udp4``, ``udp6``, ``unix``, ``all``. Raises ``ValueError`` for any other, and
    the ``OSError`` psutil raises for an unusable ``proc`` or a missing table (module
    docstring).

    >>> all(c.status == CONN_NONE for c in net_connections("udp"))
    True
    """
    tables = _tables(kind)
    root = ProcFS(proc)
    owners = read_owners(root)
    if owners.proc_unreadable:
        # psutil lists the pids first and lets that fail (FileNotFoundError for a missing
        # root): an unreadable root must not read as "no connections". read_owners keeps
        # only the fact, so list again for the error itself.
        os.listdir(root.root)
        owners = read_owners(root)  # it came back in between
    # A dict keeps the first of equal entries, in order: psutil returns each entry once.
    found: dict[sconn, None] = {}
    for table in tables:
        for inode, fields in _read_table(root, table):
            holders = owners.owners.get(inode, ()) if inode else ()
            if not holders:
                found[sconn(-1, *fields, None)] = None
            for owner in holders:
                found[sconn(owner.fd, *fields, owner.pid)] = None
    return list(found)


def process_connections(
    pid: int, kind: str = "inet", *, proc: str | os.PathLike[str] = "/proc"
) -> list[pconn]:
    """The sockets ``pid`` holds, as ``psutil.Process(pid).net_connections(kind)`` returns them.

    ``kind`` as for :func:`net_connections`. Where psutil raises ``NoSuchProcess`` this raises
    ``ProcessLookupError`` (no such process, or it exited during the call), where psutil
    raises ``AccessDenied`` ``PermissionError`` (its fd directory may not be read). Every fd
    of the process holding a socket gets its own entry.
    """
    tables = _tables(kind)
    if isinstance(pid, bool) or not isinstance(pid, int):
        raise TypeError(f"pid must be an integer (got {pid!r})")
    if pid < 0:
        raise ValueError(f"pid must be a positive integer (got {pid})")
    root = ProcFS(proc)
    try:
        found = _process_entries(root, pid, tables)
        # As psutil: a process that exited while we read it is gone, not socket-less.
        os.stat(root.path(str(pid)))
    except FileNotFoundError as exc:
        # /proc/PID (or a file in it) vanished: the process is gone unless /proc/PID/stat is
        # still there (psutil/_pslinux.py, wrap_exceptions, makes the same test).
        if not os.path.exists(root.path(f"{pid}/stat")):
            raise ProcessLookupError(
                errno.ESRCH, os.strerror(errno.ESRCH), root.path(str(pid))
            ) from exc
        raise
    return found


def _process_entries(root: ProcFS, pid: int, tables: tuple[_Table, ...]) -> list[pconn]:
    fds = _read_socket_fds(root, pid)
    if not fds:
        return []  # as psutil: no table is read (a missing one raises nothing here)
    found: dict[pconn, None] = {}  # the first of equal entries, in order
    for table in tables:
        for inode, fields in _read_table(root, table):
            for fd in fds.get(inode, ()) if inode else ():
                found[pconn(fd, *fields)] = None
    return list(found)


def _read_socket_fds(root: ProcFS, pid: int) -> dict[int, list[int]]:
    """Socket inode -> the fds of ``pid`` holding it, in ascending order (/proc's own)."""
    fd_dir = root.path(f"{pid}/fd")
    fds: dict[int, list[int]] = {}
    for name in sorted(os.listdir(fd_dir), key=lambda name: (len(name), name)):
        try:
            target = os.readlink(f"{fd_dir}/{name}")
        except (FileNotFoundError, ProcessLookupError):
            continue  # closed meantime (an exit is caught by the caller's final check)
        except OSError as exc:
            # Not a link, or a target longer than PATH_MAX (psutil issue 1940): no socket.
            if exc.errno in (errno.EINVAL, errno.ENAMETOOLONG):
                continue
            raise
        inode = parse_socket_link(target)
        if inode is not None and name.isdigit():
            fds.setdefault(inode, []).append(int(name))
    return fds
