"""The ``-i`` views: netstat's short interface table and its long, ifconfig-like form (-e)."""

from collections.abc import Iterable, Iterator

from ..model_tables import Interface, InterfaceCounters
from .names import escape, format_host, ljust_bytes

__all__ = ["format_flag_letters", "human_bytes", "render_interface_header", "render_interfaces"]

_HEADER = "Iface             MTU    RX-OK RX-ERR RX-DRP RX-OVR    TX-OK TX-ERR TX-DRP TX-OVR Flg\n"
# Letters of the short form in netstat's order (2.10 uses P for both PROMISC and POINTOPOINT).
_LETTERS = ((0x200, "A"), (0x2, "B"), (0x4, "D"), (0x8, "L"), (0x1000, "M"), (0x8000, "d"),
            (0x100, "P"), (0x20, "N"), (0x80, "O"), (0x10, "P"), (0x800, "s"), (0x400, "m"),
            (0x40, "R"), (0x1, "U"))  # fmt: skip
_NAMES = ((0x1, "UP"), (0x2, "BROADCAST"), (0x4, "DEBUG"), (0x8, "LOOPBACK"),
          (0x10, "POINTOPOINT"), (0x20, "NOTRAILERS"), (0x40, "RUNNING"), (0x80, "NOARP"),
          (0x100, "PROMISC"), (0x200, "ALLMULTI"), (0x800, "SLAVE"), (0x400, "MASTER"),
          (0x1000, "MULTICAST"), (0x8000, "DYNAMIC"))  # fmt: skip
_UNITS = ((1 << 60, "EiB"), (1 << 50, "PiB"), (1 << 40, "TiB"), (1 << 30, "GiB"),
          (1 << 20, "MiB"), (1 << 10, "KiB"))  # fmt: skip
_ARPHRD_ETHER = 1
_ARPHRD_LOOPBACK = 772


def format_flag_letters(flags: int) -> str:
    """The Flg column: ``BMRU`` for an up, running broadcast/multicast interface.

    >>> format_flag_letters(0x1043), format_flag_letters(0)
    ('BMRU', '[NO FLAGS]')
    """
    if not flags:
        return "[NO FLAGS]"
    return "".join(letter for bit, letter in _LETTERS if flags & bit)


def human_bytes(value: int) -> str:
    """A byte count as the long form shows it: one decimal, truncated, binary units.

    >>> human_bytes(11774), human_bytes(1024), human_bytes(0), human_bytes(2**64 - 1)
    ('11.4 KiB', '1024.0 B', '0.0 B', '16.0 EiB')
    """
    for size, unit in _UNITS:
        if value > size:
            # netstat's tenths of an EiB are value / (2**60 // 10), which rounds 2**64-1 up to
            # 16.0 (value * 10 would overflow); smaller units truncate value * 10 / size.
            tenths = value // (size // 10) if size == 1 << 60 else value * 10 // size
            return f"{tenths // 10}.{tenths % 10} {unit}"
    return f"{value}.0 B"


def render_interface_header() -> Iterator[str]:
    """The short form's column header (repeated on every ``-c`` pass)."""
    yield _HEADER


_ZEROS = InterfaceCounters(*([0] * 16))


def render_interfaces(rows: Iterable[Interface], long: bool, show_all: bool) -> Iterator[str]:
    """Rows of the short table, or blocks of the long form; down interfaces only with -a.

    netstat 2.10 (Debian's fixed /proc/net/dev name parser) reads all-zero counters for an
    interface whose name has the full 15 characters; the text shows what netstat shows (the
    model and JSON keep the kernel's numbers).
    """
    for row in rows:
        if not show_all and not row.flags & 0x1:
            continue
        if row.counters is not None and len(row.name) >= 15:
            row = row._replace(counters=_ZEROS)
        yield from (_long(row) if long else _short(row))


