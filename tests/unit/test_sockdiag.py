"""The sock_diag decoder on constructed and captured binary messages (no kernel needed).

Constructed messages pin each mapping from sock_diag's values to /proc's; the captured ones
(a dump and the /proc file read at the same moment, at the end of this file) show that the
mapping holds on real kernel output.
"""

from __future__ import annotations

import errno
import socket
import struct
import sys
import threading
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv6Address

import pytest

from pnetstat.errors import NetlinkError, ParseError
from pnetstat.model import Family, InetSocket, Protocol, UnixSocket
from pnetstat.sources.proc_inet import parse_inet_lines
from pnetstat.sources.proc_unix import parse_unix_lines
from pnetstat.sources.sockdiag import inet as inet_diag
from pnetstat.sources.sockdiag import netlink
from pnetstat.sources.sockdiag import unix as unix_diag

TCP, UDP, RAW = Protocol.TCP, Protocol.UDP, Protocol.RAW
V4, V6 = Family.INET, Family.INET6


def header(length: int, kind: int, flags: int = 2) -> bytes:
    return netlink.NLMSGHDR.struct.pack(16 + length, kind, flags, 1, 0)


def inet(
    *,
    family: int = 2,
    state: int = 1,
    timer: int = 0,
    retrans: int = 0,
    sport: int = 80,
    dport: int = 0,
    src: bytes = b"\x7f\0\0\1",
    dst: bytes = b"",
    cookie: int = 1,
    expires: int = 0,
    rqueue: int = 0,
    wqueue: int = 0,
    uid: int = 0,
    inode: int = 100,
    attributes: bytes = b"",
) -> bytes:
    """One SOCK_DIAG_BY_FAMILY message as the kernel writes it (ports big-endian)."""
    body = inet_diag.INET_DIAG_MSG.struct.pack(
        family, state, timer, retrans, *struct.unpack("=HH", struct.pack(">HH", sport, dport)),
        src, dst, 0, cookie, expires, rqueue, wqueue, uid, inode,
    )  # fmt: skip
    return header(len(body) + len(attributes), netlink.SOCK_DIAG_BY_FAMILY) + body + attributes


def done(code: int = 0) -> bytes:
    return header(4, netlink.NLMSG_DONE) + struct.pack("=i", code)


def error(code: int) -> bytes:
    request = header(0, netlink.SOCK_DIAG_BY_FAMILY)
    return header(4 + len(request), netlink.NLMSG_ERROR, 0) + struct.pack("=i", code) + request


def attribute(kind: int, payload: bytes) -> bytes:
    padding = b"\0" * (-len(payload) % 4)
    return netlink.NLATTR.struct.pack(4 + len(payload), kind) + payload + padding


def unix(
    *,
    type_: int = 1,
    state: int = 7,
    inode: int = 10,
    cookie: int | None = None,
    name: bytes | None = None,
    peer: int | None = None,
    icons: tuple[int, ...] | None = None,
    queues: tuple[int, int] | None = None,
) -> bytes:
    body = unix_diag.UNIX_DIAG_MSG.struct.pack(
        1, type_, state, 0, inode, inode if cookie is None else cookie
    )
    if name is not None:
        body += attribute(unix_diag.UNIX_DIAG_NAME, name)
    if peer is not None:
        body += attribute(unix_diag.UNIX_DIAG_PEER, struct.pack("=I", peer))
    if icons is not None:
        body += attribute(unix_diag.UNIX_DIAG_ICONS, struct.pack("=%dI" % len(icons), *icons))
    if queues is not None:
        body += attribute(
            unix_diag.UNIX_DIAG_RQLEN, unix_diag.UNIX_DIAG_RQLEN_STRUCT.struct.pack(*queues)
        )
    body += attribute(6, b"\0")  # UNIX_DIAG_SHUTDOWN, always sent: skipped
    return header(len(body), netlink.SOCK_DIAG_BY_FAMILY) + body


def rows(*datagrams: bytes, protocol: Protocol = TCP, family: Family = V4) -> list[InetSocket]:
    return list(inet_diag.parse_inet_diag(datagrams, protocol, family))


# ----------------------------------------------------------------------------- layouts


