"""NETLINK_SOCK_DIAG: the kernel's socket tables over netlink, into the same model as /proc.

Layouts are declared once, with the kernel's field names (include/uapi/linux/netlink.h,
sock_diag.h, inet_diag.h), as precompiled ``struct.Struct``s; the decoder does a few lookups
per socket. Values are mapped to what /proc/net/{tcp,udp,raw} would show, so the socket view
renders the same bytes from either source:

* a TCP listener's Send-Q: /proc shows 0, sock_diag the maximum backlog;
* timers: sock_diag gives milliseconds, /proc clock ticks (1/100 s);
* retransmits and probes: /proc shows both; sock_diag gives one ``idiag_retrans`` that means
  retransmits under the retransmit timer and probes under the keepalive and zero-window
  timers. The other count is not in the message: it is 0 here.
* the ``sl`` slot number and the columns after the inode are not in sock_diag (``sl`` is the
  row's position, the tail empty).

UNIX sockets are not read here: /proc/net/unix's RefCount column has no sock_diag equivalent,
so netstat's UNIX table can only be reproduced from /proc.
"""

import _socket  # the C module: socket.py's enums cost start-up time
import errno
import struct
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv6Address

from .errors import NetlinkError, ParseError
from .model import Family, InetSocket, IPAddress, Protocol
from .procfs import ErrorHandler

__all__ = ["dump_inet", "read_inet_sockets_diag"]

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 0x01
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
INET_DIAG_REQ_PROTOCOL = 3  # enum inet_diag_req_attrs: NONE, BYTECODE, SK_BPF_STORAGES, PROTOCOL
IPPROTO = {Protocol.TCP: 6, Protocol.UDP: 17, Protocol.UDPLITE: 136, Protocol.RAW: 255}

# struct nlmsghdr { __u32 nlmsg_len; __u16 nlmsg_type; __u16 nlmsg_flags; __u32 nlmsg_seq;
#                   __u32 nlmsg_pid; }
NLMSGHDR = struct.Struct("=IHHII")
# struct inet_diag_req_v2 { __u8 sdiag_family, sdiag_protocol, idiag_ext, pad;
#   __u32 idiag_states; struct inet_diag_sockid id; }  (the sockid left zero: no filter)
INET_DIAG_REQ_V2 = struct.Struct("=BBBBI48x")
# struct inet_diag_msg { __u8 idiag_family, idiag_state, idiag_timer, idiag_retrans;
#   struct inet_diag_sockid { __be16 idiag_sport, idiag_dport; __be32 idiag_src[4],
#   idiag_dst[4]; __u32 idiag_if, idiag_cookie[2]; } id;
#   __u32 idiag_expires, idiag_rqueue, idiag_wqueue, idiag_uid, idiag_inode; }
# (ports are big-endian in the message: swapped after unpacking, one struct for the whole)
INET_DIAG_MSG = struct.Struct("=BBBBHH16s16sIQIIIII")
RTATTR = struct.Struct("=HH")

_TCP_LISTEN = 10
_ALL_STATES = 0xFFFFFFFF
_RECV_BUFFER = 1 << 20


def _request(protocol: Protocol, family: Family, states: int) -> bytes:
    # For RAW the pad byte is sdiag_raw_protocol (IPPROTO_RAW: every protocol) and the
    # handler's protocol goes in an attribute (include/uapi/linux/inet_diag.h).
    raw = protocol is Protocol.RAW
    body = INET_DIAG_REQ_V2.pack(int(family), IPPROTO[protocol], 0, 255 if raw else 0, states)
    if raw:
        body += RTATTR.pack(8, INET_DIAG_REQ_PROTOCOL) + struct.pack("=I", 255)
    header = NLMSGHDR.pack(NLMSGHDR.size + len(body), SOCK_DIAG_BY_FAMILY,
                           NLM_F_REQUEST | NLM_F_DUMP, 1, 0)  # fmt: skip
    return header + body


def dump_inet(
    protocol: Protocol, family: Family, states: int = _ALL_STATES
) -> Iterator[tuple[bytearray, int, int]]:
    """Send one dump request and yield ``(buffer, offset, length)`` for each answer message.

    The buffer is reused by the next receive, so a message must be decoded before the next
    one is asked for (no copy per socket). Raises ``NetlinkError`` (with the kernel's errno)
    when netlink or the diag module refuses.
    """
    try:
        sock = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_DGRAM, NETLINK_SOCK_DIAG)
    except OSError as exc:
        raise NetlinkError(f"sock_diag: {exc.strerror}", exc.errno or 0) from None
    return _answers(sock, _request(protocol, family, states))


