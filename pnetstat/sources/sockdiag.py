"""NETLINK_SOCK_DIAG: the kernel's socket tables over netlink, into the same model as /proc.

Layouts are declared once as data, with the kernel's field names (include/uapi/linux/
netlink.h, sock_diag.h, inet_diag.h, unix_diag.h), and precompiled; the Internet decoder does
one ``unpack_from`` and a few dict lookups per socket. Values are mapped to what
/proc/net/{tcp,udp,udplite,raw}[6] and /proc/net/unix would show, so the socket view renders
the same bytes from either source. What cannot be mapped (measured on Linux 6.18):

* ``sl`` (a running number for TCP, the hash bucket for UDP and RAW in /proc) is the row's
  position; ``tail`` (the columns after the inode) is empty. netstat shows neither.
* TCP retransmits and probes: sock_diag has one ``idiag_retrans``, the retransmits under the
  retransmit timer, the probes under the keepalive and zero-window timers; the other count
  is 0 here (in /proc it is 0 too but for rare moments). SYN_RECV rows: ``num_retrans`` here,
  ``num_timeout`` in /proc (they part a second in, under TCP_DEFER_ACCEPT).
* Timers: milliseconds in sock_diag, clock ticks (1/100 s) in /proc: ``ms // 10``.
* Mapped: a TCP listener's Send-Q (/proc: ``write_seq - snd_una``, 0; sock_diag: the maximum
  backlog) and a SYN_RECV row's uid (/proc: the listener's; sock_diag: 0).
* UNIX RefCount is rebuilt as 2 (the socket, the hash table) plus the sockets holding it as
  their peer. It misses holders in other namespaces and blocked senders (counted by /proc).
* UNIX sockets with inode 0 (connections waiting in an accept queue) are skipped by
  unix_diag; they are rebuilt from the listener's UDIAG_SHOW_ICONS list, but their place in
  /proc's hash order is unknowable. ``Num`` (a kernel address) is 0. netstat ignores it.
* UNIX queue lengths (UDIAG_SHOW_RQLEN) have no column in /proc/net/unix: they fill the
  row's ``rx_queue`` and ``tx_queue``, which the /proc parser leaves None.
* RAW needs raw_diag (CONFIG_INET_RAW_DIAG); without it the kernel answers ENOENT, raised as
  ``NetlinkError`` so that a caller can read /proc instead.
"""

import _socket  # the C module: socket.py's enums cost start-up time
import errno
import struct
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from ipaddress import IPv4Address, IPv6Address
from itertools import chain
from typing import NamedTuple, TypeVar

from ..errors import NetlinkError, ParseError
from ..model import Family, InetSocket, IPAddress, Protocol, UnixSocket
from .procfs import ErrorHandler, ignore_errors

__all__ = [
    "INET_DIAG_MSG", "INET_DIAG_REQ", "INET_DIAG_REQ_V2", "NLATTR", "NLMSGHDR", "UNIX_DIAG_MSG",
    "UNIX_DIAG_REQ", "UNIX_DIAG_RQLEN_STRUCT", "Layout", "TcpDump", "dump_inet", "dump_tcp",
    "dump_unix", "inet_request", "parse_inet_diag", "parse_unix_diag", "read_inet_sockets_diag",
    "read_tcp_sockets_diag_both", "read_unix_sockets_diag", "tcp_request", "unix_request",
]  # fmt: skip

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
# struct inet_diag_sockid. The ports are __be16 (swapped after unpacking); the addresses are
# __be32[4], kept as bytes; idiag_cookie (__u32[2]) is one 64-bit number.
_SOCKID = ("id.idiag_sport H", "id.idiag_dport H", "id.idiag_src 16s", "id.idiag_dst 16s",
           "id.idiag_if I", "id.idiag_cookie Q")  # fmt: skip
