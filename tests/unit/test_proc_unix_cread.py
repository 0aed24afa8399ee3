"""/proc/net/unix read the way netstat 2.10 reads it (issue 18).

Each expectation below was found by running netstat on a fake /proc tree (the generated
differential test, tests/test_malformed_proc.py, checks them against netstat itself); the
generated tests check that the fast path for kernel-layout rows and netstat's scan agree.
"""

from __future__ import annotations

import io
import random
import re

import pytest

from pnetstat.errors import ParseError
from pnetstat.model import UnixSocket
from pnetstat.options import Options
from pnetstat.sources.cscan import fields, scanf_number, strtoul
from pnetstat.sources.proc_unix import _scan_row, parse_unix_lines
from pnetstat.views.names import escape
from pnetstat.views.sockets import _unix_path, render_unix_rows

HEADER = "Num       RefCount Protocol Flags    Type St Inode Path\n"
PREVIOUS = "0000000000000000: 00000003 00000000 00000000 0002 03 55 /prev\n"


def row(
    num: str = "0000000000000000:",
    ref: str = "00000002",
    proto: str = "00000000",
    flags: str = "00010000",
    type_: str = "0001",
    st: str = "01",
    inode: str | None = "100",
    path: str | None = "/p",
) -> str:
    parts = [num, ref, proto, flags, type_, st, inode, path]
    return " ".join(p for p in parts if p is not None) + "\n"


def parse(*lines: str, header: str = HEADER) -> tuple[list[UnixSocket], list[ParseError]]:
    errors: list[ParseError] = []
    rows = list(parse_unix_lines([header, *lines], "unix", errors.append))
    return rows, errors


def shown(*lines: str, header: str = HEADER) -> tuple[list[str], int]:
    """The rows as `netstat -xan` prints them (without the header) and the warnings."""
    rows, errors = parse(*lines, header=header)
    return list(render_unix_rows(rows, Options(all=True))), len(errors)


# ------------------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    ("ref", "cell"),
    [
        ("-1", "-1"),  # RefCount is printed as a signed long
        ("FFFFFFFF", "4294967295"),
        ("FFFFFFFFFFFFFFFF", "-1"),
        ("1FFFFFFFFFFFFFFFF", "-1"),  # saturates at ULONG_MAX
        ("100000000", "4294967296"),
        ("0x1F", "31"),
        ("0x", "0"),  # glibc's scanf reads "0x" alone as 0
        ("12abc", "76476"),
        ("+7", "7"),
    ],
)
def test_ref_count(ref: str, cell: str) -> None:
    lines, warnings = shown(row(ref=ref))
    assert lines[0].startswith("unix  %-6s [ ACC ]" % cell) and warnings == 0


@pytest.mark.parametrize(
    ("column", "value", "text"),
    [
        ("proto", "100000000", "??    2      [ ACC ]     STREAM     LISTENING"),  # unsigned long
        ("proto", "-0", "unix  2      [ ACC ]     STREAM     LISTENING"),
        ("type_", "100000001", "unix  2      [ ACC ]     STREAM     LISTENING"),  # 32 bits
        ("st", "100000000", "unix  2      [ ACC ]     STREAM     FREE      "),  # 32 bits
        ("st", "1FFFFFFFFFFFFFFFF", "unix  2      [ ACC ]     STREAM     UNKNOWN   "),
        ("flags", "-1", "unix  2      [ ACC W N ] STREAM     LISTENING"),
    ],
)
def test_columns_have_c_types(column: str, value: str, text: str) -> None:
    lines, _ = shown(row(**{column: value}))
    assert lines[0].startswith(text)


