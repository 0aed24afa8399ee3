"""Odd rows of /proc/net/{tcp,udp,udplite,raw}[6], read as netstat 2.10 reads them (issue 18).

Every expectation here was observed by running netstat on a fake /proc (the method of
tests/test_malformed_proc.py). The generated tests check that the fast path for ordinary kernel
rows and the careful C reading agree, so the fast path is only a shortcut.
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv6Address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pnetstat.model import Family, InetSocket, Protocol
from pnetstat.options import Options
from pnetstat.sources.cscan import scanf_number
from pnetstat.sources.inet_scan import scan_inet_row
from pnetstat.sources.proc_inet import LINE_BUFFER, parse_inet_lines
from pnetstat.views.sockets import format_timer, render_inet_rows

HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"


def row(
    local: str = "0100007F:0016",
    remote: str = "00000000:0000",
    state: str = "07",
    queues: str = "00000000:00000000",
    uid: str = "0",
    inode: str = "1234",
    sep: str = " ",
) -> str:
    fields = ["0:", local, remote, state, queues, "00:00000000", "00000000", uid, "0", inode]
    return sep.join(fields) + " 2 0000000073ccb3e1 0\n"


def parse(*lines: str, protocol: Protocol = Protocol.RAW) -> list[InetSocket]:
    return list(parse_inet_lines([HEADER, *lines], protocol, Family.INET))


# --------------------------------------------------------------------------- numbers
@pytest.mark.parametrize(
    ("state", "value"),
    [
        ("FFFFFFFF", 0xFFFFFFFF),
        ("1FFFFFFFF", 0xFFFFFFFF),  # cut to the C unsigned int
        ("FFFFFFFFFFFFFFFFFFFF", 0xFFFFFFFF),  # saturates first
        ("-1", 0xFFFFFFFF),
        ("100000007", 7),
        ("0x", 0),  # "0x" alone is a zero
        ("0x7", 7),
        ("+7", 7),
        ("-0", 0),
    ],
)
def test_state_is_a_c_unsigned_int(state: str, value: int) -> None:
    (sock,) = parse(row(state=state))
    assert sock.state == value


@pytest.mark.parametrize(
    ("queues", "tx", "rx"),
    [
        ("FFFFFFFFFFFFFFFF:00000001", (1 << 64) - 1, 1),
        ("1FFFFFFFFFFFFFFFF:1", (1 << 64) - 1, 1),
        ("-5:1", (1 << 64) - 5, 1),
        ("0x:00000003", 0, 3),  # the "x" is consumed: the ':' still matches
        ("0x1F:0X1f", 31, 31),
        ("7FFFFFFFFFFFFFFF:8000000000000000", (1 << 63) - 1, 1 << 63),
    ],
)
def test_queues_are_c_unsigned_longs(queues: str, tx: int, rx: int) -> None:
    (sock,) = parse(row(queues=queues))
    assert (sock.tx_queue, sock.rx_queue) == (tx, rx)


@pytest.mark.parametrize(
    ("uid", "value"),
    [
        ("4294967295", 0xFFFFFFFF),
        ("4294967297", 1),
        ("2147483648", 0x80000000),
        ("-1", 0xFFFFFFFF),
        ("9223372036854775808", 0xFFFFFFFF),  # strtol saturates at LONG_MAX, then the int cut
        ("-99999999999999999999", 0),  # LONG_MIN cut to an int
        ("-2147483649", 0x7FFFFFFF),
    ],
)
def test_uid_is_read_as_a_c_int(uid: str, value: int) -> None:
    (sock,) = parse(row(uid=uid))
    assert sock.uid == value


@pytest.mark.parametrize(
    ("inode", "value"),
    [("-1", (1 << 64) - 1), ("18446744073709551616", (1 << 64) - 1), ("0x10", 0), ("1_0", 1)],
)
def test_inode_is_a_c_unsigned_long(inode: str, value: int) -> None:
    (sock,) = parse(row(inode=inode))
    assert sock.inode == value


@pytest.mark.parametrize(("port", "value"), [("00FFFFFF", 0xFFFF), ("12abc", 0x2ABC), ("0x", 0)])
def test_ports_wrap_to_16_bits(port: str, value: int) -> None:
    (sock,) = parse(row(local="0100007F:" + port))
    assert sock.local_port == value


# --------------------------------------------------------------------------- bogus and carried
@pytest.mark.parametrize(
    "odd",
    [
        row(queues="1_0:1"),  # '_' ends the number: the ':' does not match
        row(state="\u0661"),  # Arabic-Indic one: not a C digit
        row(sep="\xa0"),  # NBSP is no blank for C
        row(remote="\x1c00000000:0000"),
        row(local="G0100007F:0016"),
        " 0 : 0100007F:0016",
    ],
)
def test_rows_netstat_calls_bogus(odd: str) -> None:
    errors: list[object] = []
    assert list(parse_inet_lines([HEADER, odd], Protocol.RAW, Family.INET, "", errors.append)) == []
    assert len(errors) == 1


@pytest.mark.parametrize("before_inode", ["\xa0", "\u2028", "\x1f", "G"])
def test_a_failed_late_column_keeps_the_previous_rows_value(before_inode: str) -> None:
    first = row(inode="16539307")
    second = row(local="0100007F:0017", inode=before_inode + "5")
    assert [s.inode for s in parse(first, second)] == [16539307, 16539307]
    # The first row of a file starts from zeros.
    assert [s.inode for s in parse(second)] == [0]


def test_tcp_needs_the_retransmit_column_udp_and_raw_do_not() -> None:
    short = "0: 0100007F:0016 00000000:0000 07 00000000:00000000 00:00000000\n"
    assert parse(short, protocol=Protocol.TCP) == []
    assert len(parse(short, protocol=Protocol.UDP)) == len(parse(short)) == 1


# --------------------------------------------------------------------------- addresses
def test_the_local_address_decides_both_families_and_ipv6_words_are_shared() -> None:
    rows = parse(
        row(local="FFFFFFFFFFFFFFFF:0016", remote="00000000:0000"),
        row(local="0100007F:0016", remote="0100007F" + "0" * 24 + ":0001"),
        row(local="0100007F:0017", remote="FF:0001"),
        row(local="1111111122222222:0018", remote="33333333:0001"),
    )
    assert rows[0].local_address == IPv6Address("ffff:ffff:ffff:ffff::")
    # The remote's words past its 8 digits are the local's: one buffer for both.
    assert rows[0].remote_address == IPv6Address("0:0:ffff:ffff::")
    assert rows[1].remote_address == IPv4Address("255.255.255.255")  # saturated %X
    assert rows[2].remote_address == IPv4Address("255.0.0.0")
    assert rows[3].local_address == IPv6Address("1111:1111:2222:2222::")
    assert rows[3].remote_address == IPv6Address("3333:3333:2222:2222::")


def test_the_ipv6_buffer_lives_across_rows_of_a_file() -> None:
    full = row(
        local="AAAAAAAABBBBBBBBCCCCCCCCDDDDDDDD:0016", remote="EEEEEEEEFFFFFFFF1234567876543210:0"
    )
    short = row(local="1111111122222222:0017", remote="33333333:0001")
    rows = parse(full, row(local="0100007F:0018"), short)
    assert rows[2].local_address == IPv6Address("1111:1111:2222:2222:7856:3412:1032:5476")
    assert rows[2].remote_address == IPv6Address("3333:3333:2222:2222:7856:3412:1032:5476")


# --------------------------------------------------------------------------- long lines
@pytest.mark.parametrize("blanks", [8000, 8200, 17000])
def test_long_lines_come_in_fgets_pieces(blanks: int) -> None:
    line = row(inode=" " * blanks + "99")
    errors: list[object] = []
    rows = list(parse_inet_lines([HEADER, line], Protocol.RAW, Family.INET, "", errors.append))
    pieces = -(-len(line) // (LINE_BUFFER - 1))
    assert len(rows) == 1
    # The first piece is the row (the inode it lacks stays 0 when the line is cut before it);
    # every other piece is a line of its own, too short to be a row.
    assert rows[0].inode == (99 if pieces == 1 else 0)
    assert len(errors) == pieces - 1


# --------------------------------------------------------------------------- rendering
def test_netstat_prints_queues_raw_state_and_uid_as_signed_c_values() -> None:
    (sock,) = parse(row(state="FFFFFFFF", queues="FFFFFFFFFFFFFFFF:00000001", uid="-1"))
    options = Options(all=True, numeric_hosts=True, numeric_ports=True, numeric_users=True,
                      extend=1)  # fmt: skip
    (line,) = render_inet_rows([sock], options, None)
    assert line.split()[:3] == ["raw", "1", "-1"]
    assert line.split()[5:7] == ["-1", "-1"]


def test_the_timer_cell_prints_the_timer_as_a_c_int_and_retransmits_as_a_c_long() -> None:
    line = row().replace("00:00000000 00000000", "FFFFFFFF:00000010 FFFFFFFFFFFFFFFF")
    (sock,) = parse(line, protocol=Protocol.TCP)
    assert format_timer(sock) == "unkn--1 (0.16/-1/0)"


# --------------------------------------------------------------------------- generated
def _kernel_row(rng: random.Random, family: Family) -> str:
    """A row as Linux prints one, with random values in every column."""
    width = 8 if family is Family.INET else 32

    def hexa(digits: int) -> str:
        return "%0*X" % (digits, rng.getrandbits(4 * digits))

    when = hexa(8) if rng.random() < 0.8 else hexa(16)
    return (
        f"{rng.randrange(10**6):4d}: {hexa(width)}:{hexa(4)} {hexa(width)}:{hexa(4)} {hexa(2)} "
        f"{hexa(8)}:{hexa(8)} {hexa(2)}:{when} {hexa(8)} {rng.randrange(10**9):5d} "
        f"{rng.randrange(-(10**8), 10**9):8d} {rng.randrange(10**19)} 1 000000001ae52a49 100 0\n"
    )


@settings(max_examples=300, deadline=None)
@given(st.randoms(use_true_random=False), st.sampled_from([Family.INET, Family.INET6]))
def test_the_fast_path_reads_kernel_rows_as_the_careful_one(
    rng: random.Random, family: Family
) -> None:
    line = _kernel_row(rng, family)
    (fast,) = parse_inet_lines([HEADER, line], Protocol.TCP, family)
    careful = scan_inet_row(line, Protocol.TCP, family, None, bytearray(16))
    assert careful is not None
    assert fast[:16] == careful[:16]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789abcdefxX+-_ \t\xa0\u0661:", max_size=12))
def test_scanf_numbers_follow_strtoul(text: str) -> None:
    found = scanf_number(text, 0, 16)
    stripped = text.lstrip(" \t")
    digits = stripped[1:] if stripped[:1] in ("+", "-") else stripped
    if found is None:
        # No number: nothing that begins with a hex digit (after one sign).
        assert not digits[:1] or digits[0] not in "0123456789abcdef"
        return
    value, end = found
    assert 0 <= value < 1 << 64
    assert end > len(text) - len(stripped)
