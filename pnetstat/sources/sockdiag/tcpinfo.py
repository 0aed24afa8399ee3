"""TCP_INFO over sock_diag: the kernel's per-connection counters (bytes acked and received,
RTT, retransmits, delivery rate...) for every TCP socket of one dump, as ``ss -ti`` reads them.

The dump is the one ``TcpDump`` makes (both families, one walk of the TCP hash) with the
INET_DIAG_INFO extension asked for; each socket's message then carries ``struct tcp_info``
(include/uapi/linux/tcp.h) as an attribute. The struct has grown with kernel versions: a field
the running kernel does not send is None.
"""

import struct
from collections.abc import Collection, Iterable, Iterator
from ipaddress import IPv4Address, IPv6Address
from typing import NamedTuple

from ...errors import ParseError
from ...model import Family, IPAddress
from ..procfs import ErrorHandler, ignore_errors
from .inet import INET_DIAG_MSG, INET_DIAG_REQ
from .netlink import (
    _ALL_STATES,
    NLATTR,
    NLMSGHDR,
    SOCK_DIAG_BY_FAMILY,
    TCPDIAG_GETSOCK,
    Datagram,
    _control,
    _dump,
    _layout,
    _message,
)

__all__ = ["TCP_INFO", "ClosedSockets", "TcpInfo", "read_tcp_info"]

INET_DIAG_INFO = 2  # the attribute, and bit 1 << (2 - 1) of idiag_ext that asks for it
# struct tcp_info, in the kernel's order and names (the two bit-field bytes as whole bytes).
TCP_INFO = _layout(
    "tcp_info",
    "tcpi_state B", "tcpi_ca_state B", "tcpi_retransmits B", "tcpi_probes B",
    "tcpi_backoff B", "tcpi_options B", "tcpi_wscale B", "tcpi_app_limited B",
    "tcpi_rto I", "tcpi_ato I", "tcpi_snd_mss I", "tcpi_rcv_mss I", "tcpi_unacked I",
    "tcpi_sacked I", "tcpi_lost I", "tcpi_retrans I", "tcpi_fackets I",
    "tcpi_last_data_sent I", "tcpi_last_ack_sent I", "tcpi_last_data_recv I",
    "tcpi_last_ack_recv I", "tcpi_pmtu I", "tcpi_rcv_ssthresh I", "tcpi_rtt I",
    "tcpi_rttvar I", "tcpi_snd_ssthresh I", "tcpi_snd_cwnd I", "tcpi_advmss I",
    "tcpi_reordering I", "tcpi_rcv_rtt I", "tcpi_rcv_space I", "tcpi_total_retrans I",
    "tcpi_pacing_rate Q", "tcpi_max_pacing_rate Q", "tcpi_bytes_acked Q",
    "tcpi_bytes_received Q", "tcpi_segs_out I", "tcpi_segs_in I", "tcpi_notsent_bytes I",
    "tcpi_min_rtt I", "tcpi_data_segs_in I", "tcpi_data_segs_out I", "tcpi_delivery_rate Q",
    "tcpi_busy_time Q", "tcpi_rwnd_limited Q", "tcpi_sndbuf_limited Q", "tcpi_delivered I",
    "tcpi_delivered_ce I", "tcpi_bytes_sent Q", "tcpi_bytes_retrans Q", "tcpi_dsack_dups I",
    "tcpi_reord_seen I", "tcpi_rcv_ooopack I", "tcpi_snd_wnd I",
)  # fmt: skip
# Each field's offset and struct, so a shorter struct (an older kernel) yields what it has.
_FIELDS = []
_at = 0
for _name, _code in zip(TCP_INFO.fields, TCP_INFO.codes, strict=True):
    _size = struct.calcsize("=" + _code)
    _at += -_at % _size  # natural alignment, as the C struct has it
    _FIELDS.append((_name.removeprefix("tcpi_"), _at, struct.Struct("=" + _code)))
    _at += _size
_MESSAGE = struct.Struct("=" + "".join(INET_DIAG_MSG.codes))
_HEADER = NLMSGHDR.struct


class TcpInfo(NamedTuple):
    """One TCP socket and what TCP_INFO says of it: ``info`` maps the field names of
    ``struct tcp_info`` without ``tcpi_`` (``bytes_acked``, ``rtt`` in microseconds, ...) to
    their values, for the fields the running kernel sends."""

    family: Family
    local_address: IPAddress
    local_port: int
    remote_address: IPAddress
    remote_port: int
    state: int
    inode: int
    info: dict[str, int]


def tcp_info_request(states: int = _ALL_STATES) -> bytes:
    """The dump request for TCP of both families with TCP_INFO asked for."""
    ext = 1 << (INET_DIAG_INFO - 1)
    body = INET_DIAG_REQ.struct.pack(0, 0, 0, ext, 0, 0, b"", b"", 0, 0, states & 0x1FFE, 0)
    return _message(body, TCPDIAG_GETSOCK)


def read_tcp_info(
    *, on_error: ErrorHandler = ignore_errors, fields: Collection[str] | None = None
) -> list[TcpInfo]:
    """Every TCP socket of the caller's namespace with its TCP_INFO (only the ``fields``
    named, without ``tcpi_``, when given: decoding fewer is faster). Raises ``NetlinkError``
    if the kernel refuses the dump."""
    return list(parse_tcp_info(_dump(tcp_info_request()), on_error, fields))


