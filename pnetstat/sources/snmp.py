"""Protocol counters: /proc/net/snmp, /proc/net/netstat, /proc/net/snmp6, /proc/net/sctp/snmp.

``read_*`` open a file (``Unsupported`` when the kernel has none) and return its sections;
``parse_*`` are pure. The first two files hold pairs of lines (``Ip: Forwarding DefaultTTL
...`` then ``Ip: 1 64 ...``); snmp6 and sctp/snmp hold one ``Key value`` per line, the
section being the key's prefix up to its first ``6`` (snmp6) or ``Sctp``.

Each parser reads its file the way netstat 2.10 does (verified against the binary with
hand-written files), so that what the view prints is what netstat prints even for files the
kernel never writes: values are the numbers as written (``-1`` stays ``-1``; the view reads
them as unsigned 64-bit, as netstat does), a value that is not a number counts as 0, and the
separators are netstat's, not Python's ``str.split``.
"""

import re
from collections.abc import Iterable

from ..errors import ParseError
from ..model_tables import StatSection
from .cscan import fgets_lines
from .procfs import ErrorHandler, ProcFS, ignore_errors

__all__ = [
    "parse_key_value_lines",
    "parse_paired_lines",
    "parse_sctp_lines",
    "read_stat_file",
]

# netstat splits keys on these three only (strcspn " \t\n"): "\r" or "\v" stay in a key.
_KEYS = re.compile(r"[^ \t\n]+")
_SEPARATOR = re.compile(r"[ \t\n]")
# strtoull: C isspace, an optional sign, decimal digits.
_NUMBER = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)")
# sscanf("%s %llu"): a word of non-isspace characters, then a number after any spaces.
_WORD = re.compile(r"[ \t\n\v\f\r]*([^ \t\n\v\f\r]+)")
# netstat reads /proc/net/snmp6 with a 1024-byte fgets buffer (snmp and netstat: whole lines).
_SNMP6_LINE = 1024


def _c_string(line: str) -> str:
    """``line`` as a C string: up to its first NUL (netstat sees nothing after one).

    >>> _c_string("Ip6In\\0Receives 4\\n"), _c_string("Udp: 1\\n")
    ('Ip6In', 'Udp: 1\\n')
    """
    nul = line.find("\0")
    return line if nul < 0 else line[:nul]


def _strtoull(text: str, position: int) -> tuple[int, int]:
    """netstat's strtoull(np, &np, 10) at ``position``: (value, new position).

    No digits: 0 and the position unchanged, so every later value of the line reads 0 too.

    >>> _strtoull(" 12 x", 0), _strtoull("x 3", 0), _strtoull("-1", 0)
    ((12, 3), (0, 0), (-1, 2))
    """
    match = _NUMBER.match(text, position)
    if match is None:
        return 0, position
    return int(match.group(1)), match.end()


def parse_paired_lines(
    lines: Iterable[str], source: str, on_error: ErrorHandler = ignore_errors
) -> list[StatSection]:
    """Sections of /proc/net/snmp or /proc/net/netstat.

    Lines are taken in pairs (an empty line where a pair starts is skipped), each line ending
    at a NUL if it has one, as a C string does; the section's name
    is the first line's text before its colon, its keys the words after it, its values read
    one by one from the second line after its colon (a missing value reads 0). A pair either
    of whose lines has no colon ends the file for netstat: reported once to ``on_error``.

    >>> [s.counters for s in parse_paired_lines(["Udp: InDatagrams NoPorts", "Udp: 5 2"], "snmp")]
    [(('InDatagrams', 5), ('NoPorts', 2))]
    """
    sections: list[StatSection] = []
    numbered = enumerate(lines, 1)
    for lineno, line in numbered:
        header = _c_string(line)
        if header.startswith("\n"):
            continue
        second = next(numbered, None)
        if second is None:
            break
        values = _c_string(second[1])
        title, colon, keys = header.partition(":")
        value_colon = values.find(":")
        if not colon or value_colon < 0:
            bad = header if not colon else values
            on_error(ParseError(source, lineno if not colon else second[0], bad.rstrip("\n")))
            break
        position = value_colon + 1
        counters = []
        for key in _KEYS.findall(keys):
            position = len(values) - len(values[position:].lstrip(" \t\n"))
            value, position = _strtoull(values, position)
            counters.append((key, value))
        sections.append(StatSection(source, title, tuple(counters)))
    return sections