INET_DIAG_REQ_V2 = _layout(
    "inet_diag_req_v2", "sdiag_family B", "sdiag_protocol B", "idiag_ext B", "pad B",
    "idiag_states I", *_SOCKID,
)  # fmt: skip
# struct inet_diag_req: the request before sock_diag, still answered for TCP. It has no family
# field that filters: one walk of the TCP hash returns both families, as `ss -t` asks for them.
INET_DIAG_REQ = _layout(
    "inet_diag_req", "idiag_family B", "idiag_src_len B", "idiag_dst_len B", "idiag_ext B",
    *_SOCKID, "idiag_states I", "idiag_dbs I",
)  # fmt: skip
INET_DIAG_MSG = _layout(
    "inet_diag_msg", "idiag_family B", "idiag_state B", "idiag_timer B", "idiag_retrans B",
    *_SOCKID, "idiag_expires I", "idiag_rqueue I", "idiag_wqueue I", "idiag_uid I",
    "idiag_inode I",
)  # fmt: skip
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

# One unpack per socket, of the netlink header and the message together, keeping only the
# fields used; an IPv4 socket's addresses are the first 4 bytes of each 16-byte field.
_INET_FIELDS = """nlmsg_len nlmsg_type idiag_family idiag_state idiag_timer idiag_retrans
    id.idiag_sport id.idiag_dport id.idiag_src id.idiag_dst id.idiag_cookie idiag_expires
    idiag_rqueue idiag_wqueue idiag_uid idiag_inode"""
_INET_ROWS = {
    Family.INET: _reader(NLMSGHDR, INET_DIAG_MSG, keep=_INET_FIELDS,
                         codes={"id.idiag_src": "4s12x", "id.idiag_dst": "4s12x"}),
    Family.INET6: _reader(NLMSGHDR, INET_DIAG_MSG, keep=_INET_FIELDS),
}  # fmt: skip
_UNIX_ROW = _reader(
    NLMSGHDR, UNIX_DIAG_MSG,
    keep="nlmsg_len nlmsg_type udiag_type udiag_state udiag_ino udiag_cookie",
)  # fmt: skip
_HEADER, _U32, _S32 = struct.Struct("=IH"), struct.Struct("=I"), struct.Struct("=i")

NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, TCPDIAG_GETSOCK = 4, 20, 18
NLM_F_REQUEST, NLM_F_DUMP = 0x01, 0x300  # NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH
NLMSG_ERROR, NLMSG_DONE = 2, 3
UDIAG_SHOW_NAME, UDIAG_SHOW_PEER, UDIAG_SHOW_ICONS, UDIAG_SHOW_RQLEN = 0x01, 0x04, 0x08, 0x10
UNIX_DIAG_NAME, UNIX_DIAG_PEER, UNIX_DIAG_ICONS, UNIX_DIAG_RQLEN = 0, 2, 3, 4
_SHOW = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS | UDIAG_SHOW_RQLEN
# A RAW dump names the raw_diag handler by IPPROTO_RAW and returns sockets of every protocol
# (sdiag_raw_protocol, the pad byte, only matters to single-socket lookups: net/ipv4/raw_diag.c).
IPPROTO = {Protocol.TCP: 6, Protocol.UDP: 17, Protocol.UDPLITE: 136, Protocol.RAW: 255}

_TCP_ESTABLISHED, _TCP_SYN_RECV, _TCP_LISTEN = 1, 3, 10
_ALL_STATES = 0xFFFFFFFF
# /proc/net/tcp lists states 1-12 (NEW_SYN_RECV as SYN_RECV). Bit 13, TCP_BOUND_INACTIVE,
# asks newer kernels for bound but unconnected sockets, which /proc does not list.
_PROC_TCP_STATES = 0x1FFE
_RECV_BUFFER = 1 << 20
_TIMEOUT = 30.0  # a dump that stalls this long is an error, not a hang
_QUEUED = 64  # datagrams received ahead of the decoder (32 KiB each): a bound on memory
_CHUNK = 32768  # bytes of set-aside messages decoded at a time
_ACC, _SS_UNCONNECTED, _SS_CONNECTING, _SS_CONNECTED = 0x10000, 1, 2, 3


# ----------------------------------------------------------------------------- requests


def _message(body: bytes, kind: int = SOCK_DIAG_BY_FAMILY) -> bytes:
    size, flags = NLMSGHDR.struct.size + len(body), NLM_F_REQUEST | NLM_F_DUMP
    return NLMSGHDR.struct.pack(size, kind, flags, 1, 0) + body


