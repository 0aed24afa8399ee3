"""The /proc socket-table parsers on fixture trees (tests/fixtures/proc) and edge cases."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

import pytest

from pnetstat.errors import ParseError, ProcReadError, Unsupported
from pnetstat.model import Family, Protocol
from pnetstat.sources.proc_inet import parse_inet_lines, read_inet_sockets
from pnetstat.sources.proc_unix import (
    parse_unix_block,
    parse_unix_lines,
    read_unix_blocks,
    read_unix_sockets,
)
from pnetstat.sources.procfs import ProcFS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "proc"
HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"


def test_live_capture_keeps_every_row_in_file_order() -> None:
    proc = ProcFS(FIXTURES / "live-ns")
    text = (FIXTURES / "live-ns" / "net" / "tcp").read_text().splitlines()[1:]
    rows = list(read_inet_sockets(proc, Protocol.TCP, Family.INET))
    assert [r.sl for r in rows] == [int(line.split(":")[0]) for line in text]
    assert all(r.family is Family.INET and r.protocol is Protocol.TCP for r in rows)


def test_ipv4_and_ipv6_addresses_decode_from_host_order() -> None:
    line = (
        "   0: 0100007F:1F90 0200000A:C350 01 00000010:00000020 02:000AB8D4 00000003  1000 "
        "       5 4242 1 0000000000000000 20 4 30 10 -1"
    )
    (row,) = parse_inet_lines([HEADER, line], Protocol.TCP, Family.INET)
    assert row.local_address == IPv4Address("127.0.0.1") and row.local_port == 8080
    assert row.remote_address == IPv4Address("10.0.0.2") and row.remote_port == 50000
    assert (row.state, row.tx_queue, row.rx_queue) == (1, 16, 32)
    assert (row.timer, row.timer_expires, row.retransmits) == (2, 0xAB8D4, 3)
    assert (row.uid, row.timeout, row.inode) == (1000, 5, 4242)
    assert row.tail == ("1", "0000000000000000", "20", "4", "30", "10", "-1")
    v6 = (
        "   0: 00000000000000000000000001000000:0016 0000000000000000FFFF00000100007F:D2F0 01 "
        "00000000:00000000 00:00000000 00000000     0        0 77 1"
    )
    (row6,) = parse_inet_lines([HEADER, v6], Protocol.TCP, Family.INET6)
    assert row6.local_address == IPv6Address("::1")
    assert row6.remote_address == IPv6Address("::ffff:127.0.0.1")


def test_bogus_lines_are_reported_and_skipped() -> None:
    errors: list[ParseError] = []
    lines = [HEADER, "   1: 0100007F:0016", "garbage"]
    assert list(parse_inet_lines(lines, Protocol.TCP, Family.INET, "/x/tcp", errors.append)) == []
    assert [(e.path, e.lineno) for e in errors] == [("/x/tcp", 2), ("/x/tcp", 3)]


def test_short_rows_keep_previous_values_like_netstat() -> None:
    full = (
        "   0: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000 54321 "
        "       0 1019 2 0000000000000000 0"
    )
    short = "   1: 0100007F:0036 00000000:0000 07 00000000:00000000 00:00000000"
    rows = list(parse_inet_lines([HEADER, full, short], Protocol.UDP, Family.INET))
    assert [(r.local_port, r.uid, r.inode) for r in rows] == [(53, 54321, 1019), (54, 54321, 1019)]


def test_unix_rows_paths_and_flags() -> None:
    rows = list(read_unix_sockets(ProcFS(FIXTURES / "odd")))
    by_inode = {r.inode: r for r in rows}
    assert by_inode[2001].listening and by_inode[2001].server
    assert by_inode[2010].path == "/tmp/with space/dgram.sock" or " " in (by_inode[2010].path or "")
    assert by_inode[2003].path is None


UNIX_HEADER = "Num       RefCount Protocol Flags    Type St Inode Path\n"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # The kernel's layout (the fast path): padded inode, path, abstract name, no path.
        (
            "00000000ea871243: 00000003 00000000 00000000 0001 03   123\n",
            (0xEA871243, 3, 0, 0, 1, 3, 123, None),
        ),
        (
            "0000000000000000: 00000002 00000000 00010000 0001 01 71729 /run/a b\n",
            (0, 2, 0, 0x10000, 1, 1, 71729, "/run/a b"),
        ),
        (
            "0000000000000000: 00000002 00000000 00010000 0005 01 71729 @x\n",
            (0, 2, 0, 0x10000, 5, 1, 71729, "@x"),
        ),
        # Other layouts (the general path): a 32-bit address, wider or odd columns.
        (
            "c1a2b3c4: 00000002 00000000 00010000 0001 01 17 /p\n",
            (0xC1A2B3C4, 2, 0, 0x10000, 1, 1, 17, "/p"),
        ),
        ("0000000000000000: 0000000002 00000000 00000000 0002 01 9\n", (0, 2, 0, 0, 2, 1, 9, None)),
        ("000000000000zz00: 00000002 00000000 00000000 0001 01 9\n", None),  # bogus
    ],
)
def test_unix_rows_in_every_layout(
    line: str, expected: tuple[int, int, int, int, int, int, int, str | None] | None
) -> None:
    errors: list[ParseError] = []
    rows = list(parse_unix_lines([UNIX_HEADER, line], "unix", errors.append))
    # No queue lengths: /proc/net/unix has none (sock_diag's rows have them).
    assert [tuple(r) for r in rows] == ([(*expected, None, None)] if expected else [])
    assert len(errors) == (0 if expected else 1)


def test_unix_header_without_inode_column() -> None:
    rows = list(
        parse_unix_lines(
            [
                "Num       RefCount Protocol Flags    Type St Path",
                "0000000000000000: 00000002 00000000 00010000 0001 01 4711",
            ]
        )
    )
    assert rows[0].inode is None and rows[0].path == "4711"


def test_missing_file_is_unsupported_and_other_errors_are_read_errors(tmp_path: Path) -> None:
    (tmp_path / "net").mkdir()
    with pytest.raises(Unsupported) as missing:
        read_inet_sockets(ProcFS(tmp_path), Protocol.TCP, Family.INET)
    assert missing.value.path == f"{tmp_path}/net/tcp"
    (tmp_path / "net" / "tcp").mkdir()  # reading a directory fails with EISDIR
    with pytest.raises(ProcReadError) as other:
        list(read_inet_sockets(ProcFS(tmp_path), Protocol.TCP, Family.INET))
    assert not isinstance(other.value, Unsupported)


def unix_table(rows: int) -> str:
    """A /proc/net/unix with what makes blocks hard: paths with newlines (whose rest looks
    like a row, or not), bogus lines, 32-bit rows, rows without a path, rows that show the
    previous row's inode."""
    lines = [UNIX_HEADER]
    for i in range(rows):
        kind = i % 11
        if kind == 3:
            lines.append(f"{i:016x}: 00000002 00000000 00010000 0001 01 {i + 100} /run/a\nb c\n")
        elif kind == 5:  # a row after a path (it cannot continue it), then a bogus line
            lines.append(f"{i:016x}: 00000002 00000000 00000000 0002 01 {i + 100} /x\n")
            lines.append(f"{i:016x}: 00000002 00000000 00000000 0001 01 {i + 900}\n")
            lines.append("zz: garbage\n")  # after a row without a path: bogus
        elif kind == 7:
            lines.append(f"{i:08x}: 00000002 00000000 00010000 0001 01 {i + 100} /p\n")
        elif i % 110 == 9:  # the inode past netstat's 8191-byte piece: the previous one is
            # shown, and the rest of the line is a bogus line of its own
            pad = " " * 8200
            lines.append(f"{i:016x}: 00000002 00000000 00000000 0001 01{pad}{i + 100} /q\n")
        elif kind == 10:  # an inode that does not convert: the previous one is shown
            lines.append(f"{i:016x}: 00000002 00000000 00000000 0001 01 zz /z\n")
        else:
            lines.append(f"{i:016x}: 00000003 00000000 00000000 0001 03 {i + 100:7d}\n")
    return "".join(lines)


