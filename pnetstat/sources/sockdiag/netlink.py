"""Requests and datagrams: kernel structs as data, the netlink header, the NETLINK_SOCK_DIAG
socket and its dump, and walking the messages of an answer (shared by ``inet`` and ``unix``)."""

import _socket  # the C module: socket.py's enums cost start-up time
import errno
import struct
from collections.abc import Callable, Iterable, Iterator
from itertools import chain

from ..._typing import NamedTuple, TypeVar
from ...errors import NetlinkError, ParseError
from ...model import InetSocket, UnixSocket
from ..procfs import ErrorHandler

__all__ = ["NLATTR", "NLMSGHDR", "Layout"]

Datagram = bytes | bytearray | memoryview
_Row = TypeVar("_Row", InetSocket, UnixSocket)


class Layout(NamedTuple):
    """A kernel struct as data: its name, its fields (the kernel's names, nested structs
    flattened as ``id.idiag_sport``) and the precompiled ``struct.Struct`` (native order, no
    padding: these structs have none)."""

    name: str
    fields: tuple[str, ...]
    codes: tuple[str, ...]
    struct: struct.Struct


def _layout(name: str, *fields: str) -> Layout:
    names, codes = zip(*(field.split() for field in fields), strict=True)
    return Layout(name, names, codes, struct.Struct("=" + "".join(codes)))


def _reader(*layouts: Layout, keep: str, codes: dict[str, str] | None = None) -> struct.Struct:
    """One ``Struct`` reading ``layouts`` back to back that unpacks only the fields named in
    ``keep`` (the others are skipped as padding), with ``codes`` replacing some formats."""
    wanted, codes = set(keep.split()), codes or {}
    parts = [
        codes.get(name, code) if name in wanted else "%dx" % struct.calcsize(code)
        for layout in layouts
        for name, code in zip(layout.fields, layout.codes, strict=True)
    ]
    return struct.Struct("=" + "".join(parts))


NLMSGHDR = _layout(
    "nlmsghdr", "nlmsg_len I", "nlmsg_type H", "nlmsg_flags H", "nlmsg_seq I", "nlmsg_pid I"
)
NLATTR = _layout("nlattr", "nla_len H", "nla_type H")

_HEADER, _U32, _S32 = struct.Struct("=IH"), struct.Struct("=I"), struct.Struct("=i")

NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, TCPDIAG_GETSOCK = 4, 20, 18
NLM_F_REQUEST, NLM_F_DUMP = 0x01, 0x300  # NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH
NLMSG_ERROR, NLMSG_DONE = 2, 3

_TCP_ESTABLISHED, _TCP_SYN_RECV, _TCP_LISTEN = 1, 3, 10
_ALL_STATES = 0xFFFFFFFF
# The socket's queue: room for many datagrams the kernel builds ahead of our reading.
_RECV_QUEUE = 1 << 20
# One datagram: the kernel sizes a dump's datagrams by the reader's buffer but never past 32
# KiB (netlink_recvmsg caps max_recvmsg_len at SKB_WITH_OVERHEAD(32768)). bytearray() zeroes
# what it allocates: a 1 MiB buffer cost every run 256 page faults and a 1 MiB memset.
_RECV_BUFFER = 1 << 16
_TIMEOUT = 30.0  # a dump that stalls this long is an error, not a hang
_QUEUED = 64  # datagrams received ahead of the decoder (32 KiB each): a bound on memory


# ----------------------------------------------------------------------------- requests


def _message(body: bytes, kind: int = SOCK_DIAG_BY_FAMILY) -> bytes:
    size, flags = NLMSGHDR.struct.size + len(body), NLM_F_REQUEST | NLM_F_DUMP
    return NLMSGHDR.struct.pack(size, kind, flags, 1, 0) + body


def _netlink_error(exc: OSError) -> NetlinkError:
    code = errno.ETIMEDOUT if isinstance(exc, TimeoutError) else exc.errno or 0
    return NetlinkError(f"sock_diag: {exc.strerror or errno.errorcode.get(code, code)}", code)


def _dump(request: bytes, ahead: bool = True) -> Iterator[memoryview]:
    try:
        sock = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_DGRAM | _socket.SOCK_CLOEXEC,
                              NETLINK_SOCK_DIAG)  # fmt: skip
    except OSError as exc:
        raise _netlink_error(exc) from None
    return _datagrams(sock, request, ahead)