def test_layouts_have_the_kernels_sizes_and_field_names() -> None:
    sizes = {"nlmsghdr": 16, "nlattr": 4, "inet_diag_req": 60, "inet_diag_req_v2": 56,
             "inet_diag_msg": 72, "unix_diag_req": 24, "unix_diag_msg": 16}  # fmt: skip
    layouts = [netlink.NLMSGHDR, netlink.NLATTR, inet_diag.INET_DIAG_REQ,
               inet_diag.INET_DIAG_REQ_V2, inet_diag.INET_DIAG_MSG, unix_diag.UNIX_DIAG_REQ,
               unix_diag.UNIX_DIAG_MSG]  # fmt: skip
    assert {layout.name: layout.struct.size for layout in layouts} == sizes
    assert inet_diag.INET_DIAG_MSG.fields[:5] == (
        "idiag_family", "idiag_state", "idiag_timer", "idiag_retrans", "id.idiag_sport",
    )  # fmt: skip
    assert inet_diag.INET_DIAG_MSG.fields[-5:] == (
        "idiag_expires", "idiag_rqueue", "idiag_wqueue", "idiag_uid", "idiag_inode",
    )  # fmt: skip
    assert unix_diag.UNIX_DIAG_REQ.fields == (
        "sdiag_family", "sdiag_protocol", "pad", "udiag_states", "udiag_ino", "udiag_show",
        "udiag_cookie",
    )  # fmt: skip


def test_requests() -> None:
    tcp = inet_diag.inet_request(TCP, V6)
    length, kind, flags = struct.unpack_from("=IHH", tcp)
    assert (length, kind, flags) == (16 + 56, 20, 0x301)
    family, protocol, ext, pad, states = struct.unpack_from("=BBBBI", tcp, 16)
    # Bit 13 (TCP_BOUND_INACTIVE) would add bound sockets that /proc/net/tcp does not list.
    assert (family, protocol, ext, pad, states) == (10, 6, 0, 0, 0x1FFE)
    assert tcp[24:] == bytes(48)  # no socket id: no filter
    raw = inet_diag.inet_request(RAW, V4)
    # raw_diag is found by IPPROTO_RAW; a dump needs no INET_DIAG_REQ_PROTOCOL attribute.
    assert len(raw) == 72 and raw[17] == 255 and struct.unpack_from("=I", raw, 20)[0] == 0xFFFFFFFF
    assert (
        struct.unpack_from("=I", inet_diag.inet_request(Protocol.UDPLITE, V4, 1 << 7), 20)[0] == 128
    )
    req = unix_diag.unix_request()
    assert len(req) == 16 + 24
    assert struct.unpack_from("=BBHIIII", req, 16) == (
        1,
        0,
        0,
        0xFFFFFFFF,
        0,
        0x1 | 0x4 | 0x8 | 0x10,
        0,
    )


# ----------------------------------------------------------------------------- Internet


def test_a_tcp_row_is_what_proc_shows() -> None:
    (row,) = rows(
        inet(state=1, sport=22, dport=50003, dst=b"\x7f\0\0\5", rqueue=9, wqueue=7, uid=1000,
             inode=4242, timer=2, retrans=3, expires=70182_85),
        done(),
    )  # fmt: skip
    assert row == InetSocket(
        TCP, V4, 0, IPv4Address("127.0.0.1"), 22, IPv4Address("127.0.0.5"), 50003, 1, 7, 9,
        2, 70182_8, 0, 1000, 3, 4242, (),
    )  # fmt: skip


def test_tcp_listener_send_queue_is_zero_as_in_proc() -> None:
    # sock_diag puts the maximum backlog in idiag_wqueue; /proc shows write_seq - snd_una.
    (row,) = rows(inet(state=10, rqueue=2, wqueue=4096), done())
    assert (row.rx_queue, row.tx_queue, row.server) == (2, 0, True)


@pytest.mark.parametrize(
    ("timer", "retrans", "retransmits", "probes"),
    [(0, 0, 0, 0), (1, 5, 5, 0), (2, 4, 0, 4), (3, 0, 0, 0), (4, 6, 0, 6)],
)
def test_tcp_retrans_is_retransmits_or_probes_by_timer(
    timer: int, retrans: int, retransmits: int, probes: int
) -> None:
    (row,) = rows(inet(timer=timer, retrans=retrans, expires=1234), done())
    assert (row.timer, row.timer_expires, row.retransmits, row.timeout) == (
        timer, 123, retransmits, probes,
    )  # fmt: skip


def test_a_wrapped_timer_from_an_old_kernel_reads_as_expired() -> None:
    (row,) = rows(inet(timer=1, expires=0xFFFFFFF0), done())
    assert row.timer_expires == 0