@pytest.mark.parametrize(
    ("inode", "cell"),
    [
        ("-1", "18446744073709551615 /p"),  # unsigned long
        ("18446744073709551616", "18446744073709551615 /p"),  # saturates
        ("0x10", "0        x10"),  # decimal: the "0" is the inode, the rest the path
        ("12abc", "12       abc"),
        ("+7", "7        /p"),
        ("1_0", "1        _0"),
        ("\u0661\u0662", "55       "),  # no ASCII digit: the previous row's inode, no path
        ("zz", "55       "),
    ],
)
def test_inode(inode: str, cell: str) -> None:
    lines, warnings = shown(PREVIOUS, row(inode=inode))
    assert lines[1] == "unix  2      [ ACC ]     STREAM     LISTENING     " + cell + "\n"
    assert warnings == 0


def test_a_missing_inode_is_the_previous_rows_and_the_first_one_zero() -> None:
    lines, _ = shown(row(inode="zz"), PREVIOUS, row(inode=None, path=None))
    assert [line[50:59] for line in lines] == ["0        ", "55       ", "55       "]


# ------------------------------------------------------------------------------ bogus lines


@pytest.mark.parametrize(
    "line",
    [
        row(num="ZZ:"),
        row(num="0000"),  # no colon
        row(num="0000 :"),  # a blank before the colon
        row(num=":"),
        row(num="0000:x"),
        row(ref="ZZ"),
        row(type_="ZZ"),
        row(st=None, inode=None, path=None),  # five columns
        "\n",
        "   \n",
    ],
)
def test_bogus_lines_are_warned_about(line: str) -> None:
    lines, warnings = shown(line)
    assert lines == [] and warnings == 1


@pytest.mark.parametrize("num", ["-1:", "1FFFFFFFFFFFFFFFF:", "0x:", "0x1f:", "12abc:"])
def test_odd_addresses_still_make_a_row(num: str) -> None:
    lines, warnings = shown(row(num=num))
    assert len(lines) == 1 and warnings == 0


def test_six_columns_make_a_row_without_a_path() -> None:
    lines, _ = shown(PREVIOUS, row(inode=None, path=None))
    assert lines[1] == "unix  2      [ ACC ]     STREAM     LISTENING     55       \n"


# ------------------------------------------------------------------------------ the path


@pytest.mark.parametrize(
    ("path", "cell"),
    [
        ("/a\u00a0b", "/a\u00a0b"),  # NBSP: no C blank, printed as is
        ("/a\u2028b", "/a\u2028b"),
        ("/a\x1cb", "/a\\x1cb"),  # 0x1c-0x1f: no C blank, escaped (README)
        ("/a\x1fb", "/a\\x1fb"),
        ("/a\x0cb", "/a"),  # form feed, vertical tab, carriage return, tab: C blanks
        ("/a\x0bb", "/a"),
        ("/a\rb", "/a"),
        ("/a\tb", "/a"),
        ("/a b", "/a"),
        ("/p\x00zz", "/p"),  # a NUL ends the line for netstat (a C string)
    ],
)
def test_the_path_is_the_first_c_word(path: str, cell: str) -> None:
    lines, warnings = shown(row(path=path))
    assert lines[0] == "unix  2      [ ACC ]     STREAM     LISTENING     100      " + cell + "\n"
    assert warnings == 0


def test_the_model_keeps_the_kernels_path() -> None:
    rows, _ = parse(row(path="/with space/and\u00a0nbsp "))
    assert rows[0].path == "/with space/and\u00a0nbsp "


def test_without_an_inode_column_the_path_cell_shows_the_inode() -> None:
    header = "Num       RefCount Protocol Flags    Type St inodex Path\n"
    lines, _ = shown(row(), row(inode="zz"), row(inode="0x12"), header=header)
    assert [line[50:] for line in lines] == ["-        100\n", "-        100\n", "-        0\n"]


# ------------------------------------------------------------------------------ line pieces


def test_a_long_line_is_read_in_8191_byte_pieces() -> None:
    long_path = "/" + "x" * 8200
    lines, warnings = shown(PREVIOUS, row(path=long_path))
    cut = 8191 - len(row(path=""))
    assert lines[1].endswith(" " + long_path[: cut + 1] + "\n")
    assert warnings == 1  # the rest of the line, read as a line of its own


