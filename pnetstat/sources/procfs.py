"""Reading /proc: the ``ProcFS`` root, race-tolerant opens, and the socket-table parsers.

The /proc root is a parameter (``ProcFS(root)``), never a global, so tests point it at a tree
under ``tests/fixtures``. ``read_*`` functions open files (and raise ``Unsupported`` at call time
when the kernel has no such file); ``parse_*`` functions are pure and turn lines into model
objects. A malformed line is reported to an ``on_error`` callback as a ``ParseError`` and
skipped, the way netstat warns and carries on.
"""

from __future__ import annotations

import errno
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from ipaddress import IPv4Address, IPv6Address
from itertools import chain

from ..errors import ParseError, ProcReadError, Unsupported
from ..model import Family, InetSocket, IPAddress, Protocol, UnixSocket

__all__ = [
    "ErrorHandler",
    "ProcFS",
    "ignore_errors",
    "parse_inet_lines",
    "parse_unix_block",
    "parse_unix_lines",
    "read_inet_sockets",
    "read_local_port_range",
    "read_unix_blocks",
    "read_unix_sockets",
    "socket_file",
]

ErrorHandler = Callable[[ParseError], None]

# A missing file means "no kernel support" to netstat; so does a file it may not read.
_UNSUPPORTED = (errno.ENOENT, errno.EACCES)


def ignore_errors(_: ParseError) -> None:
    """The default ``on_error``: skip malformed lines silently."""
    return None


class ProcFS:
    """A /proc tree: ``ProcFS()`` is the live one, ``ProcFS(path)`` a copy or another mount."""

    __slots__ = ("root",)

    def __init__(self, root: str | os.PathLike[str] = "/proc") -> None:
        self.root = os.fspath(root)

    def __repr__(self) -> str:
        return f"ProcFS({self.root!r})"

    def path(self, relative: str) -> str:
        """The absolute path of ``relative`` (e.g. ``"net/tcp"``) under this root."""
        return f"{self.root}/{relative}"

    def open_text(self, relative: str) -> Iterator[str]:
        """Open a text file and return an iterator over its lines.

        Raises ``Unsupported`` (ENOENT, EACCES) or ``ProcReadError`` (anything else) at call
        time, before the first line is read. Bytes that are not UTF-8 (unix socket paths) are
        kept with ``surrogateescape`` so nothing is lost.
        """
        path = self.path(relative)
        try:
            handle = open(path, encoding="utf-8", errors="surrogateescape", newline="\n")  # noqa: SIM115
        except OSError as exc:
            raise _read_error(path, exc) from None
        return _lines(handle, path)


def _read_error(path: str, exc: OSError) -> ProcReadError:
    code = exc.errno or 0
    cls = Unsupported if code in _UNSUPPORTED else ProcReadError
    return cls(path, code, exc.strerror or str(exc))


def _lines(handle: Iterable[str], path: str) -> Iterator[str]:
    with handle:  # type: ignore[attr-defined]
        try:
            yield from handle
        except OSError as exc:
            raise _read_error(path, exc) from None


# --------------------------------------------------------------------------- Internet sockets

_FILES = {
    (Protocol.TCP, Family.INET): "net/tcp",
    (Protocol.TCP, Family.INET6): "net/tcp6",
    (Protocol.UDP, Family.INET): "net/udp",
    (Protocol.UDP, Family.INET6): "net/udp6",
    (Protocol.UDPLITE, Family.INET): "net/udplite",
    (Protocol.UDPLITE, Family.INET6): "net/udplite6",
    (Protocol.RAW, Family.INET): "net/raw",
    (Protocol.RAW, Family.INET6): "net/raw6",
}

# netstat scans each row with one sscanf and calls it bogus when fewer than this many
# conversions succeed (address and port count separately): TCP needs the retransmit
# column, UDP and RAW stop at tm->when.
_MIN_FIELDS = {Protocol.TCP: 11, Protocol.UDP: 10, Protocol.UDPLITE: 10, Protocol.RAW: 10}


def socket_file(protocol: Protocol, family: Family) -> str:
    """The /proc-relative file holding ``protocol`` sockets of ``family``."""
    return _FILES[(protocol, family)]


