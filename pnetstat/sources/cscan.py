"""How netstat's C reading sees a /proc line: fields, numbers and line pieces.

netstat reads /proc with the C library, so a malformed line means what ``fgets``, ``sscanf`` and
``strtoul`` make of it, not what Python's ``str.split`` and ``int`` would (rules found by running
netstat 2.10 on fake /proc trees: tests/test_malformed_proc.py):

* fields are separated by the C locale's blanks only (space, tab, newline, vertical tab, form
  feed, carriage return); NBSP, U+2028 or the bytes 0x1c-0x1f are part of a field
  (``str.split`` would split there);
* numbers are read as C reads them: ASCII digits only, an optional sign and ``0x`` prefix, a
  value that overflows saturates, a minus sign negates modulo 2**64, and the result is then cut to
  the C type it is stored in;
* a line is read in pieces of at most ``size - 1`` bytes (``fgets`` with a buffer of ``size``):
  the rest of a longer line is read as a line of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

__all__ = [
    "C_BLANKS",
    "CStream",
    "cast",
    "fgets_lines",
    "fields",
    "scanf_number",
    "strtol",
    "strtoul",
]

#: isspace() in the C locale.
C_BLANKS = " \t\n\v\f\r"
_SPLIT = re.compile("[ \t\n\v\f\r]+")
# A character str.split() treats as whitespace and C does not (NBSP, U+2028, 0x1c-0x1f, ...).
_OTHER_SPACE = re.compile("[^\\S \t\n\v\f\r]")

ULONG_MAX = (1 << 64) - 1
LONG_MAX = (1 << 63) - 1
LONG_MIN = -(1 << 63)


def fields(line: str, maxsplit: int = -1) -> list[str]:
    """``line`` split on C blanks only (``str.split`` with C's idea of a blank).

    >>> fields("  a\\tb  c\\n"), fields("a\\xa0b c"), fields("a\\x1cb\\u2028c d", 1)
    (['a', 'b', 'c'], ['a\\xa0b', 'c'], ['a\\x1cb\\u2028c', 'd'])
    """
    if _OTHER_SPACE.search(line) is None:
        return line.split(None, maxsplit)
    text = line.lstrip(C_BLANKS)
    if maxsplit < 0:
        text = text.rstrip(C_BLANKS)
    if maxsplit == 0 or not text:
        return [text] if text else []
    parts = _SPLIT.split(text, max(maxsplit, 0))
    if parts and parts[-1] == "":
        parts.pop()
    return parts


def _digits(text: str, start: int, base: int) -> tuple[int, int]:
    """The value of the ASCII digits of ``base`` from ``start``, and where they end."""
    end = start
    value = 0
    while end < len(text):
        char = text[end]
        if "0" <= char <= "9":
            digit = ord(char) - 48
        elif "a" <= char <= "z":
            digit = ord(char) - 87
        elif "A" <= char <= "Z":
            digit = ord(char) - 55
        else:
            break
        if digit >= base:
            break
        value = value * base + digit
        end += 1
    return value, end


def _scan(text: str, base: int) -> tuple[bool, int, int]:
    """(negative, magnitude, end) of the number at the start of ``text``; end 0: no number."""
    i = len(text) - len(text.lstrip(C_BLANKS))
    negative = False
    if i < len(text) and text[i] in "+-":
        negative = text[i] == "-"
        i += 1
    if base == 16 and text[i : i + 2] in ("0x", "0X"):
        value, end = _digits(text, i + 2, 16)
        if end > i + 2:
            return negative, value, end
        return negative, 0, i + 1  # "0x" and no digit: the "0" is the number
    value, end = _digits(text, i, base)
    return negative, value, (end if end > i else 0)


def strtoul(text: str, base: int = 10) -> tuple[int, int]:
    """C's ``strtoul`` (64-bit ``unsigned long``): (value, characters used; 0 if none).

    >>> strtoul("12abc"), strtoul("-5"), strtoul("0x"), strtoul("FFFFFFFFFFFFFFFFF", 16)
    ((12, 2), (18446744073709551611, 2), (0, 1), (18446744073709551615, 17))
    """
    negative, value, end = _scan(text, base)
    if value > ULONG_MAX:
        return ULONG_MAX, end
    return ((-value) & ULONG_MAX if negative else value), end


def strtol(text: str, base: int = 10) -> tuple[int, int]:
    """C's ``strtol`` (64-bit ``long``): saturates at LONG_MIN and LONG_MAX.

    >>> strtol("-5"), strtol("99999999999999999999"), strtol("-99999999999999999999")
    ((-5, 2), (9223372036854775807, 20), (-9223372036854775808, 21))
    """
    negative, value, end = _scan(text, base)
    value = -value if negative else value
    return max(LONG_MIN, min(LONG_MAX, value)), end


def cast(value: int, bits: int, signed: bool = False) -> int:
    """``value`` stored in a C integer of ``bits`` bits (two's complement, wrapping).

    >>> cast(1 << 32 | 5, 32), cast(0xFFFFFFFF, 32, signed=True), cast(70000, 16)
    (5, -1, 4464)
    """
    value &= (1 << bits) - 1
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


def fgets_lines(lines: Iterable[str], size: int) -> Iterator[str]:
    """``lines`` as ``fgets`` with a buffer of ``size`` bytes returns them: a line of ``size - 1``
    UTF-8 bytes or more (its newline included) comes in pieces of ``size - 1`` bytes.

    >>> list(fgets_lines(["abcdefg\\n", "xy\\n"], 4))
    ['abc', 'def', 'g\\n', 'xy\\n']
    """
    limit = size - 1
    for line in lines:
        if len(line) * 4 < limit:  # no UTF-8 text of this length can reach the limit
            yield line
            continue
        data = line.encode("utf-8", "surrogateescape")
        if len(data) <= limit:
            yield line
            continue
        for start in range(0, len(data), limit):
            yield data[start : start + limit].decode("utf-8", "surrogateescape")


def scanf_number(
    text: str, pos: int, base: int = 10, signed: bool = False
) -> tuple[int, int] | None:
    """The ``%d`` (``signed``) or ``%u``/``%X`` conversion of ``sscanf`` at ``pos``: (value as
    ``strtol``/``strtoul`` gives it, end), or None when no number is there (a matching failure).

    Leading C blanks are skipped; a ``0x`` prefix (base 16) is consumed even with no hex digit
    after it, the number then being 0 (glibc cannot push two characters back).

    >>> scanf_number(" 0x:1", 0, 16), scanf_number("-1", 0, 16), scanf_number("\\xa01", 0)
    ((0, 3), (18446744073709551615, 2), None)
    """
    end = len(text)
    while pos < end and text[pos] in C_BLANKS:
        pos += 1
    start = pos
    if pos < end and text[pos] in "+-":
        pos += 1
    if base == 16 and text[pos : pos + 2] in ("0x", "0X"):
        stop = _digits(text, pos + 2, 16)[1]
        if stop == pos + 2:
            return 0, stop
        digits = text[start:pos] + text[pos + 2 : stop]
    else:
        stop = _digits(text, pos, base)[1]
        if stop == pos:
            return None
        digits = text[start:stop]
    return (strtol(digits, base) if signed else strtoul(digits, base))[0], stop


_BLANK_BYTES = b" \t\n\v\f\r"


class CStream:
    """Bytes read the way ``fscanf`` reads a file: one conversion at a time, each consuming
    what it matched, so a malformed field throws the following conversions out of step (the
    next record starts where the failing one stopped, as it does in C).

    ``string`` is ``%Ns``, ``number`` is ``%Nx``/``%Nu``/``%Nd``; both skip C blanks first and
    return None on failure (end of data, or no number there: a sign is consumed, the byte
    that failed is not).

    >>> s = CStream(b" ab12 0x 1F -z 7")
    >>> s.string(2), s.string(4), s.number(2, 16), s.number(2, 16), s.number(2, 16), s.string(1)
    (b'ab', b'12', 0, 31, None, b'z')
    >>> s.number(-1, 10), s.at_end(), s.number(2, 16)
    (7, True, None)
    """

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def at_end(self) -> bool:
        """True when only blanks are left (a ``%s`` here would be an input failure)."""
        data, pos = self.data, self.pos
        while pos < len(data) and data[pos] in _BLANK_BYTES:
            pos += 1
        self.pos = pos
        return pos >= len(data)

    def string(self, width: int) -> bytes | None:
        """``%Ns``: up to ``width`` non-blank bytes."""
        if self.at_end():
            return None
        data, start = self.data, self.pos
        end = start
        while end < len(data) and end - start < width and data[end] not in _BLANK_BYTES:
            end += 1
        self.pos = end
        return data[start:end]

    def number(self, width: int, base: int) -> int | None:
        """``%Nx`` (base 16), ``%Nu``/``%Nd`` (base 10); ``width`` -1 for none. The width counts
        a sign and a ``0x`` prefix; the value is ``strtoul``'s (so ``-1`` is 2**64-1; cut it
        to the C type with :func:`cast`)."""
        if self.at_end():
            return None
        data, pos = self.data, self.pos
        end = len(data) if width < 0 else min(len(data), pos + width)
        text = data[pos:end].decode("latin-1")  # one character per byte: offsets carry over
        found = scanf_number(text, 0, base)
        if found is None:
            self.pos = pos + (text[:1] in ("+", "-"))  # a sign is read, the failing byte not
            return None
        value, used = found
        self.pos = pos + used
        return value