def test_syn_recv_rows_get_their_listeners_uid() -> None:
    # inet_req_diag_fill() reports uid 0; /proc prints the listener's (get_openreq4).
    answer = [
        inet(state=10, sport=80, src=b"\x7f\0\0\1", uid=33, cookie=1),
        inet(state=10, sport=81, src=bytes(4), uid=44, cookie=2),
        inet(state=3, sport=80, dport=4000, timer=1, inode=0, cookie=3),
        inet(state=3, sport=81, dport=4001, timer=1, inode=0, cookie=4),
        inet(state=3, sport=82, dport=4002, timer=1, inode=0, cookie=5),
        done(),
    ]
    assert [r.uid for r in rows(b"".join(answer))] == [33, 44, 33, 44, 0]


def test_udp_and_raw_rows() -> None:
    (udp,) = rows(inet(state=7, sport=53, rqueue=768, retrans=0), done(), protocol=UDP)
    assert (udp.protocol, udp.local_port, udp.state, udp.rx_queue, udp.server) == (
        UDP, 53, 7, 768, True,
    )  # fmt: skip
    # /proc/net/raw prints remote port 0 whatever connect() named; local port = protocol.
    (raw,) = rows(inet(state=1, sport=1, dport=99, dst=b"\x7f\0\0\1"), done(), protocol=RAW)
    assert (raw.local_port, raw.remote_port, raw.timeout) == (1, 0, 0)


def test_ipv6_addresses() -> None:
    src = IPv6Address("fd00:1::5").packed
    mapped = IPv6Address("::ffff:127.0.0.1").packed
    (row,) = rows(inet(family=10, src=src, dst=mapped, dport=9), done(), family=V6)
    assert (row.local_address, row.remote_address) == (
        IPv6Address("fd00:1::5"),
        IPv6Address(mapped),
    )


def test_multipart_dump_counts_slots_across_datagrams_and_stops_at_done() -> None:
    first = inet(cookie=1, inode=1) + inet(cookie=2, inode=2)
    second = inet(cookie=3, inode=3) + done() + inet(cookie=4, inode=4)

    def datagrams() -> Iterator[bytes]:
        yield first
        yield second
        raise AssertionError("read past NLMSG_DONE")

    got = list(inet_diag.parse_inet_diag(datagrams(), TCP, V4))
    assert [(r.sl, r.inode) for r in got] == [(0, 1), (1, 2), (2, 3)]


def test_a_socket_reported_twice_is_shown_once() -> None:
    answer = inet(cookie=7, inode=1) + inet(cookie=8, inode=2) + inet(cookie=7, inode=1) + done()
    assert [r.inode for r in rows(answer)] == [1, 2]


def test_attributes_after_the_message_are_skipped() -> None:
    extra = attribute(8, b"\x01") + attribute(21, b"\0" * 8)  # SHUTDOWN, SOCKOPT
    assert [
        r.inode for r in rows(inet(inode=5, attributes=extra) + inet(inode=6, cookie=2), done())
    ] == [5, 6]


@pytest.mark.parametrize(
    ("answer", "code"),
    [(done(-errno.ENOENT), errno.ENOENT), (error(-errno.EPERM), errno.EPERM)],
    ids=["missing-diag-module", "refused-request"],
)
def test_errors_in_the_answer_raise_netlink_error(answer: bytes, code: int) -> None:
    with pytest.raises(NetlinkError) as caught:
        rows(inet(), answer)
    assert caught.value.errno == code


def test_an_acknowledgement_ends_the_dump() -> None:
    assert [r.inode for r in rows(inet(inode=3) + error(0) + inet(inode=4, cookie=2))] == [3]


def test_malformed_messages_go_to_on_error_and_decoding_goes_on() -> None:
    errors: list[ParseError] = []
    short = header(8, netlink.SOCK_DIAG_BY_FAMILY) + bytes(8)  # too short for an inet_diag_msg
    noop = header(0, 1)  # NLMSG_NOOP: skipped
    garbage = struct.pack("=IH", 3, 20) + bytes(10)  # nlmsg_len < 16: the datagram is dropped
    got = inet_diag.parse_inet_diag(
        [inet(inode=1) + short + noop + inet(inode=2, cookie=2), garbage, inet(inode=3, cookie=3) + done()],
        TCP, V4, errors.append,
    )  # fmt: skip
    assert [r.inode for r in got] == [1, 2, 3]
    assert [e.path for e in errors] == ["netlink:sock_diag"] * 2
    assert errors[0].line == short.hex()