def read_local_port_range(proc: ProcFS) -> tuple[int, int]:
    """The ports the kernel picks from when a socket binds none (ip_local_port_range of the
    reader's namespace); the kernel's default when the file cannot be read."""
    try:
        text = next(proc.open_text("sys/net/ipv4/ip_local_port_range"), "")
        low, high = (int(field) for field in text.split()[:2])
    except (ProcReadError, ValueError):
        return 32768, 60999
    return low, high


def read_inet_sockets(
    proc: ProcFS,
    protocol: Protocol,
    family: Family,
    on_error: ErrorHandler = ignore_errors,
) -> Iterator[InetSocket]:
    """Open /proc/net/<protocol>[6] and return an iterator of its rows, in file order."""
    relative = socket_file(protocol, family)
    lines = proc.open_text(relative)
    return parse_inet_lines(lines, protocol, family, proc.path(relative), on_error)


def _ipv4(hexaddr: str) -> IPv4Address:
    # The kernel prints the 32-bit address as a host-order (little-endian) integer.
    return IPv4Address(int(hexaddr, 16).to_bytes(4, "little"))


def _ipv6(hexaddr: str) -> IPv6Address:
    # Four host-order 32-bit words; a short string leaves the remaining words zero.
    packed = b"".join(
        int(hexaddr[i : i + 8] or "0", 16).to_bytes(4, "little") for i in range(0, 32, 8)
    )
    return IPv6Address(packed)


def _address(hexaddr: str, cache: dict[str, IPAddress]) -> IPAddress:
    found = cache.get(hexaddr)
    if found is None:
        if not hexaddr or len(hexaddr) > 64 or not _HEXDIGITS.issuperset(hexaddr):
            raise ValueError(hexaddr)
        found = _ipv6(hexaddr) if len(hexaddr) > 8 else _ipv4(hexaddr)
        cache[hexaddr] = found
    return found


def parse_inet_lines(
    lines: Iterable[str],
    protocol: Protocol,
    family: Family,
    path: str = "",
    on_error: ErrorHandler = ignore_errors,
) -> Iterator[InetSocket]:
    """Parse the lines of a /proc/net/{tcp,udp,udplite,raw}[6] file (header first).

    >>> row = next(parse_inet_lines(["header", "  0: 0100007F:0016 00000000:0000 0A "
    ...     "00000000:00000000 00:00000000 00000000     0        0 1234 1 0 100 0 0 10 0"],
    ...     Protocol.TCP, Family.INET))
    >>> str(row.local_address), row.local_port, row.state, row.inode
    ('127.0.0.1', 22, 10, 1234)
    """
    cache: dict[str, IPAddress] = {}
    minimum = _MIN_FIELDS[protocol]
    new = tuple.__new__
    last: InetSocket | None = None
    seen: set[object] = set()
    for lineno, line in enumerate(lines, 1):
        if lineno == 1:
            continue
        fields = line.split()
        try:
            # The common case, inline because it runs once per socket: a complete kernel row.
            sl, local, remote, st, queues, timer, retr, uid, timeout, inode = fields[:10]
            lhex, lport = local.split(":")
            rhex, rport = remote.split(":")
            txq, rxq = queues.split(":")
            tr, when = timer.split(":")
            if sl[-1] != ":":
                raise ValueError(sl)
            laddr = cache.get(lhex) or _address(lhex, cache)
            raddr = cache.get(rhex) or _address(rhex, cache)
            row: InetSocket = new(
                InetSocket,
                (protocol, family, int(sl[:-1]), laddr, int(lport, 16), raddr, int(rport, 16),
                 int(st, 16), int(txq, 16), int(rxq, 16), int(tr, 16), int(when, 16),
                 int(retr, 16), int(uid), int(timeout), int(inode), tuple(fields[10:])),
            )  # fmt: skip
        except (ValueError, IndexError):
            slow = _slow_inet(line, last, protocol, family, minimum, cache)
            if slow is None:
                on_error(ParseError(path, lineno, line.rstrip("\n")))
                continue
            row = slow
        last = row
        # A file read while sockets come and go can list one twice (the kernel resumes each
        # read by position): show each socket once.
        # (Addresses are shared objects per distinct address within one read: ids suffice.)
        key = (row.inode, id(row.local_address), row.local_port, id(row.remote_address),
               row.remote_port)  # fmt: skip
        if key in seen:
            continue
        seen.add(key)
        yield row