def _datagrams(sock: _socket.socket, request: bytes, ahead: bool = True) -> Iterator[memoryview]:
    """The answer, received on a thread (``readahead``) while the caller decodes, if
    ``ahead``: the kernel builds each next datagram of a dump inside the ``recv`` that takes
    the previous one."""
    buffer = bytearray(_RECV_BUFFER)
    view = memoryview(buffer)
    unsent = [request]

    def receive() -> bytes:
        if unsent:  # the first call sends the request (the kernel makes the first datagram)
            sock.settimeout(_TIMEOUT)
            sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVBUF, _RECV_QUEUE)
            sock.send(unsent.pop())
        # MSG_TRUNC: the datagram's whole length, so that one cut short is an error.
        size = sock.recv_into(buffer, 0, _socket.MSG_TRUNC)
        if not size:
            raise NetlinkError("sock_diag: the answer ended without NLMSG_DONE", errno.EIO)
        if size > len(buffer):
            raise NetlinkError(f"sock_diag: a datagram of {size} bytes was cut", errno.EMSGSIZE)
        return bytes(view[:size])

    handed_over = False  # to the reader thread, which closes the socket at its end
    try:
        # The kernel makes the first datagram inside send(): a small table's whole answer,
        # taken without starting a thread for it.
        first = receive()
        yield memoryview(first)
        if _last(first):
            return
        if not ahead:
            datagram = first
            while not _last(datagram):
                datagram = receive()
                yield memoryview(datagram)
            return
        from ..readahead import read_ahead

        handed_over = True
        for datagram in read_ahead(receive, last=_last, close=sock.close, depth=_QUEUED):
            yield memoryview(datagram)
    except OSError as exc:
        raise _netlink_error(exc) from None
    finally:
        if not handed_over:
            sock.close()


def _last(datagram: Datagram) -> bool:
    """Whether a datagram ends the answer: it is an error, or its last message is NLMSG_DONE.

    A dump's datagrams are full of socket messages: only the tail is looked at, and the
    message chain walked to confirm a tail that looks like NLMSG_DONE (20 bytes: the header
    and the dump's status).

    >>> done = NLMSGHDR.struct.pack(20, NLMSG_DONE, 2, 1, 0) + bytes(4)
    >>> sock = NLMSGHDR.struct.pack(24, SOCK_DIAG_BY_FAMILY, 2, 1, 0) + bytes(8)
    >>> _last(sock + done), _last(sock), _last(done)
    (True, False, True)
    """
    size = len(datagram)
    if size < 20 or _short(datagram, 0)[1] in (NLMSG_DONE, NLMSG_ERROR):
        return size >= 16
    if _short(datagram, size - 20) != (20, NLMSG_DONE):
        return False
    offset = 0
    while offset < size - 20:
        length = _short(datagram, offset)[0]
        if length < 16:
            return False
        offset += (length + 3) & ~3
    return offset == size - 20


# ----------------------------------------------------------------------------- decoding


def _control(datagram: Datagram, offset: int, length: int, kind: int) -> bool:
    """A message that is not a socket: True at the end of the dump; raises on an error."""
    if kind in (NLMSG_DONE, NLMSG_ERROR):
        # NLMSG_DONE carries the dump's status (a diag module that is missing answers
        # -ENOENT here); NLMSG_ERROR the request's (0 is an acknowledgement).
        code = -_S32.unpack_from(datagram, offset + 16)[0] if length >= 20 else 0
        if code > 0:
            name = errno.errorcode.get(code, str(code))
            raise NetlinkError(
                f"sock_diag: {name} ({'dump' if kind == NLMSG_DONE else 'request'})", code
            )
        return True
    return False  # NLMSG_NOOP, NLMSG_OVERRUN or unknown: skipped


def _short(datagram: Datagram, offset: int) -> tuple[int, int]:
    """``(nlmsg_len, nlmsg_type)`` of a message shorter than a socket's (or of a stub)."""
    if len(datagram) - offset < _HEADER.size:
        return len(datagram) - offset, 0
    length, kind = _HEADER.unpack_from(datagram, offset)
    return min(length, len(datagram) - offset), kind


def _skip(
    datagram: Datagram, offset: int, length: int, kind: int, on_error: ErrorHandler, index: int
) -> int:
    """Where the message after a non-socket (or malformed) one starts; -1 at the end."""
    broken = length < NLMSGHDR.struct.size or offset + length > len(datagram)
    if broken or kind in (SOCK_DIAG_BY_FAMILY, TCPDIAG_GETSOCK):
        data = datagram[offset:] if broken else datagram[offset : offset + length]
        on_error(ParseError("netlink:sock_diag", index, bytes(data).hex()))
        if broken:  # no length to go by: the rest of the datagram is lost
            return len(datagram)
    elif _control(datagram, offset, length, kind):
        return -1
    return offset + ((length + 3) & ~3)


def _refusal_raised(datagrams: Iterator[memoryview]) -> Iterator[memoryview]:
    """``datagrams``, after raising a refusal that is the whole first answer."""
    first = next(datagrams, None)
    if first is None:
        return iter(())
    length, kind = _short(first, 0)
    if kind in (NLMSG_DONE, NLMSG_ERROR) and length >= NLMSGHDR.struct.size:
        _control(first, 0, length, kind)
    return chain((first,), datagrams)


def _checked(
    datagrams: Iterator[memoryview], parse: Callable[[Iterable[Datagram]], Iterator[_Row]]
) -> Iterator[_Row]:
    """``parse(datagrams)``, after raising a refusal that is the whole first answer."""
    return parse(_refusal_raised(datagrams))