def parse_tcp_info(
    datagrams: Iterable[Datagram], on_error: ErrorHandler, fields: Collection[str] | None = None
) -> Iterator[TcpInfo]:
    """Decode the answer to ``tcp_info_request`` (sockets of either family, each once)."""
    decode = _Decoder(fields)
    index = 0
    for datagram in datagrams:
        offset = 0
        while offset + _HEADER.size <= len(datagram):
            length, kind = _HEADER.unpack_from(datagram, offset)[:2]
            index += 1
            if length < _HEADER.size or offset + length > len(datagram):
                on_error(ParseError("netlink:sock_diag", index, bytes(datagram[offset:]).hex()))
                break
            if kind not in (TCPDIAG_GETSOCK, SOCK_DIAG_BY_FAMILY):  # a dump's, a broadcast's
                if _control(datagram, offset, length, kind):
                    return
            elif length < _HEADER.size + _MESSAGE.size:
                data = bytes(datagram[offset : offset + length]).hex()
                on_error(ParseError("netlink:sock_diag", index, data))
            else:
                row = decode(datagram, offset, length)
                if row is not None:
                    yield row
            offset += (length + 3) & ~3


_AT = {name: position for position, name in enumerate(INET_DIAG_MSG.fields)}
_FAMILY, _STATE, _INODE = _AT["idiag_family"], _AT["idiag_state"], _AT["idiag_inode"]
_SRC, _DST, _COOKIE = _AT["id.idiag_src"], _AT["id.idiag_dst"], _AT["id.idiag_cookie"]
# The ports are __be16 right after the four bytes of family, state, timer and retrans.
_PORTS = struct.Struct(">HH")
_PORTS_AT = 4
_FAMILIES = {int(family): family for family in Family}


class _Decoder:
    """Decodes one dump's socket messages: the chosen tcp_info fields in one unpack when the
    kernel sent all of them (current kernels send the whole struct), field by field when it
    sent a shorter struct; each address made once per dump; a repeated cookie skipped."""

    def __init__(self, fields: Collection[str] | None) -> None:
        self.fields = [f for f in _FIELDS if fields is None or f[0] in fields]
        self.names = tuple(name for name, _, _ in self.fields)
        layout, at = "=", 0
        for _, where, shape in self.fields:  # pad bytes over what is not decoded
            layout += f"{where - at}x" + shape.format.removeprefix("=")
            at = where + shape.size
        self.whole = struct.Struct(layout)
        self.seen: set[int] = set()
        self.addresses: dict[bytes, IPAddress] = {}

    def address(self, raw: bytes) -> IPAddress:
        found = self.addresses.get(raw)
        if found is None:
            found = self.addresses[raw] = (IPv6Address if len(raw) == 16 else IPv4Address)(raw)
        return found

    def __call__(self, datagram: Datagram, offset: int, length: int) -> TcpInfo | None:
        start = offset + _HEADER.size
        message = _MESSAGE.unpack_from(datagram, start)
        cookie = message[_COOKIE]
        if cookie in self.seen:  # a resumed dump repeats a socket
            return None
        self.seen.add(cookie)
        family = _FAMILIES.get(message[_FAMILY]) or Family(message[_FAMILY])
        sport, dport = _PORTS.unpack_from(datagram, start + _PORTS_AT)
        size = 16 if family == Family.INET6 else 4
        info: dict[str, int] = {}
        at, end = start + _MESSAGE.size, offset + length
        while at + NLATTR.struct.size <= end:
            size_attr, kind = NLATTR.struct.unpack_from(datagram, at)
            if size_attr < NLATTR.struct.size:
                break
            header = NLATTR.struct.size
            if kind == INET_DIAG_INFO and size_attr - header >= self.whole.size:
                values = self.whole.unpack_from(datagram, at + header)
                info = dict(zip(self.names, values, strict=True))
            elif kind == INET_DIAG_INFO:
                payload = bytes(datagram[at + NLATTR.struct.size : at + size_attr])
                for name, where, shape in self.fields:
                    if where + shape.size <= len(payload):
                        info[name] = shape.unpack_from(payload, where)[0]
            at += (size_attr + 3) & ~3
        return TcpInfo(
            family, self.address(message[_SRC][:size]), sport,
            self.address(message[_DST][:size]), dport, message[_STATE],
            message[_INODE], info,
        )  # fmt: skip


class ClosedSockets:
    """TCP sockets as the kernel destroys them, with their last TCP_INFO: a subscription to
    sock_diag's destroy groups (SKNLGRP_INET_TCP_DESTROY and SKNLGRP_INET6_TCP_DESTROY, what
    ``ss -E`` listens to), drained without waiting. Joining needs CAP_NET_ADMIN: otherwise
    the constructor raises ``NetlinkError`` and a caller goes without."""

    # enum sknetlink_groups (include/uapi/linux/sock_diag.h): 1 TCP, 3 TCP6 as bits of a mask.
    GROUPS = (1 << (1 - 1)) | (1 << (3 - 1))

    def __init__(self, fields: Collection[str] | None = None) -> None:
        import _socket

        from .netlink import NETLINK_SOCK_DIAG, _netlink_error

        self.fields = fields
        try:
            self.channel = _socket.socket(
                _socket.AF_NETLINK, _socket.SOCK_DGRAM | _socket.SOCK_CLOEXEC, NETLINK_SOCK_DIAG
            )
        except OSError as exc:
            raise _netlink_error(exc) from None
        try:
            self.channel.bind((0, self.GROUPS))
            self.channel.setblocking(False)
        except OSError as exc:
            self.channel.close()
            raise _netlink_error(exc) from None

    def drain(self) -> list[TcpInfo]:
        """The sockets destroyed since the last call (none waited for)."""
        datagrams = []
        while True:
            try:
                datagrams.append(self.channel.recv(1 << 16))
            except (BlockingIOError, InterruptedError):
                break
            except OSError:  # ENOBUFS: more closed than the buffer held; those are lost
                continue
        return list(parse_tcp_info(datagrams, ignore_errors, self.fields))

    def close(self) -> None:
        self.channel.close()
