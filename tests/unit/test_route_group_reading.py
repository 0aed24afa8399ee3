"""The -r and -g files read as netstat 2.10 reads them (issue 18; the rules were found by
running netstat on fake /proc trees: tests/test_malformed_proc.py checks them end to end)."""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv6Address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pnetstat.errors import ForeignFormat, MissingColumn, ParseError
from pnetstat.sources.igmp import parse_igmp6_lines, parse_igmp_lines
from pnetstat.sources.routing import _ipv4, parse_ipv6_route_lines, parse_route_lines

COLUMNS = ["Iface", "Destination", "Gateway", "Flags", "RefCnt", "Use", "Metric", "Mask",
           "MTU", "Window", "IRTT"]  # fmt: skip
ROW = {"Iface": "eth0", "Destination": "0002000A", "Gateway": "010200C0", "Flags": "0003",
       "RefCnt": "1", "Use": "2", "Metric": "3", "Mask": "00FFFFFF", "MTU": "4", "Window": "5",
       "IRTT": "6"}  # fmt: skip
HEADER = "\t".join(COLUMNS) + "\n"


def route_file(*rows: dict[str, str], order: list[str] = COLUMNS) -> list[str]:
    return ["\t".join(order) + "\n"] + ["\t".join(row[c] for c in order) + "\n" for row in rows]


@settings(max_examples=60, deadline=None)
@given(st.permutations(COLUMNS), st.lists(st.sampled_from(["Foo", "Bar", "Metric"]), max_size=3))
def test_route_columns_are_found_by_header_words(order: list[str], extra: list[str]) -> None:
    # Any order of the columns reads the same row; a word netstat does not need (or a column
    # named again) skips one field.
    rng = random.Random(len(order))
    words = list(order)
    for word in extra:
        words.insert(rng.randrange(len(words) + 1), word)
    row = {**ROW, "Foo": "x", "Bar": "y"}
    lines = ["  ".join(words) + "\n", " ".join(row.get(w, "99") for w in words) + "\n"]
    assert list(parse_route_lines(lines)) == list(parse_route_lines(route_file(ROW)))


@settings(max_examples=60, deadline=None)
@given(st.sets(st.sampled_from(COLUMNS), min_size=1))
def test_missing_route_column_named_in_netstat_order(missing: set[str]) -> None:
    kept = [c for c in COLUMNS if c not in missing]
    with pytest.raises(MissingColumn) as raised:
        list(parse_route_lines(["\t".join(kept) + "\n"]))
    assert raised.value.column == next(c for c in COLUMNS if c in missing)


def test_route_file_without_header_fails_without_a_word() -> None:
    with pytest.raises(MissingColumn) as raised:
        list(parse_route_lines([]))
    assert raised.value.column == ""
    with pytest.raises(MissingColumn) as raised:  # a blank header line names Iface
        list(parse_route_lines(["\n"]))
    assert raised.value.column == "Iface"


@given(st.text(alphabet="0123456789abcdefABCDEFxX-+ Z_", max_size=12))
def test_route_address_is_its_first_eight_hex_digits(text: str) -> None:
    head = text[:8]
    if len(head) == 8 and all(c in "0123456789abcdefABCDEF" for c in head):
        assert _ipv4(text) == IPv4Address(int(head, 16).to_bytes(4, "little"))
    else:
        assert _ipv4(text) is None


def test_route_rows_carry_values_as_netstat_does() -> None:
    down = {**ROW, "Flags": "0002", "Gateway": "09090909"}
    bad_gateway = {**ROW, "Gateway": "0x1F", "Metric": "99999999999999999999"}
    short = {**ROW, "IRTT": ""}
    too_short = {**ROW, "Window": "", "IRTT": ""}
    lines = route_file(ROW, down, bad_gateway, short, too_short)
    rows = list(parse_route_lines(lines))
    assert len(rows) == 4  # 9 values: skipped
    # The gateway that does not convert is the last UP row's (not the down row's).
    assert rows[2].gateway == rows[0].gateway == IPv4Address("192.0.2.1")
    assert rows[2].metric == -1  # a C int: LONG_MAX cut to 32 bits
    assert rows[3].irtt == 6  # 10 values: the IRTT of the row before


def test_route_lines_come_in_1022_byte_pieces() -> None:
    row = "\t".join(ROW[c] for c in COLUMNS)
    padded = row.replace("\t3\t", "\t" + " " * (1022 - len(row)) + "3\t")
    assert len(padded) == 1022 and len(list(parse_route_lines([HEADER, padded + "\n"]))) == 1
    longer = padded.replace(" ", "  ", 1)[:-1] + "7"  # its IRTT goes to a piece of its own
    rows = list(parse_route_lines([HEADER, row + "\n", longer + "\n"]))
    assert len(rows) == 2 and rows[1].irtt == 6  # the row before's


V6 = "fd000032000000000000000000000001 40 " + "0" * 32 + " 00 " + "0" * 32