def _slow_inet(
    line: str,
    last: InetSocket | None,
    protocol: Protocol,
    family: Family,
    minimum: int,
    cache: dict[str, IPAddress],
) -> InetSocket | None:
    """An unusual row, scanned the way netstat scans it; ``None`` if netstat calls it bogus.

    Columns that a short (but not bogus) row lacks keep the previous row's values, as in
    netstat, whose scan targets are reused from row to row.
    """
    previous = [0] * 14
    if last is not None:
        previous = [last.sl, 0, last.local_port, 0, last.remote_port, last.state, last.tx_queue,
                    last.rx_queue, last.timer, last.timer_expires, last.retransmits, last.uid,
                    last.timeout, last.inode]  # fmt: skip
    values, hexes, count = _scan_inet(line, previous)
    if count < minimum:
        return None
    st, txq, rxq, tr, when, retr, uid, timeout, inode = values[5:14]
    return InetSocket(
        protocol, family, values[0], _address(hexes[0], cache), values[2],
        _address(hexes[1], cache), values[4], st, txq, rxq, tr, when, retr, uid, timeout, inode,
    )  # fmt: skip


def _scan_inet(line: str, previous: list[int]) -> tuple[list[int], tuple[str, str], int]:
    """Emulate netstat's sscanf of a row: how many conversions succeed, with their values.

    The conversions are, in order: slot ``%d:``, local ``hex``, ``:%X`` port, remote ``hex``,
    ``:%X`` port, ``%X`` state, ``%lX:%lX`` queues, ``%X:%lX`` timer, ``%lX`` retransmits,
    ``%d`` uid, ``%d`` timeout, ``%lu`` inode.
    """
    scan = _Scanner(line)
    values = list(previous)
    hexes = ["0", "0"]
    steps: list[tuple[str, int]] = [
        ("d", 0), (":", -1), (" ", -1), ("h", 0), (":", -1), ("X", 2), (" ", -1), ("h", 1),
        (":", -1), ("X", 4), ("X", 5), ("X", 6), (":", -1), ("X", 7), ("X", 8), (":", -1),
        ("X", 9), ("X", 10), ("d", 11), ("d", 12), ("u", 13),
    ]  # fmt: skip
    count = 0
    for kind, slot in steps:
        if kind == ":":
            if not scan.literal(":"):
                break
            continue
        if kind == " ":
            scan.skip_space()
            continue
        if kind == "h":
            text = scan.hex_run()
            if text is None:
                break
            hexes[slot] = text
        else:
            number = scan.number(16 if kind == "X" else 10)
            if number is None:
                break
            values[slot] = number
        count += 1
    return values, (hexes[0], hexes[1]), count


class _Scanner:
    """Just enough of scanf's rules for the kernel's table rows."""

    __slots__ = ("pos", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_space(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos].isspace():
            pos += 1
        self.pos = pos

    def literal(self, char: str) -> bool:
        if self.text.startswith(char, self.pos):
            self.pos += 1
            return True
        return False

    def hex_run(self) -> str | None:
        # %64[0-9A-Fa-f] skips no white space and needs at least one digit.
        start = pos = self.pos
        text = self.text
        while pos < len(text) and pos - start < 64 and text[pos] in _HEXDIGITS:
            pos += 1
        if pos == start:
            return None
        self.pos = pos
        return text[start:pos]

    def number(self, base: int) -> int | None:
        self.skip_space()
        text, pos = self.text, self.pos
        start = pos
        if pos < len(text) and text[pos] in "+-":
            pos += 1
        digits = _HEXDIGITS if base == 16 else "0123456789"
        begin = pos
        while pos < len(text) and text[pos] in digits:
            pos += 1
        if pos == begin:
            return None
        self.pos = pos
        return int(text[start:pos], base)


_HEXDIGITS = frozenset("0123456789abcdefABCDEF")


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