def test_a_piece_may_be_a_row_of_its_own() -> None:
    padded = " " * 8200 + row()
    lines, warnings = shown(PREVIOUS, padded)
    assert len(lines) == 2 and warnings == 1  # the blank first piece, then the row


# ------------------------------------------------------------------------------ newlines


def test_a_path_with_a_newline_is_joined() -> None:
    lines, warnings = shown(row(path="/a"), "b\n", "c d\n")
    assert lines == ["unix  2      [ ACC ]     STREAM     LISTENING     100      /a\\x0ab\\x0ac\n"]
    assert warnings == 0


@pytest.mark.parametrize("line", ["\n", "  \n", row(ref="ZZ"), "0000:\n", "-1: x\n"])
def test_blank_lines_and_broken_rows_are_no_path(line: str) -> None:
    """A line that is blank or starts as a row does (a hex number and a colon) is warned
    about, as netstat does, even after a row with a path."""
    lines, warnings = shown(row(), line)
    assert lines[0].endswith(" /p\n") and warnings == 1


def test_no_join_after_a_row_without_a_path() -> None:
    lines, warnings = shown(row(path=None), "b\n")
    assert len(lines) == 1 and warnings == 1


# ------------------------------------------------------------------------------ generated

_ALPHABET = "ab/. \t\x0b\x0c\r\x1c\x1d\x1e\x1f\x1b\x7f\u00a0\u2028\u2003\x85\\\udcff@0:"


def _random_path(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 12)))


def test_fast_path_and_netstats_scan_agree() -> None:
    """Rows in the kernel's layout (the fast path) parse as netstat's scan reads them."""
    rng = random.Random(18)
    for _ in range(3000):
        columns = (
            f"{rng.getrandbits(64):016x}: {rng.getrandbits(32):08X} {rng.getrandbits(32):08X} "
            f"{rng.getrandbits(32):08X} {rng.getrandbits(16):04X} {rng.getrandbits(8):02X}"
        )
        inode = str(rng.choice((0, 1, 99999, rng.getrandbits(64))))
        line = f"{columns} {inode:>5}" + (" " + _random_path(rng) if rng.random() < 0.8 else "")
        (fast,), errors = parse(line + "\n")
        scanned = _scan_row(line + "\n")
        assert scanned is not None and not errors
        values, scanned_inode, scanned_path = scanned
        assert (*values, scanned_inode) == fast[:7], line
        assert (scanned_path or None) == (
            fast.path.partition("\x00")[0] or None if fast.path else None
        ), line


def test_the_shown_path_is_the_first_c_field_escaped() -> None:
    rng = random.Random(1818)
    for _ in range(3000):
        path = _random_path(rng)
        words = fields(path)
        assert _unix_path(path) == escape(words[0] if words else ""), repr(path)


def test_scanf_number_is_strtoul_but_for_a_bare_0x() -> None:
    rng = random.Random(181818)
    pieces = ["0", "x", "X", "1", "f", "-", "+", " ", "\t", "g", "\u00a0", "0x", "9" * 21]
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        base = rng.choice((10, 16))
        found = scanf_number(text, 0, base)
        value, end = found if found is not None else (0, 0)
        expected, used = strtoul(text, base)
        bare_0x = re.match(r"[ \t]*[+-]?0[xX](?![0-9a-fA-F])", text) is not None
        if base == 16 and bare_0x:
            assert (value, end) == (0, used + 1), repr(text)
        else:
            assert (value, end) == (expected, used), repr(text)


def test_joined_rows_round_trip_through_text_io() -> None:
    """Lines end at "\\n" only (not at U+2028, 0x1c-0x1e or 0x85, as str.splitlines would)."""
    text = HEADER + row(path="/a\u2028b\x1cc\x1ed\x85e\x0cf")
    rows = list(parse_unix_lines(io.StringIO(text, newline="\n")))
    assert [r.path for r in rows] == ["/a\u2028b\x1cc\x1ed\x85e\x0cf"]