def test_ipv6_route_rows_are_never_rejected() -> None:
    lines = [
        V6 + " 00000100 00000002 00000000 00000001 eth0\n",
        "\n",  # the same row again
        V6.replace(" 40 ", " 400 ") + " 00000100 00000002 00000000 00000001 eth0\n",
        "fd00003200000000000000000000000Z 80\n",  # the address of the row before
    ]
    rows = list(parse_ipv6_route_lines(lines))
    assert rows[0] == rows[1]
    # Two hex digits of prefix length: the third starts the source address and all shifts.
    assert rows[2].prefix_len == 0x40 and rows[2].iface == "00000001"
    assert rows[3].destination == rows[2].destination and rows[3].prefix_len == 0x80


def test_ipv6_route_cache_rows_do_not_become_the_last_address() -> None:
    cache = V6.replace("0001 40", "0009 40") + " 00000100 00000002 00000000 01000001 eth0\n"
    bad = V6.replace("0001 40", "000Z 40") + " 00000100 00000002 00000000 00000001 eth0\n"
    full = V6 + " 00000100 00000002 00000000 00000001 eth0\n"
    rows = list(parse_ipv6_route_lines([full, cache, bad]))
    assert rows[2].destination == IPv6Address("fd00:32::1")
    rows = list(parse_ipv6_route_lines([full, cache, bad], cache=True))
    assert rows[2].destination == IPv6Address("fd00:32::9")


IGMP_HEADER = "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n"


def groups(lines: list[str]) -> tuple[list[tuple[str, str, int]], list[ParseError]]:
    errors: list[ParseError] = []
    rows = [(r.device, str(r.group), r.users) for r in parse_igmp_lines(lines, "", errors.append)]
    return rows, errors


def test_igmp_device_and_group_lines() -> None:
    rows, errors = groups([
        IGMP_HEADER,
        "2\tpnt-dummy0:     2      V3\n",
        "\t\t\t\t040000E0     4294967295 0:00000000\t\t0\n",  # users: a C int
        "\t\t\t\t0x1F     1\n",  # bogus: hex digits only
        "3\t\tname\n",  # 15 characters or fewer, over what the last device line left
        "\t\t\t\t0A0000E01     10\n",  # 8 digits at most: users 1
        " \t\t\t020000E0     2\n",  # not a TAB first: a device line
        "\t\t\t\tB0E0 11\n",
    ])  # fmt: skip
    assert rows == [("pnt-dummy0", "224.0.0.4", -1), ("name\nummy0", "224.0.0.10", 1),
                    ("E0     2\n0", "224.176.0.0", 11)]  # fmt: skip
    assert [e.lineno - 1 for e in errors] == [3]


def test_igmp_header_decides_the_layout() -> None:
    lines = ["1\tlo        :     1      V3\n", "\t\t\t\t010000E0     1 0:00000000\t\t0\n"]
    rows, _ = groups(["Device\n", *lines])  # no "Idx": device lines carry no index
    assert rows == [("1\tlo        ", "224.0.0.1", 1)]
    rows, errors = groups(["Devices are here\n".lower(), *lines])  # no "Device": igmp6 format
    assert rows == [("E0", "0:1::", 0)]
    assert all(isinstance(e, ForeignFormat) for e in errors) and len(errors) == 2


def test_igmp6_groups_as_four_words() -> None:
    errors: list[ParseError] = []
    lines = [
        "1 lo 12345678123456781234567812345678 1\n",
        "1 lo 12 2\n",  # words it lacks: the previous ones, byte-swapped
        "1 lo ff02000000000000000000000000001 3\n",  # 31 digits: still an address
        "1 lo ff02000000000000000000000000000Z 4\n",  # bogus
        "1 lo ff020000000000000000000000000001\n",  # bogus: no users
    ]
    rows = [(str(r.group), r.users) for r in parse_igmp6_lines(lines, "", errors.append)]
    assert rows == [("1234:5678:1234:5678:1234:5678:1234:5678", 1),
                    ("0:12:7856:3412:7856:3412:7856:3412", 2), ("ff02::1", 3)]  # fmt: skip
    assert [e.lineno - 1 for e in errors] == [3, 4]


def test_deliberate_zeros_where_netstat_shows_uninitialised_memory() -> None:
    # README, deliberate differences: a first UP row whose mask does not convert, and the
    # fields a first short ipv6_route line does not set.
    (row,) = parse_route_lines(route_file({**ROW, "Mask": "0"}))
    assert row.mask == IPv4Address(0)
    (row6,) = parse_ipv6_route_lines(["fd000032000000000000000000000001 40\n"])
    assert (row6.flags, row6.refcnt, row6.iface, row6.next_hop) == (0, 0, "", IPv6Address(0))


def test_interface_names_are_escaped_in_route_and_group_rows() -> None:
    from pnetstat.options import Options
    from pnetstat.views.groups import render_group_rows
    from pnetstat.views.routes import render_route4

    options = Options(numeric_hosts=True, extend=2)
    (_, _, line) = render_route4(parse_route_lines(route_file({**ROW, "Iface": "a\x1bb"})),
                                 options, None)  # fmt: skip
    assert "a\\x1bb" in line and "\x1b" not in line
    (group,) = parse_igmp6_lines(["1 x\x1by ff020000000000000000000000000001 1\n"])
    assert next(render_group_rows([group], options, None)).startswith("x\\x1by        ")
