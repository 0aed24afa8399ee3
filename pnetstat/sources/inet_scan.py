"""An unusual row of /proc/net/{tcp,udp,udplite,raw}[6], read the way netstat reads it.

netstat reads each row with one ``sscanf`` into variables that live from row to row of a file,
then decides by the number of conversions that succeeded. Found by running netstat 2.10 on fake
/proc trees (tests/test_malformed_proc.py, tests/unit/test_inet_scan.py):

* the conversions, in order: slot ``%d:``, local address (1 to 64 hex digits, no blank skipped
  before it), ``:`` port ``%X``, remote address, ``:`` port ``%X``, state ``%X``, queues
  ``%lX:%lX``, timer ``%X:%lX``, retransmits ``%lX``, uid ``%d``, timeout ``%d``, inode ``%lu``;
  blanks are C blanks only (not NBSP, U+2028 or 0x1c-0x1f); numbers follow
  :func:`cscan.scanf_number` (saturating, ``-`` wrapping, ``0x`` alone is 0) and are then cut to
  their C type;
* fewer than 11 conversions for TCP (10 for UDP, UDP-Lite and RAW): a bogus row (a warning, no
  row); otherwise the columns that failed keep the previous row's values (0 in a file's first);
* the local address decides both addresses' family: more than 8 hex digits is IPv6, read as four
  host-order 32-bit words into one buffer that both addresses and all rows of a file share (a
  short address leaves the buffer's last words as they were); otherwise each address is one
  ``%X`` (a long remote saturates to 255.255.255.255).
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

from ..model import Family, InetSocket, IPAddress, Protocol
from .cscan import C_BLANKS, cast, scanf_number, strtoul

__all__ = ["scan_inet_row"]

#: Conversions netstat needs before it shows a row.
MIN_CONVERSIONS = {Protocol.TCP: 11, Protocol.UDP: 10, Protocol.UDPLITE: 10, Protocol.RAW: 10}

_HEX = frozenset("0123456789abcdefABCDEF")
# The numeric conversions after the addresses: (slot in the values list, base, %d rather than
# %X/%lu, bits of the C type, whether the model keeps it signed, the literal that must follow).
_NUMBERS = (
    (5, 16, False, 32, False, ""),  # state
    (6, 16, False, 64, False, ":"),  # tx_queue
    (7, 16, False, 64, False, ""),  # rx_queue
    (8, 16, False, 32, False, ":"),  # timer
    (9, 16, False, 64, False, ""),  # tm->when
    (10, 16, False, 64, False, ""),  # retransmits
    (11, 10, True, 32, False, ""),  # uid: a C int, kept as the uid_t it stands for
    (12, 10, True, 32, True, ""),  # timeout
    (13, 10, False, 64, False, ""),  # inode
)


def _hex_run(text: str, pos: int) -> int:
    """End of the ``%64[0-9A-Fa-f]`` run at ``pos`` (``pos`` itself if there is none)."""
    end = pos
    limit = min(len(text), pos + 64)
    while end < limit and text[end] in _HEX:
        end += 1
    return end


def _scan(line: str, values: list[int]) -> tuple[int, list[str]]:
    """Run the row's conversions into ``values`` (slot, -, local port, -, remote port, state,
    ...); the number that succeeded and the two address strings."""
    addresses: list[str] = []
    pos = 0
    count = 0
    found = scanf_number(line, pos, 10, signed=True)
    if found is None:
        return count, addresses
    values[0], pos = cast(found[0], 32, signed=True), found[1]
    count += 1
    if not line.startswith(":", pos):
        return count, addresses
    pos += 1
    for port_slot in (2, 4):
        while pos < len(line) and line[pos] in C_BLANKS:
            pos += 1
        end = _hex_run(line, pos)
        if end == pos:
            return count, addresses
        addresses.append(line[pos:end])
        count += 1
        if not line.startswith(":", end):
            return count, addresses
        found = scanf_number(line, end + 1, 16)
        if found is None:
            return count, addresses
        values[port_slot], pos = cast(found[0], 32), found[1]
        count += 1
    for slot, base, signed, bits, keep_sign, literal in _NUMBERS:
        found = scanf_number(line, pos, base, signed)
        if found is None:
            break
        values[slot], pos = cast(found[0], bits, keep_sign), found[1]
        count += 1
        if literal:
            if not line.startswith(literal, pos):
                break
            pos += 1
    return count, addresses


def _ipv6_words(text: str, buffer: bytearray) -> IPv6Address:
    # sscanf "%08X%08X%08X%08X": words the text does not reach keep the buffer's old value.
    for k in range(4):
        chunk = text[8 * k : 8 * k + 8]
        if not chunk:
            break
        buffer[4 * k : 4 * k + 4] = int(chunk, 16).to_bytes(4, "little")
    return IPv6Address(bytes(buffer))


def _ipv4(text: str) -> IPv4Address:
    return IPv4Address(cast(strtoul(text, 16)[0], 32).to_bytes(4, "little"))


def scan_inet_row(
    line: str,
    protocol: Protocol,
    family: Family,
    last: InetSocket | None,
    buffer: bytearray,
) -> InetSocket | None:
    """``line`` as netstat reads it, ``None`` for a bogus row (netstat warns and skips it).

    ``last`` is the file's previous row (its columns stand in for conversions that fail);
    ``buffer`` the 16-byte IPv6 word buffer, kept by the caller for the whole file.
    """
    line = line.split("\0", 1)[0]  # sscanf reads a C string
    values = [0] * 14
    if last is not None:
        values[10:14] = [last.retransmits, last.uid, last.timeout, last.inode]
    count, addresses = _scan(line, values)
    if count < MIN_CONVERSIONS[protocol]:
        return None
    local_text, remote_text = addresses
    local: IPAddress
    remote: IPAddress
    if len(local_text) > 8:
        local = _ipv6_words(local_text, buffer)
        remote = _ipv6_words(remote_text, buffer)
    else:
        local = _ipv4(local_text)
        remote = _ipv4(remote_text)
    return InetSocket(
        protocol, family, values[0], local, values[2] & 0xFFFF, remote, values[4] & 0xFFFF,
        values[5], values[6], values[7], values[8], values[9], values[10], values[11],
        values[12], values[13],
    )  # fmt: skip