def test_a_refusal_is_raised_when_reading_is_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    # The caller falls back to /proc on NetlinkError, so it must come before the first row.
    monkeypatch.setattr(inet_diag, "dump_inet", lambda *args: iter([done(-errno.ENOENT)]))
    with pytest.raises(NetlinkError) as caught:
        inet_diag.read_inet_sockets_diag(RAW, V4)
    assert caught.value.errno == errno.ENOENT
    monkeypatch.setattr(unix_diag, "dump_unix", lambda *args: iter([error(-errno.EPERM)]))
    with pytest.raises(NetlinkError):
        unix_diag.read_unix_sockets_diag()
    monkeypatch.setattr(inet_diag, "dump_inet", lambda *args: iter([inet(inode=9), done()]))
    assert [r.inode for r in inet_diag.read_inet_sockets_diag(TCP, V4)] == [9]


def old(message: bytes) -> bytes:
    """A socket message as the answer to the old TCPDIAG_GETSOCK request types it."""
    return message[:4] + struct.pack("=H", netlink.TCPDIAG_GETSOCK) + message[6:]


def test_the_old_request_asks_for_tcp_of_both_families() -> None:
    request = inet_diag.tcp_request()
    assert struct.unpack_from("=IHH", request) == (16 + 60, 18, 0x301)
    assert request[16:68] == bytes(52)  # no family, lengths, extensions or socket id
    assert struct.unpack_from("=II", request, 68) == (0x1FFE, 0)  # the states /proc lists


def test_one_dump_of_both_families_gives_each_familys_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    v6 = IPv6Address("fd00:1::5").packed
    many = [old(inet(family=10, src=v6, inode=100 + i, cookie=100 + i)) for i in range(500)]
    answer = [
        old(inet(inode=1, state=10)) + old(inet(family=10, src=v6, inode=2, state=10, cookie=2)),
        old(inet(inode=3, cookie=3, dport=9)) + b"".join(many[:250]),
        b"".join(many[250:]) + old(inet(inode=4, cookie=4)) + done(),
    ]
    monkeypatch.setattr(inet_diag, "dump_tcp", lambda states, **_: iter(answer))
    inet4, inet6 = inet_diag.read_tcp_sockets_diag_both()
    assert [(r.family, r.sl, r.inode) for r in inet4] == [(V4, 0, 1), (V4, 1, 3), (V4, 2, 4)]
    got = list(inet6)
    assert [r.inode for r in got] == [2] + [100 + i for i in range(500)]
    assert [r.sl for r in got] == list(range(501)) and {r.family for r in got} == {V6}
    assert got[0].local_address == IPv6Address("fd00:1::5")
    # The IPv6 rows can be asked for first: the IPv4 part of the dump is read (and dropped).
    monkeypatch.setattr(inet_diag, "dump_tcp", lambda states, **_: iter(answer))
    _, inet6 = inet_diag.read_tcp_sockets_diag_both()
    assert len(list(inet6)) == 501


def test_a_refused_old_request_is_raised_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inet_diag, "dump_tcp", lambda states, **_: iter([error(-errno.EINVAL)]))
    with pytest.raises(NetlinkError) as caught:
        inet_diag.read_tcp_sockets_diag_both()
    assert caught.value.errno == errno.EINVAL


# ------------------------------------------------------------------------------- UNIX


def unix_rows(*messages: bytes) -> list[UnixSocket]:
    return list(unix_diag.parse_unix_diag([b"".join(messages) + done()]))


def test_unix_columns_are_rebuilt_as_proc_prints_them() -> None:
    got = unix_rows(
        unix(type_=1, state=10, inode=1, name=b"/tmp/srv\0"),  # listening, bound to a path
        unix(type_=2, state=7, inode=2, name=b"\0abs\0x"),  # abstract, NUL inside
        unix(type_=1, state=1, inode=3, peer=4),  # a connected pair
        unix(type_=1, state=1, inode=4, peer=3),
        unix(type_=2, state=7, inode=5),  # unbound
        unix(type_=2, state=1, inode=6, peer=2),  # a datagram client of inode 2
    )
    assert got == [
        UnixSocket(0, 2, 0, 0x10000, 1, 1, 1, "/tmp/srv"),
        UnixSocket(0, 3, 0, 0, 2, 1, 2, "@abs@x"),
        UnixSocket(0, 3, 0, 0, 1, 3, 3, None),
        UnixSocket(0, 3, 0, 0, 1, 3, 4, None),
        UnixSocket(0, 2, 0, 0, 2, 1, 5, None),
        UnixSocket(0, 2, 0, 0, 2, 3, 6, None),
    ]
    assert [r.server for r in got] == [True, False, False, False, False, False]


