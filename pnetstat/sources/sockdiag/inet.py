"""inet_diag: the Internet dump requests and their decoding into the rows of
/proc/net/{tcp,udp,udplite,raw}[6], one datagram at a time (``TcpDump``)."""

import struct
from collections.abc import Iterable, Iterator
from ipaddress import IPv4Address, IPv6Address

from ...errors import ParseError
from ...model import Family, InetSocket, IPAddress, Protocol
from ..procfs import ErrorHandler, ignore_errors
from .netlink import (
    _ALL_STATES,
    _TCP_LISTEN,
    _TCP_SYN_RECV,
    NLATTR,
    NLMSGHDR,
    SOCK_DIAG_BY_FAMILY,
    TCPDIAG_GETSOCK,
    Datagram,
    _checked,
    _dump,
    _layout,
    _message,
    _reader,
    _refusal_raised,
    _short,
    _skip,
)

__all__ = [
    "INET_DIAG_MSG", "INET_DIAG_REQ", "INET_DIAG_REQ_V2", "TcpDump", "dump_inet",
    "dump_tcp", "inet_request", "parse_inet_diag", "read_inet_sockets_diag",
    "read_tcp_sockets_diag_both", "tcp_request",
]  # fmt: skip

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

# A RAW dump names the raw_diag handler by IPPROTO_RAW and returns sockets of every protocol
# (sdiag_raw_protocol, the pad byte, only matters to single-socket lookups: net/ipv4/raw_diag.c).
IPPROTO = {Protocol.TCP: 6, Protocol.UDP: 17, Protocol.UDPLITE: 136, Protocol.RAW: 255}

# /proc/net/tcp lists states 1-12 (NEW_SYN_RECV as SYN_RECV). Bit 13, TCP_BOUND_INACTIVE,
# asks newer kernels for bound but unconnected sockets, which /proc does not list.
_PROC_TCP_STATES = 0x1FFE
_CHUNK = 32768  # bytes of set-aside messages decoded at a time


# ----------------------------------------------------------------------------- requests


def inet_request(
    protocol: Protocol, family: Family, states: int = _ALL_STATES, bytecode: bytes = b""
) -> bytes:
    """The dump request for one Internet table (the socket id left zero); ``bytecode`` is an
    INET_DIAG program the kernel runs on each socket (``pnetstat.filters.bytecode``)."""
    if protocol is Protocol.TCP:
        states &= _PROC_TCP_STATES
    request = INET_DIAG_REQ_V2.struct.pack
    body = request(int(family), IPPROTO[protocol], 0, 0, states, 0, 0, b"", b"", 0, 0)
    return _message(body + _bytecode_attribute(bytecode))


def tcp_request(states: int = _ALL_STATES, bytecode: bytes = b"") -> bytes:
    """The old-style dump request for the TCP table of both families (one hash walk)."""
    body = INET_DIAG_REQ.struct.pack(0, 0, 0, 0, 0, 0, b"", b"", 0, 0, states & _PROC_TCP_STATES, 0)
    return _message(body + _bytecode_attribute(bytecode), TCPDIAG_GETSOCK)


def _bytecode_attribute(bytecode: bytes) -> bytes:
    """INET_DIAG_REQ_BYTECODE (attribute 1 of either request), padded to 4 bytes."""
    if not bytecode:
        return b""
    padding = bytes(-len(bytecode) % 4)
    return NLATTR.struct.pack(NLATTR.struct.size + len(bytecode), 1) + bytecode + padding


def dump_inet(
    protocol: Protocol, family: Family, states: int = _ALL_STATES, bytecode: bytes = b""
) -> Iterator[memoryview]:
    """Send one Internet dump request and yield each datagram the kernel answers.

    A datagram is a view into a buffer that the next receive reuses: parse it before asking
    for the next. Raises ``NetlinkError`` if netlink itself refuses (no such socket family,
    seccomp); a refusal by the diag module arrives inside the answer (``parse_inet_diag``).
    """
    return _dump(inet_request(protocol, family, states, bytecode))


def dump_tcp(
    states: int = _ALL_STATES, *, ahead: bool = True, bytecode: bytes = b""
) -> Iterator[memoryview]:
    """Send the dump request for TCP of both families (``tcp_request``), as dump_inet.

    Without ``ahead``, every datagram is received in the caller's thread, when asked for.
    """
    return _dump(tcp_request(states, bytecode), ahead)


# ----------------------------------------------------------------------------- decoding


_SWAP = struct.pack("=H", 1) == b"\x01\x00"  # __be16 ports read on a little-endian host


def parse_inet_diag(
    datagrams: Iterable[Datagram],
    protocol: Protocol,
    family: Family,
    on_error: ErrorHandler = ignore_errors,
    *,
    backlog: bool = False,
) -> Iterator[InetSocket]:
    """Decode the answer to an Internet dump into the rows /proc/net/<protocol>[6] shows.

    Stops at NLMSG_DONE and raises ``NetlinkError`` if the answer reports an error. A message
    too short for a socket goes to ``on_error``. A socket reported twice (a dump resumes by
    position while sockets come and go) is shown once. With ``backlog`` a TCP listener's
    ``tx_queue`` is its maximum backlog (sock_diag's idiag_wqueue) instead of /proc's 0.
    """
    decoder = _InetDecoder(protocol, family, on_error)
    decoder.backlog = backlog
    return _parse(datagrams, decoder)


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
        self.backlog = False  # a listener's tx_queue: its backlog (True) or /proc's 0

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
                    if not self.backlog:
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
    bytecode: bytes = b"",
    backlog: bool = False,
) -> Iterator[InetSocket]:
    """The sockets /proc/net/<protocol>[6] would list, read through NETLINK_SOCK_DIAG.

    ``states`` is a bit mask of kernel state numbers (``1 << TcpState.LISTEN``...),
    ``bytecode`` a program that leaves out the sockets it rejects, ``backlog`` as in
    ``parse_inet_diag``. Raises
    ``NetlinkError`` at call time if the kernel refuses the request (no diag module for the
    protocol, netlink forbidden), so a caller can fall back to /proc; a malformed message
    goes to ``on_error``.
    """
    return _checked(
        dump_inet(protocol, family, states, bytecode),
        lambda d: parse_inet_diag(d, protocol, family, on_error, backlog=backlog),
    )


def read_tcp_sockets_diag_both(
    *,
    states: int = _ALL_STATES,
    on_error: ErrorHandler = ignore_errors,
    bytecode: bytes = b"",
    backlog: bool = False,
) -> tuple[Iterator[InetSocket], Iterator[InetSocket]]:
    """The rows of /proc/net/tcp and of /proc/net/tcp6, from one dump of the TCP table.

    The kernel walks its hash once for both families (two dumps walk it twice): the IPv4
    rows are decoded as they come, the IPv6 messages kept as bytes until the second
    iterator is read (which first finishes the first, if its reader stopped early). Raises
    ``NetlinkError`` at call time as ``read_inet_sockets_diag`` does.
    """
    dump = TcpDump(states=states, on_error=on_error, bytecode=bytecode)
    if backlog:
        dump.keep_backlog()
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
        bytecode: bytes = b"",
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
        self.datagrams = _refusal_raised(dump_tcp(states, ahead=ahead, bytecode=bytecode))

    def keep_backlog(self) -> "TcpDump":
        """Listeners' ``tx_queue`` is their backlog from here on (see ``parse_inet_diag``)."""
        for decoder in (*self.decoders.values(), *self._alone.values()):
            decoder.backlog = True
        return self

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
