"""glibc's ``sscanf`` in the C locale, for the /proc files netstat reads with one format per
line (routes, multicast groups): ``%s %c %[..] %d %u %x %X`` with ``*``, widths and ``hh/h/l``
(tests/unit/test_sscanf.py holds it to the C library's own ``sscanf``). The number rules
are cscan's.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .cscan import C_BLANKS, cast, scanf_number

__all__ = ["sscanf"]

# One directive of a format: ("skip",) for whitespace, ("literal", char), or
# ("conv", kind, width, bits, assign, scanset) with kind one of "s", "c", "[", "d", "u", "x".
_Directive = tuple[object, ...]
_FORMAT = re.compile(
    r"%(\*?)(\d*)(hh|h|l|ll)?([sdiuxXc]|\[\^?\]?[^\]]*\])|([ \t\n\v\f\r]+)|(.)", re.S
)
_BITS = {"hh": 8, "h": 16, None: 32, "l": 64, "ll": 64}


@lru_cache(maxsize=64)
def _directives(fmt: str) -> tuple[_Directive, ...]:
    out: list[_Directive] = []
    for match in _FORMAT.finditer(fmt):
        star, width, size, kind, blank, literal = match.groups()
        if blank:
            out.append(("skip",))
        elif literal is not None:
            out.append(("literal", literal))
        elif kind.startswith("["):
            out.append(("conv", "[", int(width) if width else 0, 0, not star, _scanset(kind)))
        else:
            kind = {"i": "d", "X": "x"}.get(kind, kind)
            out.append(("conv", kind, int(width) if width else 0, _BITS[size], not star, None))
    return tuple(out)


def _scanset(spec: str) -> tuple[bool, frozenset[str]]:
    """``[abc]``, ``[^abc]`` or ``[0-9A-F]``: (negated, the characters listed)."""
    body = spec[1:-1]
    negated = body.startswith("^")
    body = body[1:] if negated else body
    chars: set[str] = set()
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            chars.update(chr(c) for c in range(ord(body[i]), ord(body[i + 2]) + 1))
            i += 3
        else:
            chars.add(body[i])
            i += 1
    return negated, frozenset(chars)


def sscanf(text: str, fmt: str) -> list[int | str]:
    r"""C's ``sscanf`` as glibc runs it in the C locale, for ``%s``, ``%c``, ``%[...]``,
    ``%d``, ``%i`` (decimal only), ``%u``, ``%x`` and ``%X`` with an optional ``*``, width and
    size (``hh``, ``h``, ``l``): the values assigned before the first failure (their number is
    what sscanf returns). ``%Nc`` at the end of the text gives the characters there are.

    Blanks are C blanks; a width counts UTF-8 bytes (a ``%s`` cut inside a character keeps the
    bytes as surrogate escapes); numbers saturate as strtol/strtoul do and are then stored in a
    C integer of their size (``%d``: a signed 32-bit int, so a huge value reads as -1); the
    rest of a field a conversion did not use is where the next one starts.

    >>> sscanf("eth0 12abc 0x1F", "%2s%s %d%s %x")
    ['et', 'h0', 12, 'abc', 31]
    >>> sscanf("99999999999999999999 -1 0x", "%d %X %x"), sscanf("  ", "%d"), sscanf("5 z", "%d %d")
    ([-1, 4294967295, 0], [], [5])
    >>> sscanf("3\tlo :  ab12:x", "%d %4c %[^:]:%2[0-9a-f]"), sscanf("1 lo", "%d %15c")
    ([3, 'lo :', 'ab12'], [1, 'lo'])
    """
    if not text.isascii():
        # One character per byte, so widths count bytes; %s values are decoded back below.
        text = text.encode("utf-8", "surrogateescape").decode("latin-1")
        return [
            v.encode("latin-1").decode("utf-8", "surrogateescape") if isinstance(v, str) else v
            for v in _sscanf(text, fmt)
        ]
    return _sscanf(text, fmt)


def _sscanf(text: str, fmt: str) -> list[int | str]:
    values: list[int | str] = []
    i, n = 0, len(text)
    for directive in _directives(fmt):
        if directive[0] == "skip":
            while i < n and text[i] in C_BLANKS:
                i += 1
            continue
        if directive[0] == "literal":
            if i < n and text[i] == directive[1]:
                i += 1
                continue
            break
        _, kind, width, bits, assign, scanset = directive
        if kind not in ("c", "["):  # %c and %[ do not skip blanks
            while i < n and text[i] in C_BLANKS:
                i += 1
        if i >= n:
            break  # input failure
        limit = min(n, i + (width or (1 if kind == "c" else n)))  # type: ignore[operator]
        if kind == "c":
            end = limit  # as many characters as there are, up to the width (no terminator)
            value: int | str = text[i:end]
        elif kind == "[":
            spec: tuple[bool, frozenset[str]] = scanset  # type: ignore[assignment]
            negated, chars = spec
            end = i
            while end < limit and (text[end] in chars) != negated:
                end += 1
            if end == i:
                break  # matching failure
            value = text[i:end]
        elif kind == "s":
            end = i
            while end < limit and text[end] not in C_BLANKS:
                end += 1
            value = text[i:end]
        else:
            base = 16 if kind == "x" else 10
            found = scanf_number(text[:limit], i, base, signed=kind == "d")
            if found is None:
                break  # matching failure
            number, end = found
            value = cast(number, int(bits), signed=kind == "d")  # type: ignore[call-overload]
        i = end
        if assign:
            values.append(value)
    return values