def parse_key_value_lines(lines: Iterable[str], source: str) -> list[StatSection]:
    """Sections of /proc/net/snmp6: ``Key value`` per line.

    A new section begins at the first line and at a key that does not contain the current
    section's name, its name being the key up to its first ``6`` (all of it without one). As
    netstat reads the file: in pieces of at most 1023 bytes (a longer line is several lines),
    each with ``sscanf("%s %llu")``, keeping what a line does not give: a key without a number
    takes the previous number, a line without a word (blank, the blank middle of a long line,
    or one starting with a NUL) repeats the previous counter, and before any of them the key is
    empty and the number 0 (so a blank first line starts a section named ``""``, which contains
    every key).

    >>> [(s.name, len(s.counters)) for s in parse_key_value_lines(
    ...     ["Ip6InReceives 3", "Ip6OutRequests 4", "Icmp6InMsgs 1", "Udp6InErrors 0"], "snmp6")]
    [('Ip6', 2), ('Icmp6', 1), ('Udp6', 1)]
    >>> [(s.name, s.counters) for s in parse_key_value_lines(["x6 1", "\\n", "4"], "snmp6")]
    [('x6', (('x6', 1), ('x6', 1))), ('4', (('4', 1),))]
    """
    sections: list[StatSection] = []
    name: str | None = None
    counters: list[tuple[str, int]] = []
    key, value = "", 0
    for piece in fgets_lines(lines, _SNMP6_LINE):
        line = _c_string(piece)
        word = _WORD.match(line)
        if word is not None:
            key = word.group(1)
            number = _NUMBER.match(line, word.end())
            if number is not None:
                value = int(number.group(1))
        if name is None or name not in key:
            if name is not None:
                sections.append(StatSection(source, name, tuple(counters)))
            six = key.find("6")
            name = key[: six + 1] if six >= 0 else key
            counters = []
        counters.append((key, value))
    if name is not None:
        sections.append(StatSection(source, name, tuple(counters)))
    return sections


def parse_sctp_lines(lines: Iterable[str], source: str) -> StatSection:
    """The ``Sctp`` section of /proc/net/sctp/snmp: ``Key value`` per line.

    As netstat reads it: the key is the line up to its first space, tab or newline (so a line
    starting with a space has an empty key), a line with nothing after the key is skipped, and
    a value that is not a number reads 0.

    >>> parse_sctp_lines(["SctpCurrEstab   \\t2\\n", "SctpAborteds\\n"], "sctp").counters
    (('SctpCurrEstab', 2),)
    """
    counters = []
    for line in lines:
        separator = _SEPARATOR.search(line)
        if separator is None:
            continue
        key = line[: separator.start()]
        # netstat ends the key at the separator and reads on from the character after it.
        rest = line[separator.end() :].lstrip(" \t\n")
        if rest:
            counters.append((key, _strtoull(rest, 0)[0]))
    return StatSection(source, "Sctp", tuple(counters))


def read_stat_file(
    proc: ProcFS, relative: str, on_error: ErrorHandler = ignore_errors
) -> list[StatSection]:
    """Read one counter file (``net/snmp``, ``net/netstat``, ``net/snmp6``, ``net/sctp/snmp``)."""
    return parse_stat_lines(proc.open_text(relative), relative, on_error)


def parse_stat_lines(
    lines: Iterable[str], relative: str, on_error: ErrorHandler = ignore_errors
) -> list[StatSection]:
    """The sections of counter file ``relative`` from its ``lines`` (the right parser for it)."""
    if relative in ("net/snmp", "net/netstat"):
        return parse_paired_lines(lines, relative, on_error)
    if relative == "net/sctp/snmp":
        return [parse_sctp_lines(lines, relative)]
    return parse_key_value_lines(lines, relative)
