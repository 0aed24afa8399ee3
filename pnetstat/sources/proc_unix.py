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
from .cscan import C_BLANKS, cast, fgets_lines, scanf_number
from .procfs import ErrorHandler, ProcFS, _read_error, ignore_errors

__all__ = [
    "parse_unix_block",
    "parse_unix_lines",
    "read_unix_blocks",
    "read_unix_sockets",
]

# ------------------------------------------------------------------------------ UNIX sockets

#: netstat reads /proc/net/unix with a line buffer of this many bytes (``fgets``): a longer
#: line is read in pieces of one byte less, each scanned as a line of its own.
UNIX_LINE_BYTES = 8192


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


# A line parse_unix_lines reads as a row whatever came before it: a 64-bit address, the five
# columns, an inode within netstat's first 8191-byte piece of the line (further out, the row
# would show the previous row's inode). A subset of what it accepts, enough for cuts.
_UNIX_NEW_ROW = re.compile(
    rb"[0-9a-f]{16}: [0-9A-F]{8} [0-9A-F]{8} [0-9A-F]{8} [0-9A-F]{4} [0-9A-F]{2} {1,20}"
    rb"[0-9]{1,19}[ \n]"
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
    """Parse the lines of /proc/net/unix (header first), as netstat reads them.

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
    middles: dict[str, tuple[int, int, int, int, int] | None] = {}
    for lineno, line in enumerate(lines, 1):
        if lineno == 1:
            # Kernels before 2.2 printed no Inode column (netstat looks for the word).
            has_inode = "Inode" in line
            continue
        row: UnixSocket | None = None
        # The common case, inline: the kernel's "%pK: %08X %08X %08X %04X %02X %5lu path"
        # with a 64-bit address. Anything else takes the careful path below.
        if has_inode and line[16:18] == ": " and line[52:53] == " " and len(line) < _PIECE_CHARS:
            key = line[18:52]
            try:
                middle = middles[key]
            except KeyError:
                middle = middles[key] = _unix_middle(key)
            inode, _, name = line[53:].rstrip("\n").lstrip(" ").partition(" ")
            # ASCII digits only: int() would also take "1_0", other scripts' digits and
            # blanks C does not know; 20 digits may overflow an unsigned long.
            if middle is not None and inode.isdigit() and inode.isascii() and len(inode) < 20:
                if "\x00" in name:
                    name = name.partition("\x00")[0]  # netstat's C string ends there
                address = line[:16]
                if address.isalnum() and address.isascii():
                    try:
                        row = new(UnixSocket, (
                            int(address, 16), *middle, int(inode), name or None, None, None
                        ))  # fmt: skip
                    except ValueError:
                        row = None
        if row is not None:
            last = row
            if pending is not None:
                yield pending
            pending = row
            continue
        # The careful path: netstat's scan, one fgets piece of the line at a time.
        if last is not None and has_inode:
            carry = last.inode or 0
        for index, piece in enumerate(fgets_lines((line,), UNIX_LINE_BYTES)):
            scanned = _scan_row(piece)
            if scanned is None:
                if index == 0 and pending is not None and pending.path and _rest_of_path(piece):
                    # The kernel writes a path verbatim, so a newline in it continues the row
                    # on the next line (netstat drops the rest and warns; we keep the path
                    # whole: README, deliberate differences).
                    pending = pending._replace(path=f"{pending.path}\n{piece.rstrip(chr(10))}")
                else:
                    on_error(ParseError(path, lineno, piece.rstrip("\n")))
                continue
            values, number, rest = scanned
            if number is None:
                number = carry  # no inode: netstat keeps the last one it read
            else:
                carry = number
            if has_inode:
                row = UnixSocket(*values, number, rest)
            else:
                # Without an Inode column netstat shows the number it scanned as the path.
                row = UnixSocket(*values, None, str(number))
            last = row
            if pending is not None:
                yield pending
            pending = row
    if pending is not None:
        yield pending


#: The longest line the fast path takes: no text of fewer characters has more UTF-8 bytes
#: than netstat's line buffer holds.
_PIECE_CHARS = (UNIX_LINE_BYTES - 1) // 4


def _rest_of_path(line: str) -> bool:
    """Whether a line netstat calls bogus is read as the rest of the path before it: not
    blank, and not beginning as a row does (a hex number and a colon), which a broken row
    would."""
    if not line.strip(C_BLANKS):
        return False
    found = scanf_number(line, 0, 16)
    return found is None or line[found[1] : found[1] + 1] != ":"


def _unix_middle(text: str) -> tuple[int, int, int, int, int] | None:
    """RefCount, Protocol, Flags, Type and St from their columns' text in the kernel's layout
    (``None`` if it is not exactly that)."""
    if _KERNEL_MIDDLE.fullmatch(text) is None:
        return None
    ref_count, protocol, flags, type_, state = (int(field, 16) for field in text.split(" "))
    return ref_count, protocol, flags, type_, state


_BLANKS = tuple(C_BLANKS)
# The kernel's "%08X %08X %08X %04X %02X".
_KERNEL_MIDDLE = re.compile("[0-9A-F]{8} [0-9A-F]{8} [0-9A-F]{8} [0-9A-F]{4} [0-9A-F]{2}")


def _scan_row(
    line: str,
) -> tuple[tuple[int, int, int, int, int, int], int | None, str | None] | None:
    """One line scanned as netstat scans it: "%lX: %lX %lX %lX %X %X %lu %s" (``None`` if fewer
    than the six columns before the inode convert: a bogus line).

    Returns (Num, RefCount, Protocol, Flags, Type, St), the inode (``None`` if it does not
    convert: netstat then shows the previous row's, and no path) and the text after it
    (``None`` if empty). Numbers follow C: ``cscan.scanf_number`` (saturating, a minus sign
    wraps), Type and St cut to 32 bits; the line ends at a NUL (a C string).
    """
    text = line.rstrip("\n").partition("\x00")[0]
    values: list[int] = []
    pos = 0
    for base in (16, 16, 16, 16, 16, 16, 10):
        found = scanf_number(text, pos, base)
        if found is None:
            break
        value, end = found
        values.append(value)
        pos = end
        if len(values) == 1:
            if text[pos : pos + 1] != ":":
                break
            pos += 1
    if len(values) < 6:
        return None
    num, ref_count, protocol, flags, type_, state = values[:6]
    columns = (num, ref_count, protocol, flags, cast(type_, 32), cast(state, 32))
    if len(values) == 6:
        return columns, None, None
    # The kernel puts one space between the inode and the path; the path is what follows it.
    rest = text[pos + 1 :] if text[pos : pos + 1] in _BLANKS else text[pos:]
    return columns, values[6], rest or None
