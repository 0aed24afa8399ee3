"""How netstat -i reads /proc/net/dev and /proc/net/if_inet6 (pnetstat/sources/netdev_proc.py).

The C conversions are checked against the C library itself on generated text: CStream and the
counter reader against ``sscanf``, the if_inet6 record reader against ``fscanf`` over the same
bytes (``fmemopen``). The rules learned by running netstat (name parsing, layouts, merging,
carry-over between interfaces) are pinned by the cases observed with net-tools 2.10.
"""

from __future__ import annotations

import ctypes
import random

import pytest

from pnetstat.sources.cscan import CStream
from pnetstat.sources.netdev_proc import (
    Inet6Reader,
    _counters,
    _reads,
    parse_dev_lines,
    parse_dev_name,
)

LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.fmemopen.restype = ctypes.c_void_p
LIBC.fmemopen.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p]
LIBC.fclose.argtypes = [ctypes.c_void_p]

# Pieces that make C's conversions take every branch: signs, 0x prefixes, hex letters, blanks
# C knows and bytes it does not (NBSP, 0x1c, 0x85), overflowing digit runs, non-digits.
PIECES = [b"0", b"1", b"7", b"9", b"a", b"F", b"x", b"X", b"0x", b"0X", b"-", b"+", b" ", b"  ",
          b"\t", b"\n", b"\v", b"\r", b"\xc2\xa0", b"\x1c", b"\x85", b"z", b"_", b":", b"12",
          b"ffff", b"99999999999999999999999", b"18446744073709551616", b"\xd9\xa1"]  # fmt: skip


def _text(rng: random.Random, count: int) -> bytes:
    return b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, count)))


def _sscanf_numbers(data: bytes, conversion: bytes, count: int) -> list[int]:
    """What C's sscanf assigns with ``count`` conversions like ``%llu``."""
    cells = [ctypes.c_ulonglong(0) for _ in range(count)]
    fmt = b" ".join([conversion] * count)
    got = LIBC.sscanf(data, fmt, *(ctypes.byref(c) for c in cells))
    return [c.value for c in cells[: max(got, 0)]]


