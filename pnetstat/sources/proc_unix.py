"""The UNIX socket table of /proc: net/unix.

``read_unix_sockets`` opens it; ``parse_unix_lines`` is pure and turns its lines into
``UnixSocket`` rows, by a fixed-slice fast path for rows in the kernel's own layout and a
general path that mirrors netstat's scan for the rest. ``read_unix_blocks`` and
``parse_unix_block`` read the file in blocks of whole rows that parse apart as they would in
the whole file.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from itertools import chain

from ..errors import ParseError
from ..model import UnixSocket
from .procfs import ErrorHandler, ProcFS, _read_error, ignore_errors

__all__ = [
    "parse_unix_block",
    "parse_unix_lines",
    "read_unix_blocks",
    "read_unix_sockets",
]

# ------------------------------------------------------------------------------ UNIX sockets


def read_unix_sockets(proc: ProcFS, on_error: ErrorHandler = ignore_errors) -> Iterator[UnixSocket]:
    """Open /proc/net/unix and return an iterator of its rows, in file order."""
    lines = proc.open_text("net/unix")
    return parse_unix_lines(lines, proc.path("net/unix"), on_error)


def read_unix_blocks(proc: ProcFS, size: int = 1 << 14) -> tuple[str, Iterator[bytes]]:
    """/proc/net/unix as its header line and its rows in blocks of whole lines, for a reader
    that parses the blocks apart (``parse_unix_block``), each as it would in the whole file.
    A block is ``size`` bytes or a little more (a read of the file often gives one page).

    A block ends only before a line that is beyond doubt a row in the kernel's own layout
    (``_UNIX_NEW_ROW``): the parser reads such a line the same way whatever came before it,
    and no row continues from one block into the next (the rest of a path with a newline in
    it is on a line that is not such a row). Raises ``Unsupported`` or ``ProcReadError`` at
    call time, as ``open_text`` does.
    """
    path = proc.path("net/unix")
    try:
        handle = open(path, "rb", buffering=0)  # noqa: SIM115
        first = handle.read(size)
    except OSError as exc:
        raise _read_error(path, exc) from None
    end = first.find(b"\n") + 1 or len(first)
    header = first[:end].decode("utf-8", "surrogateescape")
    # Without an Inode column (kernels before 2.2) the fast path reads nothing: one block.
    cuts = "Inode" in header
    return header, _unix_blocks(handle, first[end:], size, path, cuts)


def _unix_blocks(
    handle: io.RawIOBase, buffer: bytes, size: int, path: str, cuts: bool
) -> Iterator[bytes]:
    with handle:
        while True:
            try:
                data = handle.read(size)
            except OSError as exc:
                raise _read_error(path, exc) from None
            if not data:
                break
            buffer += data
            cut = _unix_cut(buffer) if cuts and len(buffer) >= size else 0
            if cut:
                yield buffer[:cut]
                buffer = buffer[cut:]
    if buffer:
        yield buffer


def _unix_cut(buffer: bytes) -> int:
    """Where a block may end in ``buffer``: the start of its last complete line that begins
    a row beyond doubt (not its first line); 0 if there is none."""
    end = buffer.rfind(b"\n")
    while end > 0:
        start = buffer.rfind(b"\n", 0, end) + 1
        if start == 0:
            break
        if _UNIX_NEW_ROW.match(buffer, start):
            return start
        end = start - 1
    return 0


# A line the fast path of parse_unix_lines reads as a row whatever came before it: a 64-bit
# address, the five columns, an inode (a subset of what that path accepts, enough for cuts).
_UNIX_NEW_ROW = re.compile(
    rb"[0-9a-f]{16}: [0-9A-F]{8} [0-9A-F]{8} [0-9A-F]{8} [0-9A-F]{4} [0-9A-F]{2} +[0-9]+[ \n]"
)


def parse_unix_block(
    header: str, block: bytes, path: str = "", on_error: ErrorHandler = ignore_errors
) -> Iterator[UnixSocket]:
    """The rows of one block of ``read_unix_blocks`` (line numbers in errors count from the
    block's start, after the header)."""
    text = block.decode("utf-8", "surrogateescape")
    lines = io.StringIO(text, newline="\n")  # lines end at "\n" only, as in open_text
    return parse_unix_lines(chain((header,), lines), path, on_error)


def parse_unix_lines(
    lines: Iterable[str], path: str = "", on_error: ErrorHandler = ignore_errors
) -> Iterator[UnixSocket]:
    """Parse the lines of /proc/net/unix (header first).

    >>> rows = parse_unix_lines(["Num       RefCount Protocol Flags    Type St Inode Path",
    ...     "0000000000000000: 00000002 00000000 00010000 0001 01 71729 @abstract-name"])
    >>> row = next(rows)
    >>> row.listening, row.inode, row.path
    (True, 71729, '@abstract-name')
    """
    has_inode = True
    last: UnixSocket | None = None
    carry = 0  # the inode netstat carries over into a row without one
    pending: UnixSocket | None = None
    new = tuple.__new__
    # The five columns between the address and the inode ("00000002 00000000 00010000 0001
    # 01") take few distinct values: each is parsed once, then found by its text.
    middles: dict[str, tuple[int, int, int, int, int]] = {}
    for lineno, line in enumerate(lines, 1):
        if lineno == 1:
            # Kernels before 2.2 printed no Inode column (netstat looks for the word).
            has_inode = "Inode" in line
            continue
        row: UnixSocket | None = None
        # The common case, inline: the kernel's "%pK: %08X %08X %08X %04X %02X %5lu path"
        # with a 64-bit address. Anything else takes the general path below.
        if has_inode and line[16:18] == ": " and line[52:53] == " " and line[:16].isalnum():
            middle = middles.get(line[18:52])
            if middle is None:
                middle = _unix_middle(line[18:52])
                if middle is not None:
                    middles[line[18:52]] = middle
            rest = line[53:].split(None, 1)
            if middle is not None and rest:
                try:
                    row = new(UnixSocket, (
                        int(line[:16], 16), *middle, int(rest[0]),
                        rest[1].rstrip("\n") or None if len(rest) == 2 else None, None, None,
                    ))  # fmt: skip
                except ValueError:
                    row = None
        if row is None:
            if pending is not None and pending.path is not None and not _UNIX_ROW.match(line):
                # The kernel writes a path verbatim, so a newline in it continues the row on
                # the next line (netstat drops the rest and warns; we keep the path whole).
                pending = pending._replace(path=f"{pending.path}\n{line.rstrip(chr(10))}")
                continue
            if last is not None and last.inode is not None:
                carry = last.inode
            previous = [0] * 7 if last is None else [*last[:6], carry]
            row = _unix_row(line, previous, has_inode)
            if row is None:
                on_error(ParseError(path, lineno, line.rstrip("\n")))
                continue
        last = row
        if pending is not None:
            yield pending
        pending = row
    if pending is not None:
        yield pending


def _unix_middle(text: str) -> tuple[int, int, int, int, int] | None:
    """RefCount, Protocol, Flags, Type and St from their columns' text (``None`` if not
    exactly five hex numbers)."""
    fields = text.split()
    if len(fields) != 5:
        return None
    try:
        ref_count, protocol, flags, type_, state = (int(field, 16) for field in fields)
    except ValueError:
        return None
    return ref_count, protocol, flags, type_, state


# The start of a /proc/net/unix row: the socket's kernel address and a colon.
_UNIX_ROW = re.compile(r"[0-9A-Fa-f]+: ")


def _unix_row(line: str, previous: list[int], has_inode: bool) -> UnixSocket | None:
    """One row scanned as netstat scans it (``None`` if netstat calls it bogus)."""
    fields = line.split(None, 7)
    values = list(previous)
    count = 0
    for index, token in enumerate(fields[:7]):
        try:
            if index == 0:
                if not token.endswith(":"):
                    raise ValueError(token)
                values[0] = int(token[:-1], 16)
            else:
                values[index] = int(token, 16 if index < 6 else 10)
        except ValueError:
            break
        count += 1
    if count < 6:
        return None
    rest = fields[7].rstrip("\n") if count == 7 and len(fields) == 8 else None
    if count == 6 and len(fields) > 6:
        # The inode column did not parse: what stood there is the path.
        rest = " ".join(fields[6:]).rstrip("\n")
    if not has_inode:
        # Without an Inode column netstat shows the number it scanned there as the path.
        rest = str(values[6])
    return UnixSocket(
        values[0],
        values[1],
        values[2],
        values[3],
        values[4],
        values[5],
        values[6] if has_inode else None,
        rest if rest else None,
    )
