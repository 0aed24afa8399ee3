"""Network interfaces for ``-i``: /proc/net/dev counters, /proc/net/if_inet6 addresses, and
the interface ioctls netstat asks (flags, MTU, hardware address, IPv4 addresses, ...).

The list is /proc/net/dev's interfaces plus every IPv4 address label ``SIOCGIFCONF`` reports
(so ``eth0:1`` aliases appear, without counters), in netstat's order (``netstat_order``). The
/proc root is a parameter, but the ioctls always answer for the caller's network namespace.
"""

import _socket  # the C module: socket.py's enums cost start-up and are not needed here
import array
import errno
import fcntl
import struct
from collections.abc import Iterable, Iterator
from ipaddress import IPv4Address

from ..errors import ProcReadError
from ..model_tables import Interface, InterfaceCounters
from .netdev_proc import Inet6Reader, parse_dev_lines
from .procfs import ProcFS

__all__ = [
    "Inet6Reader",
    "compare_names",
    "netstat_order",
    "parse_dev_lines",
    "read_interfaces",
]

# include/uapi/linux/sockios.h
SIOCGIFCONF = 0x8912
SIOCGIFFLAGS = 0x8913
SIOCGIFADDR = 0x8915
SIOCGIFDSTADDR = 0x8917
SIOCGIFBRDADDR = 0x8919
SIOCGIFNETMASK = 0x891B
SIOCGIFMTU = 0x8921
SIOCGIFHWADDR = 0x8927
SIOCGIFTXQLEN = 0x8942
SIOCGIFMAP = 0x8970
# struct ifreq is 40 bytes on 64-bit Linux: a 16-byte name and a 24-byte union.
_IFREQ = 40
_IFF_UP = 0x1
_IFF_POINTOPOINT = 0x10


def _name_parts(name: bytes) -> tuple[bytes, int, int, int | None]:
    """A name as netstat's order sees it: (stem, where its trailing digits start, their value
    as a C int, the alias number or None).

    Only an all-digit alias (``eth0:1``) is set apart; ``eth0:x`` and ``eth0:`` are plain
    names, which is why netstat lists them after ``eth1`` (observed with net-tools 2.10).
    """
    stem, colon, alias = name.partition(b":")
    alias_number = None
    if colon and alias and alias.isdigit():
        alias_number = _c_int(int(alias))
    else:
        stem = name
    start = len(stem.rstrip(b"0123456789"))
    number = _c_int(int(stem[start:])) if start < len(stem) else 0
    return stem, start, number, alias_number


def _c_int(value: int) -> int:
    # netstat reads the digits into a C int: a 15-digit run wraps (a4294967297 sorts as a1).
    return (value + 2**31) % 2**32 - 2**31


def compare_names(a: str, b: str) -> int:
    """netstat's interface comparison: negative, zero or positive as ``a`` sorts before,
    with or after ``b``.

    The stems are compared up to the shorter one's trailing digits; then the stem whose digits
    start earlier comes first; then the numbers, then a plain name before its aliases and the
    alias numbers; a tie is settled by the bytes (``eth001 < eth01 < eth1``).

    >>> names = ["veth0:x", "eth10", "veth0:1", "lo", "eth1", "veth2", "veth0", "eth01"]
    >>> import functools
    >>> sorted(names, key=functools.cmp_to_key(compare_names))
    ['eth01', 'eth1', 'eth10', 'lo', 'veth0', 'veth0:1', 'veth2', 'veth0:x']
    """
    raw_a = a.encode("utf-8", "surrogateescape")
    raw_b = b.encode("utf-8", "surrogateescape")
    stem_a, start_a, number_a, alias_a = _name_parts(raw_a)
    stem_b, start_b, number_b, alias_b = _name_parts(raw_b)
    common = min(start_a, start_b)
    for key_a, key_b in (
        (stem_a[:common], stem_b[:common]),
        (start_a, start_b),
        (number_a, number_b),
        (alias_a is not None, alias_b is not None),
        (alias_a or 0, alias_b or 0),
        (raw_a, raw_b),
    ):
        if key_a != key_b:
            return -1 if key_a < key_b else 1  # type: ignore[operator]
    return 0


def netstat_order(names: Iterable[str]) -> list[str]:
    """Names in the order netstat lists them: each is placed, in the order read, after the
    last listed name that sorts before it (searching from the end), and a name equal to one
    listed is dropped. On names that sort consistently this is simply sorted order.

    >>> netstat_order(["lo", "v1", "v0", "lo", "v0:zoo", "v0:1"])
    ['lo', 'v0', 'v0:1', 'v1', 'v0:zoo']
    """
    listed: list[str] = []
    for name in names:
        place, order = len(listed), 1
        while place > 0:
            order = compare_names(listed[place - 1], name)
            if order <= 0:
                break
            place -= 1
        if order != 0:
            listed.insert(place, name)
    return listed


