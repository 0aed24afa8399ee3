"""unix_diag: the UNIX dump request and its decoding into the rows of /proc/net/unix."""

import struct
from collections import Counter
from collections.abc import Iterable, Iterator

from ...model import Family, UnixSocket
from ..procfs import ErrorHandler, ignore_errors
from .netlink import (
    _ALL_STATES,
    _TCP_ESTABLISHED,
    _TCP_LISTEN,
    _U32,
    NLATTR,
    NLMSGHDR,
    SOCK_DIAG_BY_FAMILY,
    Datagram,
    _checked,
    _dump,
    _layout,
    _message,
    _reader,
    _short,
    _skip,
)

__all__ = [
    "UNIX_DIAG_MSG", "UNIX_DIAG_REQ", "UNIX_DIAG_RQLEN_STRUCT", "dump_unix", "parse_unix_diag",
    "read_unix_sockets_diag", "unix_request",
]  # fmt: skip

UNIX_DIAG_REQ = _layout(
    "unix_diag_req", "sdiag_family B", "sdiag_protocol B", "pad H", "udiag_states I",
    "udiag_ino I", "udiag_show I", "udiag_cookie Q",
)  # fmt: skip
UNIX_DIAG_MSG = _layout(
    "unix_diag_msg", "udiag_family B", "udiag_type B", "udiag_state B", "pad B", "udiag_ino I",
    "udiag_cookie Q",
)  # fmt: skip
# struct unix_diag_rqlen: the payload of the attribute numbered UNIX_DIAG_RQLEN
UNIX_DIAG_RQLEN_STRUCT = _layout("unix_diag_rqlen", "udiag_rqueue I", "udiag_wqueue I")

_UNIX_ROW = _reader(
    NLMSGHDR, UNIX_DIAG_MSG,
    keep="nlmsg_len nlmsg_type udiag_type udiag_state udiag_ino udiag_cookie",
)  # fmt: skip

UDIAG_SHOW_NAME, UDIAG_SHOW_PEER, UDIAG_SHOW_ICONS, UDIAG_SHOW_RQLEN = 0x01, 0x04, 0x08, 0x10
UNIX_DIAG_NAME, UNIX_DIAG_PEER, UNIX_DIAG_ICONS, UNIX_DIAG_RQLEN = 0, 2, 3, 4
_SHOW = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS | UDIAG_SHOW_RQLEN
_ACC, _SS_UNCONNECTED, _SS_CONNECTING, _SS_CONNECTED = 0x10000, 1, 2, 3


# ----------------------------------------------------------------------------- requests


def unix_request(show: int = _SHOW) -> bytes:
    """The dump request for every UNIX socket, with the attributes ``show`` asks for."""
    return _message(UNIX_DIAG_REQ.struct.pack(int(Family.UNIX), 0, 0, _ALL_STATES, 0, show, 0))


def dump_unix(show: int = _SHOW) -> Iterator[memoryview]:
    """Send the UNIX dump request and yield each datagram the kernel answers (see dump_inet)."""
    return _dump(unix_request(show))


# ------------------------------------------------------------------------------- UNIX

_UnixEntry = tuple[int, int, int, bytes | None, int, tuple[int, ...], int | None, int | None]