def test_queued_connections_are_rebuilt_from_the_listeners_list() -> None:
    # unix_diag skips inode-0 sockets; /proc lists each as CONNECTING with the listener's name.
    got = unix_rows(
        unix(type_=1, state=1, inode=20, peer=0),  # the client: its peer has no inode yet
        unix(type_=1, state=1, inode=21, peer=22, name=b"\0srv"),  # an accepted connection
        unix(type_=1, state=1, inode=22, peer=21),
        unix(type_=1, state=10, inode=23, name=b"\0srv", icons=(20, 0)),  # 0: client gone
        unix(type_=2, state=7, inode=24, name=b"\0other"),
    )
    queued = [UnixSocket(0, 3, 0, 0, 1, 2, 0, "@srv"), UnixSocket(0, 2, 0, 0, 1, 2, 0, "@srv")]
    # Placed where the abstract-name half of the kernel's hash table starts: before the
    # listener (an accepted socket shares its listener's name but is hashed as unbound).
    assert got[3:5] == queued
    assert [r.inode for r in got] == [20, 21, 22, 0, 0, 23, 24]
    assert got[0].ref_count == 3  # the queued connection holds its client


def test_unix_paths() -> None:
    got = unix_rows(
        unix(inode=1, name=b" /lead\0"),  # /proc's parser loses leading white space
        unix(inode=2, name=b"/caf\xe9\0"),  # not UTF-8: kept as surrogates, as /proc reads it
        unix(inode=3, name=b"\0"),  # an empty abstract name
    )
    assert [r.path for r in got] == ["/lead", "/caf\udce9", "@"]


def test_unix_duplicates_and_errors() -> None:
    errors: list[ParseError] = []
    short = header(4, netlink.SOCK_DIAG_BY_FAMILY) + bytes(4)
    answer = unix(inode=1, cookie=5) + short + unix(inode=1, cookie=5) + unix(inode=2) + done()
    assert [r.inode for r in unix_diag.parse_unix_diag([answer], errors.append)] == [1, 2]
    assert len(errors) == 1
    with pytest.raises(NetlinkError):
        unix_diag.parse_unix_diag([unix(inode=1) + done(-errno.EINVAL)])


# ---------------------------------------------------------------------- captured answers


def test_captured_tcp_dump_equals_proc_read_at_the_same_moment() -> None:
    diag = list(inet_diag.parse_inet_diag([bytes.fromhex(d) for d in TCP_DATAGRAMS], TCP, V4))
    proc = list(parse_inet_lines(TCP_PROC.splitlines(keepends=True), TCP, V4))
    assert len(diag) == len(proc) == 7
    assert {r.state for r in diag} == {1, 5, 8, 10}
    for ours, theirs in zip(diag, proc, strict=True):
        assert ours.sl == theirs.sl and theirs.tail and not ours.tail
        # The TIME_WAIT-timer rows moved on between the two reads (sub-tick).
        assert abs(ours.timer_expires - theirs.timer_expires) <= 1
        assert ours._replace(tail=(), timer_expires=0) == theirs._replace(tail=(), timer_expires=0)


def test_captured_unix_dump_equals_proc_but_for_a_queued_connections_place() -> None:
    diag = list(unix_diag.parse_unix_diag([bytes.fromhex(d) for d in UNIX_DATAGRAMS]))
    proc = [r._replace(num=0) for r in parse_unix_lines(UNIX_PROC.splitlines(keepends=True))]
    assert sorted(diag) == sorted(proc)
    queued = [r for r in proc if r.inode == 0]
    assert len(queued) == 1 and queued[0].state == 2 and queued[0].path == "@pnt-cap"
    # In /proc the queued connection sits among the unbound sockets (hashed by its address).
    assert [r for r in diag if r.inode] == [r for r in proc if r.inode]
    assert diag.index(queued[0]) != proc.index(queued[0])


