"""The exporter's counted reading of sockets (pnetstat.sources.sockdiag.counts) against the
listing it replaces: the same answer, decoded into rows (``read_tcp_sockets_diag_both``,
``parse_unix_diag``) or counted (``parse_tcp_counts``, ``parse_unix_count``), must give the same
metric families and the same number of UNIX rows (no kernel needed)."""

from __future__ import annotations

import errno
import struct
from ipaddress import IPv6Address
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pnetstat.errors import NetlinkError, ParseError
from pnetstat.model import Family, TcpCounts
from pnetstat.serve.metrics import Family as MetricFamily
from pnetstat.serve.metrics import Scope, socket_families
from pnetstat.sources.sockdiag import counts, netlink
from pnetstat.sources.sockdiag import inet as inet_diag
from pnetstat.sources.sockdiag import unix as unix_diag

V4, V6 = Family.INET, Family.INET6
LISTEN, ESTABLISHED, CLOSE = 10, 1, 7
V6_ADDRESS = IPv6Address("fd00:1::5").packed


def message(
    *,
    family: int = 2,
    state: int = ESTABLISHED,
    sport: int = 80,
    dport: int = 0,
    cookie: int = 1,
    rqueue: int = 0,
    wqueue: int = 0,
    attributes: bytes = b"",
) -> bytes:
    """One socket of the answer to the old TCP request (TCPDIAG_GETSOCK), ports big-endian."""
    src = b"\x7f\0\0\1" if family == 2 else V6_ADDRESS
    ports = struct.unpack("=HH", struct.pack(">HH", sport, dport))
    body = inet_diag.INET_DIAG_MSG.struct.pack(
        family, state, 0, 0, *ports, src, b"", 0, cookie, 0, rqueue, wqueue, 0, cookie
    )
    body += attributes
    return netlink.NLMSGHDR.struct.pack(16 + len(body), netlink.TCPDIAG_GETSOCK, 2, 1, 0) + body


def done() -> bytes:
    return netlink.NLMSGHDR.struct.pack(20, netlink.NLMSG_DONE, 2, 1, 0) + bytes(4)


def listed(answer: list[bytes], monkeypatch: pytest.MonkeyPatch) -> list[MetricFamily]:
    """The families of the answer decoded into rows, as a scrape with -p reads it."""
    monkeypatch.setattr(inet_diag, "dump_tcp", lambda states, **_: iter(answer))
    inet, inet6 = inet_diag.read_tcp_sockets_diag_both(backlog=True)
    return socket_families([(Scope(), [*inet, *inet6])], 3, programs=True)[0]


def counted(answer: list[bytes]) -> list[MetricFamily]:
    tcp = counts.parse_tcp_counts(answer)
    return socket_families([(Scope(tcp=tcp), [])], 3, programs=True)[0]


def by_name(families: list[MetricFamily]) -> dict[str, dict[tuple[str, ...], float]]:
    return {f.name: dict(f.samples) for f in families}


def test_connections_are_counted_by_direction_and_listeners_listed() -> None:
    answer = [
        message(state=LISTEN, sport=80, rqueue=2, wqueue=128, cookie=1)
        + message(sport=80, dport=40000, cookie=2)
        + message(family=10, sport=80, dport=40001, cookie=3),
        message(sport=40000, dport=80, cookie=4) + message(sport=40002, dport=443, cookie=5),
        done(),
    ]
    tcp = counts.parse_tcp_counts(answer)
    assert [(r.family, r.local_port, r.rx_queue, r.tx_queue) for r in tcp.listeners] == [
        (V4, 80, 2, 128)
    ]
    assert tcp.inbound == {(V4, ESTABLISHED, 80): 1, (V6, ESTABLISHED, 80): 1}
    assert tcp.outbound == {(V4, ESTABLISHED, 80): 1, (V4, ESTABLISHED, 443): 1}


def test_a_listener_after_its_connections_still_makes_them_inbound() -> None:
    # A dump is not atomic: a listener may come after connections on its port.
    answer = [message(sport=80, dport=40000, cookie=2), message(state=LISTEN, cookie=1), done()]
    tcp = counts.parse_tcp_counts(answer)
    assert tcp.inbound == {(V4, ESTABLISHED, 80): 1} and tcp.outbound == {}


def test_a_socket_reported_twice_is_counted_once_and_done_ends_the_count() -> None:
    twice = message(sport=40000, dport=80, cookie=7)
    tcp = counts.parse_tcp_counts([twice + twice, twice + done() + message(cookie=8)])
    assert tcp == TcpCounts((), {}, {(V4, ESTABLISHED, 80): 1})


def test_malformed_messages_go_to_on_error_and_counting_goes_on() -> None:
    short = netlink.NLMSGHDR.struct.pack(24, netlink.TCPDIAG_GETSOCK, 2, 1, 0) + bytes(8)
    errors: list[ParseError] = []
    tcp = counts.parse_tcp_counts([short + message(dport=9) + done()], errors.append)
    assert len(errors) == 1 and tcp.outbound == {(V4, ESTABLISHED, 9): 1}