@pytest.mark.parametrize("seed", range(6))
def test_counters_read_as_sscanf_reads_them(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(500):
        data = _text(rng, 12).replace(b"\0", b"")
        want = _sscanf_numbers(data, b"%llu", 5)
        got = _counters(data.decode("utf-8", "surrogateescape"), 5)
        assert got == want, data


@pytest.mark.parametrize(("width", "conversion"), [(2, b"%2llx"), (8, b"%8llx"), (-1, b"%llx")])
def test_cstream_numbers_as_sscanf(width: int, conversion: bytes) -> None:
    rng = random.Random(width)
    for _ in range(2000):
        data = _text(rng, 6)
        want = _sscanf_numbers(data, conversion, 3)
        stream = CStream(data)
        got = []
        for _ in range(3):
            value = stream.number(width, 16)
            if value is None:
                break
            got.append(value)
        assert got == want, data


def _fscanf_records(data: bytes) -> list[tuple[int, list[bytes], list[int]]]:
    """C's fscanf loop over the if_inet6 record format: (conversions, strings, numbers)."""
    handle = LIBC.fmemopen(data, len(data), b"r")
    assert handle
    fmt = b"%4s%4s%4s%4s%4s%4s%4s%4s %08x %02x %02x %02x %20s\n"
    records = []
    try:
        while True:
            strings = [ctypes.create_string_buffer(32) for _ in range(9)]
            numbers = [ctypes.c_int(0) for _ in range(4)]
            args = [*strings[:8], *(ctypes.byref(n) for n in numbers), strings[8]]
            got = LIBC.fscanf(ctypes.c_void_p(handle), fmt, *args)
            if got == -1:
                return records
            records.append((got, [s.value for s in strings], [n.value for n in numbers]))
    finally:
        LIBC.fclose(handle)


GOOD = b"fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n"


def _if_inet6(rng: random.Random) -> bytes:
    lines = []
    for _ in range(rng.randint(1, 5)):
        line = bytearray(GOOD)
        for _ in range(rng.randint(0, 3)):
            at = rng.randrange(len(line))
            piece = rng.choice(PIECES)
            if rng.random() < 0.5:
                line[at : at + 1] = piece
            else:
                line[at:at] = piece
        lines.append(bytes(line))
    return b"".join(lines)


@pytest.mark.parametrize("seed", range(4))
def test_if_inet6_reads_as_fscanf(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(300):
        data = _if_inet6(rng).replace(b"\0", b"")
        want = _fscanf_records(data)
        got = _reads(data)
        assert len(got) == len(want), data
        for (parts, numbers, device), (count, strings, ints) in zip(got, want, strict=True):
            assert len(parts) + len(numbers) + (device is not None) == count, data
            assert list(parts) == strings[: len(parts)]
            assert list(numbers) == ints[: len(numbers)]
            if device is not None:
                assert device == strings[8]


# Lines netstat 2.10 was given, and the interface name and counters it showed for them.
OBSERVED_NAMES = [
    ("  lo: 1 2", "lo", " 1 2"),
    ("lo 1 2", "lo", " 1 2"),  # a blank ends the name
    ("lo : 1 2", "lo", " : 1 2"),  # ... and then the counters fail at the colon
    ("lo:1: 5", "lo:1", " 5"),  # an alias
    ("lo:1:2: 5", "lo:1", "2: 5"),
    ("lo::1 2", "lo:", "1 2"),  # an alias with no digits
    ("lo:1 2", "lo", "1 2"),  # digits not followed by a colon are counters
    ("lo:12x: 3", "lo", "12x: 3"),
    ("lo\x1c1 2", "lo\x1c1", " 2"),  # 0x1c is no C blank
    ("   \n", "", ""),
    ("y" * 16 + ": 1", "y" * 15, " 1"),
]


@pytest.mark.parametrize(("line", "name", "rest"), OBSERVED_NAMES)
def test_dev_names_as_observed(line: str, name: str, rest: str) -> None:
    assert parse_dev_name(line) == (name, rest)


HEAD = ["Inter-|   Receive   |  Transmit\n", " face |bytes packets compressed|bytes\n"]


def _dev(*lines: str, head: list[str] = HEAD) -> dict[str, tuple[int, ...]]:
    return {name: tuple(c) for name, c in parse_dev_lines([*head, *lines])}


def test_dev_counters_as_observed() -> None:
    sixteen = " ".join(str(n) for n in range(1, 17))
    # A bad field stops the reading; the counters after it stay 0.
    assert _dev("lo: 1 2 3 4 5 x 7")["lo"][:7] == (1, 2, 3, 4, 5, 0, 0)
    # A sign, a wrap, saturation, and "0x10" read as 0 then a stop at the x.
    got = _dev("lo: -1 +2 18446744073709551616 0x10 5")["lo"]
    assert got[:5] == (2**64 - 1, 2, 2**64 - 1, 0, 0)
    # A name given again: its line overwrites the fields it reads, the rest stay.
    got = _dev(f"lo: {sixteen}", "lo: 21 22 23 x")["lo"]
    assert got == (21, 22, 23, *range(4, 17))
    # A line past 511 bytes: the rest is a line of its own, named after its first word.
    got = _dev("lo:" + " " * 600 + sixteen)
    assert got["lo"] == (0,) * 16 and got["1"][:2] == (2, 3)


def test_dev_layout_from_the_second_header_piece() -> None:
    thirteen = " ".join(str(n) for n in range(101, 114))
    old = [HEAD[0], " face |bytes packets|bytes\n"]
    got = _dev("lo: " + thirteen, head=old)["lo"]
    assert got[:6] == (101, 102, 103, 104, 105, 106) and got[6:8] == (0, 0)
    assert got[8:15] == (107, 108, 109, 110, 111, 112, 113)
    oldest = [HEAD[0], " face |packets|\n"]
    got = _dev("lo: " + thirteen, head=oldest)["lo"]
    assert got[0] == 0 and got[1] == 101 and got[8] == 0 and got[9] == 106
    # "compressed" only in the first header line does not count.
    assert _dev("lo: " + thirteen, head=[HEAD[0] + "compressed", old[1]])["lo"][8] == 107


def test_if_inet6_carry_over_as_observed() -> None:
    one = b"00000000000000000000000000000001 01 80 10 80 lo\n"
    five = b"fd000000000000000000000000000005 04 40 00 80 eth0\n"
    bad = b"zz000000000000000000000000000000 01 80 10 80 lo\n"
    # An address that does not parse keeps the last one parsed for this interface, not the
    # last one in the file.
    reader = Inet6Reader(one + five + bad)
    assert [str(a.address) for a in reader.addresses("lo")] == ["::1", "::1"]
    # ... and, for the next interface, the last one parsed for the interface before.
    reader = Inet6Reader(bad.replace(b"lo", b"eth0") + one)
    reader.addresses("lo")
    assert [str(a.address) for a in reader.addresses("eth0")] == ["::1"]
    # A prefix length that does not fit %02x shifts the following reads out of step.
    shifted = one.replace(b" 80 10", b" 123 10") + one
    assert [a.prefix_len for a in Inet6Reader(shifted).addresses("lo")] == []
    # Printing a compat (0x80) scope clears the bit for a read that does not set it again.
    compat = b"00000000000000000000000000000001 01 10 80 80 lo\n"
    short = b"00000000000000000000000000000002 01 10\n"
    scopes = [a.scope for a in Inet6Reader(compat + short).addresses("lo")]
    assert scopes == [0x80, 0]


def test_if_inet6_device_name_starts_over_for_each_interface() -> None:
    # netstat -ie (fake-/proc seed 202145): a first read that stops before the device name
    # prints nothing, even for the interface the file's last read names. Here the first read
    # stops at "zz"; the second reads "zz" and the next line as one record for eth0.
    first = b"fe80000000000000000000000000000a 04 40 20 zz\n"
    second = b"0000 0000 0000 0000 0000 0000 0001 01 80 10 80 eth0\n"
    reader = Inet6Reader(first + second)
    assert reader.addresses("lo") == ()
    assert [str(a.address) for a in reader.addresses("eth0")] == ["::"]


@pytest.mark.parametrize("seed", range(3))
def test_if_inet6_lookup_by_device_is_the_careful_reading(seed: int) -> None:
    """An ordinary file is looked up by device; it must give what reading it again per
    interface gives."""
    rng = random.Random(seed)
    devices = ["lo", "eth0", "eth1", "veth0"]
    data = b"".join(
        b"%032x %02x %02x %02x %02x %s\n"
        % (rng.getrandbits(128), rng.randrange(256), rng.randrange(129), rng.choice((0, 0x20,
           0x80, 0x90)), rng.randrange(256), rng.choice(devices).encode())
        for _ in range(rng.randint(0, 12))
    )  # fmt: skip
    quick, careful = Inet6Reader(data), Inet6Reader(data)
    careful._by_device = None
    for device in rng.sample(devices, len(devices)):
        assert quick.addresses(device) == careful.addresses(device)