def _ifreq(name: str) -> bytes:
    # Immutable on purpose: fcntl.ioctl then returns the kernel's answer as new bytes.
    raw = name.encode("utf-8", "surrogateescape")[:15]
    return raw + bytes(_IFREQ - len(raw))


def _ioctl(fd: int, request: int, name: str) -> bytes | None:
    try:
        return fcntl.ioctl(fd, request, _ifreq(name))
    except OSError:
        return None


def _sockaddr4(answer: bytes | None) -> IPv4Address | None:
    # struct sockaddr_in inside the union: family (2), port (2), address (4).
    if answer is None:
        return None
    return IPv4Address(answer[20:24])


def _ipv4_labels(fd: int) -> list[str]:
    """Every IPv4 address label, as SIOCGIFCONF lists them."""
    size = _IFREQ * 64
    while True:
        buffer = array.array("B", bytes(size))
        address, _ = buffer.buffer_info()
        # struct ifconf: int ifc_len, then (aligned) the buffer pointer.
        request = bytearray(struct.pack("@iP", size, address))
        fcntl.ioctl(fd, SIOCGIFCONF, request)
        used = struct.unpack_from("@i", request)[0]
        if used < size:
            break
        size *= 2
    data = buffer.tobytes()[:used]
    return [
        data[i : i + 16].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        for i in range(0, used, _IFREQ)
    ]


def _describe(fd: int, name: str, counters: InterfaceCounters | None) -> Interface:
    flags_answer = fcntl.ioctl(fd, SIOCGIFFLAGS, _ifreq(name))  # raises if the device went away
    flags = struct.unpack_from("@H", flags_answer, 16)[0]
    mtu_answer = _ioctl(fd, SIOCGIFMTU, name)
    mtu = struct.unpack_from("@i", mtu_answer, 16)[0] if mtu_answer else 0
    hw = _ioctl(fd, SIOCGIFHWADDR, name)
    txq = _ioctl(fd, SIOCGIFTXQLEN, name)
    mapped = _ioctl(fd, SIOCGIFMAP, name)
    address = _sockaddr4(_ioctl(fd, SIOCGIFADDR, name))
    return Interface(
        name=name,
        counters=counters,
        flags=flags,
        mtu=mtu,
        hw_type=struct.unpack_from("@H", hw, 16)[0] if hw else None,
        hw_address=hw[18:32] if hw else None,
        txqueuelen=struct.unpack_from("@i", txq, 16)[0] if txq else None,
        address=address,
        netmask=_sockaddr4(_ioctl(fd, SIOCGIFNETMASK, name)) if address else None,
        broadcast=_sockaddr4(_ioctl(fd, SIOCGIFBRDADDR, name)) if address else None,
        destination=(
            _sockaddr4(_ioctl(fd, SIOCGIFDSTADDR, name))
            if address and flags & _IFF_POINTOPOINT
            else None
        ),
        map=struct.unpack_from("@QQHBBB", mapped, 16) if mapped else None,
    )


def read_interfaces(
    proc: ProcFS, down: bool = True
) -> tuple[Iterator[Interface], list[ProcReadError]]:
    """Every interface netstat -i would consider, in its order (without the ones that are not
    up unless ``down``), and any file it could not read (netstat warns and carries on with what
    the ioctls give).

    The interfaces come one by one, as netstat asks the kernel about them: the iterator raises
    ``OSError`` (ENODEV, filename = the name) at the first one the namespace lacks (a name
    /proc/net/dev gives that is no interface here, or one that vanished), after the ones before
    it, which netstat prints before it stops.
    """
    problems: list[ProcReadError] = []
    counters: dict[str, InterfaceCounters] = {}
    try:
        counters = dict(parse_dev_lines(proc.open_text("net/dev")))
    except ProcReadError as exc:
        problems.append(exc)
    try:
        text = "".join(proc.open_text("net/if_inet6"))
        reader = Inet6Reader(text.encode("utf-8", "surrogateescape"))
    except ProcReadError:
        reader = Inet6Reader(b"")
    return _described(counters, reader, down), problems


def _described(
    counters: dict[str, InterfaceCounters], reader: Inet6Reader, down: bool
) -> Iterator[Interface]:
    sock = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
    try:
        fd = sock.fileno()
        for name in netstat_order([*counters, *_ipv4_labels(fd)]):
            try:
                row = _describe(fd, name, counters.get(name))
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, name) from None
            if down or row.flags & _IFF_UP:
                # netstat reads if_inet6 for the interfaces it prints, in order (the reader
                # carries its state from one to the next).
                yield row._replace(inet6=reader.addresses(name))
    finally:
        sock.close()


def vanished(exc: OSError) -> bool:
    """True when an interface ioctl failed because the device is gone."""
    return exc.errno == errno.ENODEV
