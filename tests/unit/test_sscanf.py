"""sources.sscanf against the C library's own sscanf (glibc, C locale), on generated input.

netstat reads /proc/net/route, ipv6_route, igmp and igmp6 with sscanf; pnetstat's emulation
must assign the same values and stop at the same place for any text.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pnetstat.sources.sscanf import sscanf

libc = ctypes.CDLL(ctypes.util.find_library("c"))
if not hasattr(libc, "gnu_get_libc_version"):  # pragma: no cover - musl and others
    pytest.skip("the reference is glibc's sscanf", allow_module_level=True)

#: Formats of the kind netstat uses on these files.
FORMATS = [
    "%15s %128s %X %d %d",
    "%4s%4s %02x %08x %15s",
    "%d %15s %64[0-9A-Fa-f] %d",
    " %8[0-9A-Fa-f] %d",
    "%d %15c",
    "%*s %ld %lX %hhx %hx %u",
    "%3d%2x%[^:]:%s",
]
PIECES = ["0", "1", "9", "a", "F", "x", "X", "-", "+", " ", "\t", "\v", "\n", "Z", "_", ":",
          "\xa0", "\u2028", "\x1c", "é", "0x", "ffffffff", "99999999999999999999", "lo"]  # fmt: skip
CONVERSION = re.compile(r"%(\*?)\d*(hh|h|l)?([sdxXuc]|\[[^\]]*\])")


def libc_sscanf(text: str, fmt: str) -> list[int | str]:
    buffers: list[tuple[str, str, object]] = []
    args = []
    for star, size, kind in CONVERSION.findall(fmt):
        if star:
            continue
        if kind in ("s", "c") or kind.startswith("["):
            buffer = ctypes.create_string_buffer(512)
            buffers.append(("s", size, buffer))
            args.append(buffer)
        else:
            number = ctypes.c_uint64(0)
            buffers.append((kind, size, number))
            args.append(ctypes.byref(number))
    count = max(libc.sscanf(text.encode("utf-8", "surrogateescape"), fmt.encode(), *args), 0)
    values: list[int | str] = []
    for kind, size, buffer in buffers[:count]:
        if kind == "s":
            assert isinstance(buffer, ctypes.Array)
            values.append(buffer.value.decode("utf-8", "surrogateescape"))
            continue
        assert isinstance(buffer, ctypes.c_uint64)
        bits = {"": 32, "l": 64, "h": 16, "hh": 8}[size]
        value = buffer.value & ((1 << bits) - 1)
        if kind == "d" and value >> (bits - 1):
            value -= 1 << bits
        values.append(value)
    return values


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join), st.sampled_from(FORMATS))
def test_sscanf_assigns_what_glibc_assigns(text: str, fmt: str) -> None:
    assert sscanf(text, fmt) == libc_sscanf(text, fmt)