def _unix_entries(datagrams: Iterable[Datagram], on_error: ErrorHandler) -> Iterator[_UnixEntry]:
    """``(type, state, inode, name, peer inode or -1, inodes of queued clients, rqueue,
    wqueue)`` per socket (the queues None if the kernel did not send them)."""
    unpack, need, attribute = _UNIX_ROW.unpack_from, _UNIX_ROW.size, NLATTR.struct.unpack_from
    queues = UNIX_DIAG_RQLEN_STRUCT.struct
    seen: set[int] = set()
    for datagram in datagrams:
        offset, size = 0, len(datagram)
        while offset < size:
            try:
                length, kind, sock_type, state, inode, cookie = unpack(datagram, offset)
            except struct.error:
                length, kind = _short(datagram, offset)
            if kind != SOCK_DIAG_BY_FAMILY or length < need:
                offset = _skip(datagram, offset, length, kind, on_error, len(seen) + 1)
                if offset < 0:
                    return
                continue
            end, position = offset + min(length, size - offset), offset + need
            offset += (length + 3) & ~3
            name, peer, icons, rqueue, wqueue = None, -1, (), None, None
            while position + 4 <= end:
                size_, type_ = attribute(datagram, position)
                if size_ < 4:
                    break
                if type_ == UNIX_DIAG_NAME:
                    name = bytes(datagram[position + 4 : position + size_])
                elif type_ == UNIX_DIAG_PEER:
                    peer = _U32.unpack_from(datagram, position + 4)[0]
                elif type_ == UNIX_DIAG_ICONS:
                    icons = struct.unpack_from("=%dI" % ((size_ - 4) // 4), datagram, position + 4)
                elif type_ == UNIX_DIAG_RQLEN and size_ >= 4 + queues.size:
                    rqueue, wqueue = queues.unpack_from(datagram, position + 4)
                position += (size_ + 3) & ~3
            if cookie not in seen:
                seen.add(cookie)
                yield sock_type, state, inode, name, peer, icons, rqueue, wqueue


def _unix_path(name: bytes | None) -> str | None:
    """The Path text /proc/net/unix prints for a UNIX_DIAG_NAME (sun_path's bytes).

    >>> _unix_path(b"/tmp/s\\0"), _unix_path(b"\\0abs\\0x"), _unix_path(None)
    ('/tmp/s', '@abs@x', None)
    """
    if name is None:
        return None
    # The kernel prints an abstract name with '@' for its leading NUL and drops a path's
    # trailing NUL; NULs inside become '@' (net/unix/af_unix.c, unix_seq_show).
    text = (b"@" + name[1:] if name[:1] == b"\0" else name[:-1]).replace(b"\0", b"@")
    # The /proc parser loses the white space before a path (it splits the line on it).
    return text.decode("utf-8", "surrogateescape").lstrip() or None


def parse_unix_diag(
    datagrams: Iterable[Datagram], on_error: ErrorHandler = ignore_errors
) -> Iterator[UnixSocket]:
    """Decode the answer to a UNIX dump into the rows /proc/net/unix shows.

    The whole answer is read first: a RefCount counts the sockets whose peer this one is,
    which may come later. Rows for connections waiting in an accept queue (inode 0, which
    unix_diag skips) are rebuilt from their listener's list and put where the kernel's hash
    table ends its unbound and path-bound half (their exact place there is unknowable).
    """
    entries = list(_unix_entries(datagrams, on_error))
    # RefCount: the socket, the hash table, and each socket holding it as its peer; a queued
    # connection (not in the dump) holds its client.
    peers = Counter(entry[4] for entry in entries)
    peers.update(client for entry in entries for client in entry[5])
    listened = {entry[3] for entry in entries if entry[1] == _TCP_LISTEN}
    rows: list[UnixSocket] = []
    queued: list[UnixSocket] = []
    upper = -1  # the first socket hashed by an abstract name of its own (af_unix.c)
    new = tuple.__new__
    for sock_type, state, inode, name, _peer, icons, rqueue, wqueue in entries:
        listening = state == _TCP_LISTEN
        if upper < 0 and name and name[0] == 0 and (listening or name not in listened):
            upper = len(rows)
        path = _unix_path(name)
        rows.append(new(UnixSocket, (
            0, 2 + peers[inode], 0, _ACC if listening else 0, sock_type,
            _SS_CONNECTED if state == _TCP_ESTABLISHED else _SS_UNCONNECTED, inode, path,
            rqueue, wqueue,
        )))  # fmt: skip
        for client in icons:
            # The kernel's socket for a queued connection: no inode, the listener's name,
            # held by its client (while that lives) besides itself and the hash table.
            queued.append(
                UnixSocket(0, 3 if client else 2, 0, 0, sock_type, _SS_CONNECTING, 0, path)
            )
    where = upper if upper >= 0 else len(rows)
    rows[where:where] = queued
    return iter(rows)


def read_unix_sockets_diag(*, on_error: ErrorHandler = ignore_errors) -> Iterator[UnixSocket]:
    """The sockets /proc/net/unix would list, read through NETLINK_SOCK_DIAG.

    Raises ``NetlinkError`` at call time if the kernel refuses (no unix_diag module, netlink
    forbidden). See the module docstring for what differs from /proc.
    """
    return _checked(dump_unix(), lambda d: parse_unix_diag(d, on_error))