def _short(row: Interface) -> Iterator[str]:
    # A name has at most 15 bytes (netstat's %-15.15s never cuts it); escaped, it is padded
    # to 15 bytes less what the escapes added.
    head = "%s %5d " % (ljust_bytes(escape(row.name), 15), row.mtu)
    c = row.counters
    if c is None:
        body = "%-56s" % "     - no statistics available -"
    else:
        body = "%8d %6d %6d %-6d %8d %6d %6d %6d " % (
            c.rx_packets, c.rx_errs, c.rx_drop, c.rx_fifo,
            c.tx_packets, c.tx_errs, c.tx_drop, c.tx_fifo)  # fmt: skip
    yield head + body + format_flag_letters(row.flags) + "\n"


def _scope(scope: int) -> str:
    """The scope's names as netstat lists them: ``<link>``; nothing when no bit is known."""
    text = ""
    if scope & 0x80:
        text += "compat,"
        scope &= ~0x80
    if scope == 0:
        text += "global,"
    for bit, word in ((0x20, "link,"), (0x40, "site,"), (0x10, "host,")):
        if scope & bit:
            text += word
    return "<" + text[:-1] + ">" if text else ""


def _hardware(row: Interface) -> str:
    txq = "  txqueuelen %d" % row.txqueuelen if row.txqueuelen is not None else ""
    if row.hw_type == _ARPHRD_ETHER and row.hw_address is not None:
        address = ":".join("%02x" % b for b in row.hw_address[:6])
        return f"        ether {address}{txq}  (Ethernet)\n"
    if row.hw_type == _ARPHRD_LOOPBACK:
        return f"        loop{txq}  (Local Loopback)\n"
    raw = (row.hw_address or b"")[:8].ljust(16, b"\0")
    return "        unspec %s%s  (UNSPEC)\n" % ("-".join("%02X" % b for b in raw), txq)


def _long(row: Interface) -> Iterator[str]:
    flags = row.flags
    signed = flags - 0x10000 if flags & 0x8000 else flags
    names = ",".join(name for bit, name in _NAMES if flags & bit)
    yield "%s: flags=%d<%s>  mtu %d\n" % (escape(row.name), signed, names, row.mtu)
    if row.address is not None:
        line = "        inet %s  netmask %s" % (row.address, row.netmask)
        if flags & 0x2:
            line += "  broadcast %s" % row.broadcast
        if flags & 0x10:
            line += "  destination %s" % row.destination
        yield line + "\n"
    for address in row.inet6:
        yield "        inet6 %s  prefixlen %d  scopeid 0x%x%s\n" % (
            format_host(address.address, True, None),
            address.prefix_len,
            address.scope,
            _scope(address.scope),
        )
    yield _hardware(row)
    c = row.counters
    if c is not None:
        yield "        RX packets %d  bytes %d (%s)\n" % (
            c.rx_packets,
            c.rx_bytes,
            human_bytes(c.rx_bytes),
        )
        yield "        RX errors %d  dropped %d  overruns %d  frame %d\n" % (
            c.rx_errs, c.rx_drop, c.rx_fifo, c.rx_frame)  # fmt: skip
        yield "        TX packets %d  bytes %d (%s)\n" % (
            c.tx_packets,
            c.tx_bytes,
            human_bytes(c.tx_bytes),
        )
        yield "        TX errors %d  dropped %d overruns %d  carrier %d  collisions %d\n" % (
            c.tx_errs, c.tx_drop, c.tx_fifo, c.tx_carrier, c.tx_colls)  # fmt: skip
    if row.map is not None:
        mem_start, mem_end, base, irq, dma, _port = row.map
        if irq or mem_start or dma or base >= 0x100:
            line = "        device"
            if irq:
                line += " interrupt %d  " % irq
            if base >= 0x100:
                line += "base 0x%x  " % base
            if mem_start:
                line += "memory 0x%x-%x  " % (mem_start, mem_end)
            if dma:
                line += "dma 0x%x" % dma
            yield line.rstrip() + "  \n"
    yield "\n"