@pytest.mark.parametrize("size", [60, 97, 256, 4096, 65536])
def test_unix_blocks_parse_apart_as_the_whole_file(tmp_path: Path, size: int) -> None:
    (tmp_path / "net").mkdir()
    text = unix_table(400)
    (tmp_path / "net" / "unix").write_text(text)
    header, blocks = read_unix_blocks(ProcFS(tmp_path), size)
    got = list(blocks)
    assert header == UNIX_HEADER and "".join(b.decode() for b in got) == text[len(header) :]
    if size < 4096:
        assert len(got) > 20
    for block in got[1:]:  # each cut is before a row that no path can continue
        assert parse_unix_lines([UNIX_HEADER, block.decode().split("\n")[0]]).__next__()
        assert block.startswith(b"0000") and block[16:18] == b": "
    errors: list[ParseError] = []
    whole = list(parse_unix_lines(text.splitlines(keepends=True), "unix", errors.append))
    apart: list[ParseError] = []
    rows = [r for b in got for r in parse_unix_block(header, b, "unix", apart.append)]
    assert rows == whole and len(apart) == len(errors) > 0
    assert any(r.path == "/run/a\nb c" for r in rows)


def test_unix_blocks_without_an_inode_column_are_one(tmp_path: Path) -> None:
    (tmp_path / "net").mkdir()
    text = "Num RefCount Protocol Flags Type St Path\n" + unix_table(50)[len(UNIX_HEADER) :]
    (tmp_path / "net" / "unix").write_text(text)
    header, blocks = read_unix_blocks(ProcFS(tmp_path), 60)
    assert [b.decode() for b in blocks] == [text[len(header) :]]


def test_unix_blocks_of_a_missing_file_are_unsupported(tmp_path: Path) -> None:
    with pytest.raises(Unsupported):
        read_unix_blocks(ProcFS(tmp_path))