def _answers(sock: _socket.socket, request: bytes) -> Iterator[tuple[bytearray, int, int]]:
    try:
        try:
            sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVBUF, _RECV_BUFFER)
            sock.send(request)
        except OSError as exc:
            raise NetlinkError(f"sock_diag: {exc.strerror}", exc.errno or 0) from None
        buffer = bytearray(_RECV_BUFFER)
        header = NLMSGHDR.unpack_from
        while True:
            try:
                size = sock.recv_into(buffer)
            except OSError as exc:
                raise NetlinkError(f"sock_diag: {exc.strerror}", exc.errno or 0) from None
            offset = 0
            while offset + 16 <= size:
                length, kind, _flags, _seq, _pid = header(buffer, offset)
                if length < 16 or kind == NLMSG_DONE:
                    return
                if kind == NLMSG_ERROR:
                    code = -struct.unpack_from("=i", buffer, offset + 16)[0]
                    if code:
                        raise NetlinkError(f"sock_diag: {errno.errorcode.get(code, code)}", code)
                    return
                yield buffer, offset + 16, length - 16
                offset += (length + 3) & ~3
    finally:
        sock.close()


def read_inet_sockets_diag(
    protocol: Protocol,
    family: Family,
    *,
    states: int = _ALL_STATES,
    on_error: ErrorHandler | None = None,
) -> Iterator[InetSocket]:
    """The sockets /proc/net/<protocol>[6] would list, read through NETLINK_SOCK_DIAG.

    Raises ``NetlinkError`` before the first row if the kernel refuses the request (so a
    caller can fall back to /proc); a malformed message goes to ``on_error``.
    """
    answers = dump_inet(protocol, family, states)
    try:
        first = next(answers)
    except StopIteration:
        return iter(())
    return _decode(first, answers, protocol, family, on_error)


def _decode(
    first: tuple[bytearray, int, int],
    rest: Iterator[tuple[bytearray, int, int]],
    protocol: Protocol,
    family: Family,
    on_error: ErrorHandler | None,
) -> Iterator[InetSocket]:
    unpack = INET_DIAG_MSG.unpack_from
    size = INET_DIAG_MSG.size
    new = tuple.__new__
    cache: dict[bytes, IPAddress] = {}
    make = IPv6Address if family == Family.INET6 else IPv4Address
    width = 16 if family == Family.INET6 else 4
    tcp = protocol is Protocol.TCP
    slot = 0
    seen: set[int] = set()
    message: tuple[bytearray, int, int] | None = first
    while message is not None:
        buffer, offset, length = message
        if length < size:
            if on_error is not None:
                on_error(
                    ParseError(
                        "netlink:sock_diag", slot + 1, bytes(buffer[offset : offset + length]).hex()
                    )
                )
            message = next(rest, None)
            continue
        (_fam, state, timer, retrans, sport, dport, src, dst, _ifindex, cookie, expires,
         rqueue, wqueue, uid, inode) = unpack(buffer, offset)  # fmt: skip
        if cookie in seen:
            # A dump that runs while sockets come and go can report one twice: show it once.
            message = next(rest, None)
            continue
        seen.add(cookie)
        src, dst = src[:width], dst[:width]
        local = cache.get(src)
        if local is None:
            local = cache[src] = make(src)
        remote = cache.get(dst)
        if remote is None:
            remote = cache[dst] = make(dst)
        if tcp and state == _TCP_LISTEN:
            wqueue = 0  # /proc shows write_seq - snd_una (0); sock_diag the max backlog
        probes = 0 if timer == 1 else retrans
        retransmits = retrans if timer in (1, 3) or not tcp else 0
        yield new(
            InetSocket,
            (protocol, family, slot, local, ((sport & 0xFF) << 8) | (sport >> 8), remote,
             ((dport & 0xFF) << 8) | (dport >> 8), state, wqueue, rqueue, timer,
             expires // 10, retransmits, uid, probes, inode, ()),
        )  # fmt: skip
        slot += 1
        message = next(rest, None)