def inet_request(protocol: Protocol, family: Family, states: int = _ALL_STATES) -> bytes:
    """The dump request for one Internet table (the socket id left zero: no filter)."""
    if protocol is Protocol.TCP:
        states &= _PROC_TCP_STATES
    request = INET_DIAG_REQ_V2.struct.pack
    return _message(request(int(family), IPPROTO[protocol], 0, 0, states, 0, 0, b"", b"", 0, 0))


def tcp_request(states: int = _ALL_STATES) -> bytes:
    """The old-style dump request for the TCP table of both families (one hash walk)."""
    body = INET_DIAG_REQ.struct.pack(0, 0, 0, 0, 0, 0, b"", b"", 0, 0, states & _PROC_TCP_STATES, 0)
    return _message(body, TCPDIAG_GETSOCK)


def unix_request(show: int = _SHOW) -> bytes:
    """The dump request for every UNIX socket, with the attributes ``show`` asks for."""
    return _message(UNIX_DIAG_REQ.struct.pack(int(Family.UNIX), 0, 0, _ALL_STATES, 0, show, 0))


def dump_inet(
    protocol: Protocol, family: Family, states: int = _ALL_STATES
) -> Iterator[memoryview]:
    """Send one Internet dump request and yield each datagram the kernel answers.

    A datagram is a view into a buffer that the next receive reuses: parse it before asking
    for the next. Raises ``NetlinkError`` if netlink itself refuses (no such socket family,
    seccomp); a refusal by the diag module arrives inside the answer (``parse_inet_diag``).
    """
    return _dump(inet_request(protocol, family, states))


def dump_tcp(states: int = _ALL_STATES, *, ahead: bool = True) -> Iterator[memoryview]:
    """Send the dump request for TCP of both families (``tcp_request``), as dump_inet.

    Without ``ahead``, every datagram is received in the caller's thread, when asked for.
    """
    return _dump(tcp_request(states), ahead)


def dump_unix(show: int = _SHOW) -> Iterator[memoryview]:
    """Send the UNIX dump request and yield each datagram the kernel answers (see dump_inet)."""
    return _dump(unix_request(show))


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
            sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVBUF, _RECV_BUFFER)
            sock.send(unsent.pop())
        size = sock.recv_into(buffer)
        if not size:
            raise NetlinkError("sock_diag: the answer ended without NLMSG_DONE", errno.EIO)
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
        from .readahead import read_ahead

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


_SWAP = struct.pack("=H", 1) == b"\x01\x00"  # __be16 ports read on a little-endian host


def parse_inet_diag(
    datagrams: Iterable[Datagram],
    protocol: Protocol,
    family: Family,
    on_error: ErrorHandler = ignore_errors,
) -> Iterator[InetSocket]:
    """Decode the answer to an Internet dump into the rows /proc/net/<protocol>[6] shows.

    Stops at NLMSG_DONE and raises ``NetlinkError`` if the answer reports an error. A message
    too short for a socket goes to ``on_error``. A socket reported twice (a dump resumes by
    position while sockets come and go) is shown once.
    """
    return _parse(datagrams, _InetDecoder(protocol, family, on_error))


def _parse(datagrams: Iterable[Datagram], decoder: "_InetDecoder") -> Iterator[InetSocket]:
    for datagram in datagrams:
        rows, done = decoder.decode(datagram)
        yield from rows
        if done:
            return