def test_a_refusal_is_raised_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    refusal = netlink.NLMSGHDR.struct.pack(20, netlink.NLMSG_DONE, 2, 1, 0)
    monkeypatch.setattr(counts, "dump_tcp", lambda: iter([refusal + struct.pack("=i", -2)]))
    with pytest.raises(NetlinkError) as caught:
        counts.read_tcp_counts()
    assert caught.value.errno == errno.ENOENT


# Sockets on a few ports (so that counts meet and listeners decide), in both families, any
# state (a listener has no remote port; CLOSE without one counts as listening too, as
# InetSocket.server says), some
# reported twice (a cookie is unique across families: the kernel has one counter,
# sock_gen_cookie), some with an attribute, cut into datagrams anywhere between messages.
SOCKETS = st.lists(
    st.builds(
        lambda family, state, sport, dport, cookie, queues, extra: message(
            family=family, state=state, sport=sport, dport=0 if state == LISTEN else dport,
            cookie=cookie * 16 + family,
            rqueue=queues[0], wqueue=queues[1], attributes=b"\x05\0\x08\0\0" * extra + b"\0" * (3 * extra),
        ),
        st.sampled_from([2, 10]),
        st.sampled_from([ESTABLISHED, LISTEN, CLOSE, 2, 3, 6, 8, 11, 12]),
        st.sampled_from([22, 80, 443, 40000, 40001]),
        st.sampled_from([0, 80, 443, 40000, 5555]),
        st.integers(1, 40),
        st.tuples(st.integers(0, 3), st.integers(0, 200)),
        st.integers(0, 1),
    ),
    max_size=60,
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(SOCKETS, st.lists(st.integers(0, 60), max_size=4))
def test_counting_gives_the_families_of_the_listing(sockets: list[bytes], cuts: list[int]) -> None:
    bounds = sorted({0, len(sockets), *(min(c, len(sockets)) for c in cuts)})
    answer = [b"".join(sockets[a:b]) for a, b in pairwise(bounds)]
    answer.append(done())
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert by_name(counted(answer)) == by_name(listed(answer, monkeypatch))


# ------------------------------------------------------------------------------- UNIX


def attribute(kind: int, payload: bytes) -> bytes:
    padding = b"\0" * (-len(payload) % 4)
    return netlink.NLATTR.struct.pack(4 + len(payload), kind) + payload + padding


def unix(
    *, state: int = 7, cookie: int = 1, name: bytes | None = None, icons: tuple[int, ...] = ()
) -> bytes:
    """One unix_diag message; a listener's has its queued connections, every one a name and a
    peer (the count asks only for the first, but must skip any)."""
    body = unix_diag.UNIX_DIAG_MSG.struct.pack(1, 1, state, 0, cookie, cookie)
    if name is not None:
        body += attribute(unix_diag.UNIX_DIAG_NAME, name)
    body += attribute(unix_diag.UNIX_DIAG_PEER, struct.pack("=I", 7))
    if state == LISTEN:
        body += attribute(unix_diag.UNIX_DIAG_ICONS, struct.pack("=%dI" % len(icons), *icons))
    body += attribute(6, b"\0")  # UNIX_DIAG_SHUTDOWN, always sent
    return netlink.NLMSGHDR.struct.pack(16 + len(body), netlink.SOCK_DIAG_BY_FAMILY, 2, 1, 0) + body


def test_unix_count_adds_queued_connections_and_counts_a_socket_once() -> None:
    listener = unix(state=LISTEN, cookie=1, name=b"/run/s\0", icons=(11, 12, 0))
    answer = [listener + unix(cookie=2), listener + unix(cookie=3) + done(), unix(cookie=4)]
    assert counts.parse_unix_count(answer) == 6
    assert len(list(unix_diag.parse_unix_diag(answer))) == 6


def test_a_refused_unix_dump_is_raised_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    refusal = netlink.NLMSGHDR.struct.pack(20, netlink.NLMSG_DONE, 2, 1, 0)
    monkeypatch.setattr(counts, "dump_unix", lambda show: iter([refusal + struct.pack("=i", -2)]))
    with pytest.raises(NetlinkError):
        counts.read_unix_count()


UNIX_SOCKETS = st.lists(
    st.builds(
        lambda state, cookie, name, icons: unix(state=state, cookie=cookie, name=name, icons=icons),
        st.sampled_from([LISTEN, CLOSE, ESTABLISHED]),
        st.integers(1, 30),
        st.one_of(st.none(), st.sampled_from([b"/tmp/a\0", b"\0abstract", b"/x\ny\0"])),
        st.lists(st.integers(0, 50), max_size=5).map(tuple),
    ),
    max_size=40,
)  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(UNIX_SOCKETS, st.lists(st.integers(0, 40), max_size=3))
def test_unix_count_is_the_number_of_rows_listed(sockets: list[bytes], cuts: list[int]) -> None:
    bounds = sorted({0, len(sockets), *(min(c, len(sockets)) for c in cuts)})
    answer = [b"".join(sockets[a:b]) for a, b in pairwise(bounds)] + [done()]
    assert counts.parse_unix_count(answer) == len(list(unix_diag.parse_unix_diag(answer)))