# Captured at one moment in a namespace (tests/test_sockdiag_netns.py makes such sockets):
# a TCP/IPv4 dump with /proc/net/tcp, a UNIX dump with /proc/net/unix. Linux 6.18, x86-64.
TCP_DATAGRAMS = [
    (
        "7c000000140002000100000013640000020a00001b5900007f00000100000000000000000000000000000000"
        "00000000000000000000000000000000b94217000000000000000000010000000800000000000000e4ed2f00"
        "050008000000000008000f00000000000c001500010000000000000006001600520000006000000014000200"
        "0100000013640000020503001b59cae47f0000010000000000000000000000007f0000010000000000000000"
        "0000000000000000ba421700000000000cea00000000000000000000000000000000000008000f0000000000"
        "7c000000140002000100000013640000020100001b59cae07f0000010000000000000000000000007f000001"
        "00000000000000000000000000000000bb4217000000000000000000640000000000000000000000e6ed2f00"
        "050008000000000008000f00000000000c001500010000000000000006001600520000007c00000014000200"
        "0100000013640000020800001b59cae67f0000010000000000000000000000007f0000010000000000000000"
        "0000000000000000bc4217000000000000000000010000000000000000000000000000000500080001000000"
        "08000f00000000000c001500010000000000000006001600520000007c000000140002000100000013640000"
        "02010000cae01b597f0000010000000000000000000000007f00000100000000000000000000000000000000"
        "bd4217000000000000000000000000000000000000000000e5ed2f00050008000000000008000f0000000000"
        "0c001500010000000000000006001600520000007c00000014000200010000001364000002080000cae41b59"
        "7f0000010000000000000000000000007f00000100000000000000000000000000000000be42170000000000"
        "00000000010000000000000000000000e7ed2f00050008000100000008000f00000000000c00150001000000"
        "0000000006001600520000006000000014000200010000001364000002050300cae61b597f00000100000000"
        "00000000000000007f00000100000000000000000000000000000000bf421700000000000cea000000000000"
        "00000000000000000000000008000f0000000000"
    ),
    ("1400000003000200010000001364000000000000"),
]
TCP_PROC = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     \n"
    "   0: 0100007F:1B59 00000000:0000 0A 00000000:00000001 00:00000000 00000000     0        0 3141092 2 00000000e465e066 100 0 0 10 0                   \n"
    "   1: 0100007F:1B59 0100007F:CAE4 05 00000000:00000000 03:00001767 00000000     0        0 0 3 000000003e2a6694                                      \n"
    "   2: 0100007F:1B59 0100007F:CAE0 01 00000000:00000064 00:00000000 00000000     0        0 3141094 1 00000000078bc638 20 4 30 10 -1                  \n"
    "   3: 0100007F:1B59 0100007F:CAE6 08 00000000:00000001 00:00000000 00000000     0        0 0 1 000000004f177416 20 4 0 10 -1                         \n"
    "   4: 0100007F:CAE0 0100007F:1B59 01 00000000:00000000 00:00000000 00000000     0        0 3141093 2 00000000a8358135 20 0 0 11 -1                   \n"
    "   5: 0100007F:CAE4 0100007F:1B59 08 00000000:00000001 00:00000000 00000000     0        0 3141095 2 00000000a6ab6a2d 20 4 0 10 -1                   \n"
    "   6: 0100007F:CAE6 0100007F:1B59 05 00000000:00000000 03:00001767 00000000     0        0 0 3 00000000df0621ec                                      \n"
)
UNIX_DATAGRAMS = [
    (
        "4000000014000200010000001364000001020700eeed2f00c042170000000000160000002f746d702f706e74"
        "2d6361702e736f636b00000005000600000000003000000014000200010000001364000001010100ebed2f00"
        "c142170000000000080002000000000005000600000000003000000014000200010000001364000001010100"
        "eded2f00c24217000000000008000200eced2f00050006000000000030000000140002000100000013640000"
        "01010100eced2f00c34217000000000008000200eded2f0005000600000000003c0000001400020001000000"
        "1364000001010a00eaed2f00c4421700000000000c00000000706e742d63617008000300ebed2f0005000600"
        "00000000"
    ),
    ("1400000003000200010000001364000000000000"),
]
UNIX_PROC = (
    "Num       RefCount Protocol Flags    Type St Inode Path\n"
    "0000000013a131e9: 00000002 00000000 00000000 0002 01 3141102 /tmp/pnt-cap.sock\n"
    "000000001f4baad7: 00000003 00000000 00000000 0001 02     0 @pnt-cap\n"
    "00000000a110d3b3: 00000003 00000000 00000000 0001 03 3141099\n"
    "000000008831695c: 00000003 00000000 00000000 0001 03 3141101\n"
    "000000008d8725d8: 00000003 00000000 00000000 0001 03 3141100\n"
    "00000000cf637915: 00000002 00000000 00010000 0001 01 3141098 @pnt-cap\n"
)


# ------------------------------------------------------------------------ the reader thread


