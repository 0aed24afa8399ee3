"""The counter-file parsers read each file the way netstat 2.10 does.

Every expectation here was checked against the real binary with hand-written files (the same
cases are recorded as goldens in tests/fixtures/proc/stats-quirks and replayed by
tests/test_golden.py); these tests pin them at the parser, without a sandbox.
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pnetstat.errors import ParseError, ProcReadError
from pnetstat.sources.cscan import fgets_lines
from pnetstat.sources.procfs import ProcFS
from pnetstat.sources.snmp import (
    parse_key_value_lines,
    parse_paired_lines,
    parse_sctp_lines,
    parse_stat_lines,
    read_stat_file,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "proc"


def _paired(*lines: str) -> tuple[list[tuple[str, tuple[tuple[str, int], ...]]], list[ParseError]]:
    errors: list[ParseError] = []
    sections = parse_paired_lines([line + "\n" for line in lines], "net/snmp", errors.append)
    return [(s.name, s.counters) for s in sections], errors


def test_paired_values_read_like_strtoull() -> None:
    """Signs and big numbers are kept as written; a non-number reads 0 and so does every value
    after it (strtoull leaves the position where it was); a missing value reads 0."""
    sections, errors = _paired("Ip: a b c d e f", "Ip: -1 +7 99999999999999999999 12abc 5")
    assert sections == [
        ("Ip", (("a", -1), ("b", 7), ("c", 99999999999999999999), ("d", 12), ("e", 0), ("f", 0)))
    ]
    assert errors == []


def test_paired_title_comes_from_the_first_line_and_keys_split_on_three_characters() -> None:
    sections, _ = _paired("Udp:\tIn\tNo\rPorts", "Udp 4: 1 \v2", "Ip Ext: a\vb", "Ip Ext: 3:4")
    assert sections == [("Udp", (("In", 1), ("No\rPorts", 2))), ("Ip Ext", (("a\vb", 3),))]


def test_paired_blank_line_is_skipped_only_where_a_pair_starts() -> None:
    sections, errors = _paired("", "Udp: a", "Udp: 1")
    assert (sections, errors) == ([("Udp", (("a", 1),))], [])
    sections, errors = _paired("Udp: a", "", "Udp: 1", "Tcp: b", "Tcp: 2")
    assert sections == [] and [e.lineno for e in errors] == [2]


def test_paired_line_without_colon_ends_the_file_with_one_error() -> None:
    sections, errors = _paired("Udp: a", "Udp: 1", "   ", "Tcp: b", "Tcp: 2", "junk")
    assert sections == [("Udp", (("a", 1),))]
    assert [(e.path, e.lineno, e.line) for e in errors] == [("net/snmp", 3, "   ")]


def test_paired_unpaired_last_line_is_dropped_silently() -> None:
    assert _paired("Udp: a", "Udp: 1", "Tcp: b") == ([("Udp", (("a", 1),))], [])


def test_snmp6_lines_keep_what_a_line_does_not_give() -> None:
    """sscanf("%s %llu") leaves its targets alone when it cannot fill them."""
    lines = ["Ip6InReceives\t4\n", "Ip6InHdrErrors\n", "Ip6OutRequests abc\n", "  \n",
             "Icmp6OutMsgs -1\n", "FooBar 5\n", "Tcp 7\n", "Udp6NoPorts 3\r\n"]  # fmt: skip
    sections = parse_key_value_lines(lines, "net/snmp6")
    assert [(s.name, s.counters) for s in sections] == [
        ("Ip6", (("Ip6InReceives", 4), ("Ip6InHdrErrors", 4), ("Ip6OutRequests", 4),
                 ("Ip6OutRequests", 4))),
        ("Icmp6", (("Icmp6OutMsgs", -1),)),
        ("FooBar", (("FooBar", 5),)),
        ("Tcp", (("Tcp", 7),)),
        ("Udp6", (("Udp6NoPorts", 3),)),
    ]  # fmt: skip


def test_snmp6_section_continues_while_keys_contain_its_name() -> None:
    sections = parse_key_value_lines(["Ip6A 1", "XIp6B 2", "Icmp6C 3"], "net/snmp6")
    assert [(s.name, len(s.counters)) for s in sections] == [("Ip6", 2), ("Icmp6", 1)]


def test_snmp6_starts_from_an_empty_key_and_zero() -> None:
    """Before any word netstat's key is empty and its number 0: a blank first line is a
    counter ``""`` of a section ``""``, and every key contains ``""`` (one section for all)."""
    sections = parse_key_value_lines(["\n", "lonely\n", "Ip6A 1\n"], "x")
    assert [(s.name, s.counters) for s in sections] == [("", (("", 0), ("lonely", 0), ("Ip6A", 1)))]
    sections = parse_key_value_lines(["   33\n", "Ip6A 1\n"], "x")
    assert [(s.name, s.counters) for s in sections] == [
        ("33", (("33", 0),)),
        ("Ip6", (("Ip6A", 1),)),
    ]


def test_snmp6_long_line_is_read_in_1023_byte_pieces() -> None:
    """fgets with a 1024-byte buffer: the blank middle of a long line repeats the counter, and
    a number past the cut becomes a key of its own (a new section) keeping the old number."""
    for blanks, expected in [
        (1017, [("Ip6", (("Ip6A", 7), ("Ip6B", 9)))]),
        (1018, [("Ip6", (("Ip6A", 7), ("Ip6B", 9), ("Ip6B", 9)))]),
        (1019, [("Ip6", (("Ip6A", 7), ("Ip6B", 7))), ("9", (("9", 7),))]),
        (3000, [("Ip6", (("Ip6A", 7),) + (("Ip6B", 7),) * 2), ("9", (("9", 7),))]),
    ]:
        lines = ["Ip6A 7\n", "Ip6B" + " " * blanks + "9\n"]
        sections = parse_key_value_lines(lines, "x")
        assert [(s.name, s.counters) for s in sections] == expected, blanks


def test_sctp_lines_as_netstat_reads_them() -> None:
    lines = ["SctpCurrEstab          \t3\n", "  5\n", "SctpAborteds\n", "SctpActiveEstabs\tabc\n",
             "SctpShutdowns -1\n", "FooBar 7 8\n", "\n", "SctpReasmUsrMsgs\t\t 2"]  # fmt: skip
    section = parse_sctp_lines(lines, "net/sctp/snmp")
    assert (section.source, section.name) == ("net/sctp/snmp", "Sctp")
    assert section.counters == (
        ("SctpCurrEstab", 3), ("", 5), ("SctpActiveEstabs", 0), ("SctpShutdowns", -1),
        ("FooBar", 7), ("SctpReasmUsrMsgs", 2),
    )  # fmt: skip


def test_empty_sctp_file_is_still_a_section() -> None:
    assert parse_stat_lines([], "net/sctp/snmp")[0].counters == ()


def test_read_stat_file_picks_the_parser_by_file() -> None:
    root = ProcFS(FIXTURES / "stats-quirks")
    names = {rel: [s.name for s in read_stat_file(root, rel)]
             for rel in ("net/snmp", "net/netstat", "net/snmp6", "net/sctp/snmp")}  # fmt: skip
    assert names["net/snmp"] == ["Ip", "Icmp", "IcmpMsg", "Tcp", "Udp", "Ip Ext", "Sctp", "Ip6",
                                 "", "TcpZ"]  # fmt: skip
    assert names["net/netstat"] == ["TcpExt", "IpExt"]
    assert names["net/snmp6"] == ["Ip6", "Icmp6", "UdpLite6", "FooBar", "Tcp6", "Tcp", "Udp6"]
    assert names["net/sctp/snmp"] == ["Sctp"]


def test_read_stat_file_errors_are_typed(tmp_path: Path) -> None:
    (tmp_path / "net" / "snmp").mkdir(parents=True)
    with pytest.raises(ProcReadError) as caught:
        read_stat_file(ProcFS(tmp_path), "net/snmp")
    assert caught.value.errno == errno.EISDIR
    with pytest.raises(ProcReadError) as missing:
        read_stat_file(ProcFS(tmp_path), "net/snmp6")
    assert missing.value.errno == errno.ENOENT


_SNMP6_TEXT = st.lists(
    st.sampled_from(["Ip6", "Icmp6", "In", "x", "6", "7", "-", " ", "\t", "\v", "\xa0", "\x1c"]),
    max_size=8,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_SNMP6_TEXT, st.integers(0, 1100).map(" ".__mul__)), max_size=12))
def test_snmp6_every_piece_is_one_counter_and_sections_follow_the_keys(lines: list[str]) -> None:
    """netstat makes one counter of every fgets piece, whatever it holds, and a section lasts
    while the keys contain its name (a key without ``6`` names its section whole)."""
    lines = [line + "\n" for line in lines]
    sections = parse_key_value_lines(lines, "net/snmp6")
    assert sum(len(s.counters) for s in sections) == len(list(fgets_lines(lines, 1024)))
    previous = None
    for section in sections:
        first = section.counters[0][0]
        assert section.name == first[: first.find("6") + 1 or len(first)]
        assert all(section.name in key for key, _ in section.counters)
        assert previous is None or previous not in first
        previous = section.name


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 3000), st.integers(0, 3000), st.integers(0, 2**64 + 5))
def test_snmp6_long_line_reads_as_its_pieces(before: int, after: int, number: int) -> None:
    """A line past 1023 bytes reads exactly as its 1023-byte pieces would as lines."""
    line = " " * before + "Ip6Key" + " " * after + f"{number}\n"
    data = line.encode()
    pieces = [data[i : i + 1023].decode() for i in range(0, len(data), 1023)]
    head = ["Ip6InReceives 5\n"]
    assert parse_key_value_lines([*head, line], "x") == parse_key_value_lines(head + pieces, "x")


def test_a_nul_ends_the_line_as_in_a_c_string() -> None:
    """netstat sees a line only up to a NUL: a key is cut there, a value line stops there, a
    title line starting with one has no colon (the file ends with an error), and an snmp6 line
    starting with one gives no word (the previous counter repeats)."""
    sections, errors = _paired("Udp: In\0Datagrams NoPorts", "Udp: 3 4")
    assert (sections, errors) == ([("Udp", (("In", 3),))], [])
    sections, errors = _paired("Udp: a b", "Udp: 3\0 4", "\0Tcp: c", "Tcp: 5")
    assert sections == [("Udp", (("a", 3), ("b", 0)))] and [e.lineno for e in errors] == [3]
    lines = ["Ip6A 1\n", "\0Ip6B 4\n", "Ip6C\0 5\n", "Ip6D 6\0 7\n"]
    assert parse_key_value_lines(lines, "x")[0].counters == (
        ("Ip6A", 1), ("Ip6A", 1), ("Ip6C", 1), ("Ip6D", 6),
    )  # fmt: skip