class _InetDecoder:
    """The state of one Internet dump's decoding, one datagram at a time."""

    def __init__(
        self,
        protocol: Protocol,
        family: Family,
        on_error: ErrorHandler,
        others: list[bytearray] | None = None,
        answer: int = SOCK_DIAG_BY_FAMILY,
    ) -> None:
        self.protocol, self.family, self.on_error = protocol, family, on_error
        # Messages of the other family (a dump of both) are set aside here, in chunks the
        # size of a datagram, for a decoder of that family; without a list they are skipped.
        self.others = others
        # A socket's message type is the request's: SOCK_DIAG_BY_FAMILY, or TCPDIAG_GETSOCK
        # for the old request that dumps both families.
        self.answer = answer
        self.make = IPv6Address if family == Family.INET6 else IPv4Address
        self.cache: dict[bytes, IPAddress] = {}
        self.seen: set[int] = set()
        self.listeners: dict[tuple[bytes, int] | int, int] = {}  # uids by address+port, port
        self.count = 0  # rows so far: the next row's sl

    def decode(self, datagram: Datagram) -> tuple[list[InetSocket], bool]:
        """The rows of one datagram, and whether the dump ended in it."""
        protocol, family, make, cache, seen = (self.protocol, self.family, self.make,
                                               self.cache, self.seen)  # fmt: skip
        tcp, raw = protocol is Protocol.TCP, protocol is Protocol.RAW
        swap, listeners, want, answer = _SWAP, self.listeners, int(family), self.answer
        unpack, need = _INET_ROWS[family].unpack_from, _INET_ROWS[family].size
        rows: list[InetSocket] = []
        new, sl = tuple.__new__, self.count
        offset, size = 0, len(datagram)
        while offset < size:
            try:
                (length, kind, fam, state, timer, retrans, sport, dport, src, dst, cookie,
                 expires, rqueue, wqueue, uid, inode) = unpack(datagram, offset)  # fmt: skip
            except struct.error:
                length, kind = _short(datagram, offset)
            if kind != answer or length < need:
                offset = _skip(datagram, offset, length, kind, self.on_error, sl + len(rows))
                if offset < 0:
                    break
                continue
            start, offset = offset, offset + ((length + 3) & ~3)
            if fam != want:
                self._set_aside(datagram[start:offset])
                continue
            if cookie in seen:
                continue
            seen.add(cookie)
            if swap:
                sport = ((sport & 0xFF) << 8) | (sport >> 8)
                dport = ((dport & 0xFF) << 8) | (dport >> 8)
            local = cache.get(src) or cache.setdefault(src, make(src))
            remote = cache.get(dst) or cache.setdefault(dst, make(dst))
            retransmits = probes = 0
            if tcp:
                if state == _TCP_LISTEN:
                    wqueue = 0  # /proc: write_seq - snd_una; sock_diag: the maximum backlog
                    listeners[src, sport] = uid
                    listeners.setdefault(sport, uid)
                elif state == _TCP_SYN_RECV and not inode:
                    # A request socket: /proc shows its listener's uid, sock_diag 0.
                    uid = listeners.get((src, sport), listeners.get(sport, 0))
                if timer == 1:
                    retransmits = retrans
                else:
                    probes = retrans  # keepalive and zero-window probes (0 for the others)
            elif raw:
                dport = 0  # /proc prints 0; sock_diag the port a connect() named
            # ms to clock ticks; a kernel before jiffies_delta_to_msecs() wraps expired timers
            ticks = expires // 10 if expires < 0x80000000 else 0
            rows.append(new(InetSocket, (
                protocol, family, sl + len(rows), local, sport, remote, dport, state, wqueue,
                rqueue, timer, ticks, retransmits, uid, probes, inode, (),
            )))  # fmt: skip
        self.count += len(rows)
        return rows, offset < 0

    def _set_aside(self, message: Datagram) -> None:
        others = self.others
        if others is None:
            return
        if not others or len(others[-1]) >= _CHUNK:
            others.append(bytearray())
        others[-1] += message


def read_inet_sockets_diag(
    protocol: Protocol,
    family: Family,
    *,
    states: int = _ALL_STATES,
    on_error: ErrorHandler = ignore_errors,
) -> Iterator[InetSocket]:
    """The sockets /proc/net/<protocol>[6] would list, read through NETLINK_SOCK_DIAG.

    ``states`` is a bit mask of kernel state numbers (``1 << TcpState.LISTEN``...). Raises
    ``NetlinkError`` at call time if the kernel refuses the request (no diag module for the
    protocol, netlink forbidden), so a caller can fall back to /proc; a malformed message
    goes to ``on_error``.
    """
    return _checked(
        dump_inet(protocol, family, states),
        lambda d: parse_inet_diag(d, protocol, family, on_error),
    )


def read_tcp_sockets_diag_both(
    *, states: int = _ALL_STATES, on_error: ErrorHandler = ignore_errors
) -> tuple[Iterator[InetSocket], Iterator[InetSocket]]:
    """The rows of /proc/net/tcp and of /proc/net/tcp6, from one dump of the TCP table.

    The kernel walks its hash once for both families (two dumps walk it twice): the IPv4
    rows are decoded as they come, the IPv6 messages kept as bytes until the second
    iterator is read (which first finishes the first, if its reader stopped early). Raises
    ``NetlinkError`` at call time as ``read_inet_sockets_diag`` does.
    """
    dump = TcpDump(states=states, on_error=on_error)
    inet = _parse(dump.datagrams, dump.decoder)

    def inet6() -> Iterator[InetSocket]:
        for _ in inet:  # the rest of the dump, for its IPv6 messages
            pass
        yield from dump.inet6()

    return inet, inet6()