class FakeSocket:
    """A netlink socket whose answer is a list of datagrams (then ``end``: b"" or an error);
    ``endless`` keeps answering socket messages, as a dump of a huge table would."""

    def __init__(self, answer: list[bytes], end: bytes | OSError = b"", endless: bool = False):
        self.answer, self.end, self.endless = list(answer), end, endless
        self.sent: list[bytes] = []
        self.received = 0
        self.closed = threading.Event()
        self.ahead = threading.Event()  # set once the reader has filled its hand-over box

    def settimeout(self, timeout: float) -> None:
        assert timeout > 0

    def setsockopt(self, *args: int) -> None:
        pass

    def send(self, data: bytes) -> int:
        self.sent.append(data)
        return len(data)

    def recv_into(self, buffer: bytearray, nbytes: int = 0, flags: int = 0) -> int:
        self.received += 1
        if self.received > netlink._QUEUED + 1:
            self.ahead.set()
        if self.endless:
            data = inet(inode=self.received, cookie=self.received)
        elif self.answer:
            data = self.answer.pop(0)
        elif isinstance(self.end, OSError):
            raise self.end
        else:
            data = self.end
        kept = data[: len(buffer)]  # as the kernel copies: what fits
        buffer[: len(kept)] = kept
        # MSG_TRUNC: netlink answers the datagram's whole length, not what was copied.
        return len(data) if flags & socket.MSG_TRUNC else len(kept)

    def close(self) -> None:
        self.closed.set()


def datagrams(sock: FakeSocket) -> Iterator[memoryview]:
    return netlink._datagrams(sock, b"request")  # type: ignore[arg-type]


def test_the_reader_thread_hands_over_datagrams_up_to_done() -> None:
    interval = sys.getswitchinterval()
    sock = FakeSocket([inet(inode=1), inet(inode=2, cookie=2) + done(), b"never read"])
    answer = [bytes(d) for d in datagrams(sock)][:2]  # the generator stops at the end itself
    assert answer == [inet(inode=1), inet(inode=2, cookie=2) + done()]
    assert sock.sent == [b"request"] and sock.received == 2  # nothing asked for after DONE
    assert sock.closed.wait(5)
    assert sys.getswitchinterval() == interval


def test_an_answer_in_one_datagram_starts_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    import pnetstat.sources.readahead

    def no_thread(*args: object, **kwargs: object) -> Iterator[bytes]:
        raise AssertionError("a reader thread was started")

    monkeypatch.setattr(pnetstat.sources.readahead, "read_ahead", no_thread)
    sock = FakeSocket([inet(inode=1) + done(), b"never read"])
    assert [bytes(d) for d in datagrams(sock)] == [inet(inode=1) + done()]
    assert sock.closed.is_set() and sock.received == 1
    sock = FakeSocket([inet(inode=1), inet(inode=2, cookie=2) + done()])
    answer = datagrams(sock)
    next(answer)
    answer.close()  # the caller stops before a thread took over: the socket is closed here
    assert sock.closed.is_set() and sock.received == 1


def test_the_reader_thread_stops_when_the_caller_does() -> None:
    interval = sys.getswitchinterval()
    sock = FakeSocket([], endless=True)
    answer = datagrams(sock)
    assert bytes(next(answer)) == inet(inode=1)  # taken before any thread starts
    assert bytes(next(answer)) == inet(inode=2, cookie=2)  # from the reader thread
    assert sock.ahead.wait(5)  # the reader waits for room in a full box
    answer.close()  # the caller gives up (a closed pipe, an exception) long before DONE
    assert sock.closed.wait(5)  # the thread saw the stop and closed the socket
    assert sock.received <= 1 + netlink._QUEUED + 2  # bounded read-ahead
    for thread in threading.enumerate():  # and it ended: nothing left blocked on a full box
        if thread.name == "pnetstat-reader":
            thread.join(5)
            assert not thread.is_alive()
    assert sys.getswitchinterval() == interval


@pytest.mark.parametrize(
    ("end", "code"),
    [(OSError(errno.ENOBUFS, "No buffer space available"), errno.ENOBUFS), (b"", errno.EIO)],
)
def test_the_reader_threads_failures_reach_the_caller(end: bytes | OSError, code: int) -> None:
    sock = FakeSocket([inet(inode=1)], end=end)
    answer = datagrams(sock)
    assert bytes(next(answer)) == inet(inode=1)
    with pytest.raises(NetlinkError) as caught:
        next(answer)
    assert caught.value.errno == code
    assert sock.closed.wait(5)


def test_unix_queue_lengths_are_decoded_when_sent() -> None:
    got = unix_rows(
        unix(inode=1, queues=(5, 768)),
        unix(inode=2, state=10, name=b"\0srv", queues=(2, 7)),
        unix(inode=3),  # an older kernel, or a request without UDIAG_SHOW_RQLEN
    )
    assert [(r.inode, r.rx_queue, r.tx_queue) for r in got] == [
        (1, 5, 768),
        (2, 2, 7),
        (3, None, None),
    ]


# ------------------------------------------------------------- a dump taken datagram by datagram


def test_a_dump_decoded_alone_and_merged_keeps_the_state_of_one_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    v6 = IPv6Address("fd00:1::5").packed
    short = header(8, netlink.TCPDIAG_GETSOCK) + bytes(8)
    answer = [
        old(inet(inode=1, state=10)) + old(inet(family=10, src=v6, inode=2, cookie=2)),
        old(inet(inode=3, cookie=3, dport=9)) + old(inet(inode=1, state=10)),  # 1 again
        old(inet(inode=4, cookie=4)) + short,
        old(inet(family=10, src=v6, inode=5, cookie=5)) + old(inet(inode=6, cookie=6)) + done(),
    ]
    asked: list[bool] = []
    monkeypatch.setattr(
        inet_diag, "dump_tcp", lambda states, ahead, **_: asked.append(ahead) or iter(answer)
    )
    errors: list[ParseError] = []
    dump = inet_diag.TcpDump(on_error=errors.append, ahead=False)
    assert asked == [False]
    datagrams = list(dump.datagrams)
    rows, cookies, others = dump.batch(datagrams[0])
    assert [r.inode for r in rows] == [1] and cookies == {1} and len(others) == 1
    assert dump.merge(cookies, [bytes(o) for o in others], len(rows))
    rows, cookies, others = dump.batch(datagrams[1])  # alone, it cannot know 1 came before
    assert [r.inode for r in rows] == [3, 1]
    assert not dump.merge(cookies, others, len(rows))  # so it is decoded in order instead
    assert [r.inode for r in dump.rows(datagrams[1])] == [3]
    with pytest.raises(ValueError):
        dump.batch(datagrams[2])  # a malformed message: reported where it is, by rows()
    assert not errors
    assert [r.inode for r in dump.rows(datagrams[2])] == [4] and len(errors) == 1
    rows, cookies, others = dump.batch(datagrams[3])
    assert dump.merge(cookies, others, len(rows))
    assert [r.inode for r in dump.inet6()] == [2, 5]
    assert dump.decoder.count == 4  # the rows so far, merged or decoded: the next row's sl


def test_a_datagram_longer_than_the_buffer_is_an_error_not_a_cut_answer() -> None:
    """The kernel never sends a dump datagram over 32 KiB; were one longer than the buffer,
    its tail would be lost: MSG_TRUNC tells, and the dump fails instead of decoding half."""
    fits = inet(inode=1) * (netlink._RECV_BUFFER // len(inet(inode=1)))
    sock = FakeSocket([fits, fits + inet(inode=2)])
    answer = netlink._datagrams(sock, b"request", ahead=False)  # type: ignore[arg-type]
    assert bytes(next(answer)) == fits
    with pytest.raises(NetlinkError) as caught:
        next(answer)
    assert caught.value.errno == errno.EMSGSIZE and sock.closed.is_set()


def test_without_reading_ahead_each_datagram_is_received_when_asked_for() -> None:
    sock = FakeSocket([inet(inode=1), inet(inode=2, cookie=2), inet(inode=3) + done(), b"no"])
    threads = set(threading.enumerate())
    answer = netlink._datagrams(sock, b"request", ahead=False)  # type: ignore[arg-type]
    assert bytes(next(answer)) == inet(inode=1) and sock.received == 1
    assert bytes(next(answer)) == inet(inode=2, cookie=2) and sock.received == 2
    assert set(threading.enumerate()) <= threads  # no reader thread
    assert [bytes(d) for d in answer] == [inet(inode=3) + done()] and sock.received == 3
    assert sock.closed.is_set()


def test_a_dump_that_breaks_off_shows_the_rows_before_it_then_the_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from io import StringIO

    from pnetstat.cli import main

    answer = [old(inet(inode=i, cookie=i, dport=9)) for i in range(1, 4)] + [done(-errno.EIO)]
    monkeypatch.setattr(inet_diag, "dump_tcp", lambda states, **_: iter(answer))
    out, err = StringIO(), StringIO()
    assert main(["-tn", "--source=netlink"], stdout=out, stderr=err) == 1
    assert out.getvalue().count("\ntcp ") == 3  # the rows of the datagrams before the error
    assert (
        err.getvalue()
        == "pnetstat: netlink sock_diag refused the tcp dump: sock_diag: EIO (dump)\n"
    )