class TcpDump:
    """One dump of TCP for both families, taken datagram by datagram.

    ``datagrams`` is the answer. Decoded in order (``rows``), each gives its IPv4 rows and
    sets its IPv6 messages aside; once all are decoded, ``set_aside`` gives those in chunks,
    decoded in order the same way (``rows`` with ``Family.INET6``), or all at once by
    ``inet6``. A caller that shares the decoding with another process (``fanout``) decodes a
    datagram or chunk there with ``batch``, on its own, and hands the outcome to ``merge``,
    which keeps the dump's state as ``rows`` would have, or says that the datagram must be
    decoded by ``rows`` after all.

    Raises ``NetlinkError`` at construction if the kernel refuses the request. Without
    ``ahead`` the datagrams are received in the caller's thread, when asked for.
    """

    def __init__(
        self,
        *,
        states: int = _ALL_STATES,
        on_error: ErrorHandler = ignore_errors,
        ahead: bool = True,
    ) -> None:
        self.others: list[bytearray] = []
        tcp, inet, inet6, kind = Protocol.TCP, Family.INET, Family.INET6, TCPDIAG_GETSOCK
        # In order and alone, per family; only the IPv4 decoders see both families' messages.
        self.decoders = {
            inet: _InetDecoder(tcp, inet, on_error, self.others, kind),
            inet6: _InetDecoder(tcp, inet6, on_error, answer=kind),
        }
        self._alone = {
            inet: _InetDecoder(tcp, inet, on_error, [], kind),
            inet6: _InetDecoder(tcp, inet6, on_error, answer=kind),
        }
        self.datagrams = _refusal_raised(dump_tcp(states, ahead=ahead))

    @property
    def decoder(self) -> "_InetDecoder":
        """The decoder of the IPv4 rows in order."""
        return self.decoders[Family.INET]

    def rows(self, datagram: Datagram, family: Family = Family.INET) -> list[InetSocket]:
        """The rows of the next datagram (or set-aside chunk, for IPv6) in order."""
        return self.decoders[family].decode(datagram)[0]

    def batch(
        self, datagram: Datagram, family: Family = Family.INET
    ) -> tuple[list[InetSocket], set[int], list[bytearray]]:
        """A datagram (or chunk) decoded without the ones before it: its rows, their cookies
        and, for IPv4, its IPv6 messages. Raises ``ValueError`` if any of its messages is
        malformed (then ``rows`` must decode it, to report them in their place)."""
        alone, errors = self._alone[family], list[ParseError]()
        alone.seen, alone.on_error = set(), errors.append
        if alone.others is not None:
            alone.others = []
        rows = alone.decode(datagram)[0]
        if errors:
            raise ValueError("a malformed message")
        return rows, alone.seen, alone.others or []

    def merge(
        self, cookies: set[int], others: Iterable[bytes], count: int, family: Family = Family.INET
    ) -> bool:
        """Take the outcome of ``batch`` for the next datagram into the dump's state.

        False, and nothing taken, when one of its sockets was in an earlier datagram (a
        dump that resumed by position while sockets came and went): ``rows`` then decodes
        it, to show each socket once, where it came first.
        """
        decoder = self.decoders[family]
        if not decoder.seen.isdisjoint(cookies):
            return False
        decoder.seen |= cookies
        decoder.count += count
        self.others.extend(map(bytearray, others))
        return True

    def set_aside(self) -> Iterator[bytearray]:
        """The IPv6 messages set aside, in chunks, once every datagram was decoded; each chunk
        let go of once taken."""
        others = self.others
        others.reverse()
        while others:
            yield others.pop()

    def inet6(self) -> Iterator[InetSocket]:
        """The IPv6 rows set aside, once every datagram was decoded."""
        for chunk in self.set_aside():
            yield from self.rows(chunk, Family.INET6)


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
