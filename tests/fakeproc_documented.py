"""Deliberate differences the generated fake-/proc test accepts (README, "Deliberate differences
from netstat 2.10"): each rule looks at a run where the outputs differ and returns the README
row it is, or None. Keep a rule as narrow as its README row; one section per view.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.fakeproc import Case, Run

Rule = Callable[[Case, Run], str | None]

# --------------------------------------------------------------------------- sockets
SOCKETS: list[Rule] = []

# --------------------------------------------------------------------------- unix
UNIX: list[Rule] = []

# --------------------------------------------------------------------------- statistics
STATISTICS: list[Rule] = []

# --------------------------------------------------------------------------- interfaces
INTERFACES: list[Rule] = []

# --------------------------------------------------------------------------- shared helpers

CONTROL_NAMES = "control characters in interface names"


def _escapable(byte: int) -> bool:
    """A byte pnetstat's ``escape`` rewrites (C0, DEL, a raw or UTF-8-encoded C1 byte)."""
    return byte < 0x20 or 0x7F <= byte <= 0x9F or byte == 0xC2


def _differs_by_escapes(a: bytes, b: bytes) -> bool:
    """Line ``a`` (netstat) first differs from ``b`` (pnetstat) where netstat printed a control
    character (or a backslash) raw and pnetstat a backslash."""
    i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
    if i >= len(b) or b[i] != 0x5C:  # backslash
        return False
    return (i < len(a) and _escapable(a[i])) or (i > 0 and a[i - 1] == 0x5C)


def _lines_differ_by_escapes(run: Run) -> bool:
    """Same status, stderr and line count; every differing stdout line differs by escapes."""
    (out, err, rc), (mine, mine_err, mine_rc) = run.netstat[0], run.pnetstat
    if (err, rc) != (mine_err, mine_rc):
        return False
    theirs, ours = out.split(b"\n"), mine.split(b"\n")
    if len(theirs) != len(ours):
        return False
    return all(a == b or _differs_by_escapes(a, b) for a, b in zip(theirs, ours, strict=True))


_OUR_ESCAPES = re.compile(rb"\\x[0-9a-f]{2}|\\u00[0-9a-f]{2}")
_CONTROLS = re.compile(rb"[\x00-\x1f\x7f-\x9f]|\xc2[\x80-\x9f]")
_BLANKS = re.compile(rb"[ \t\n\v\f\r]+")


def _same_but_escapes(run: Run) -> bool:
    """Same status and stderr; stdout the same once netstat's raw control characters and
    pnetstat's escapes of them (and all blanks: a raw newline or tab in a name moves netstat's
    columns and lines) are left out. netstat must have printed a control character (a newline
    in a name shows as more lines)."""
    (out, err, rc), (mine, mine_err, mine_rc) = run.netstat[0], run.pnetstat
    if (err, rc) != (mine_err, mine_rc):
        return False
    raw_newline = out.count(b"\n") > mine.count(b"\n")  # a newline inside a name
    text = out.replace(b"\n", b"").decode("utf-8", "surrogateescape")
    if not raw_newline and not re.search("[\x00-\x1f\x7f-\x9f\udc80-\udc9f]", text):
        return False
    theirs = _BLANKS.sub(b"", _CONTROLS.sub(b"", out))
    ours = _OUR_ESCAPES.sub(b"", mine).replace(b"\\\\", b"\\")
    ours = _BLANKS.sub(b"", _CONTROLS.sub(b"", ours))  # (0x80-0x9f inside UTF-8 text too)
    return theirs == ours


def escaped_names(case: Case, run: Run) -> str | None:
    """An interface name with control characters: pnetstat escapes it (README row)."""
    return CONTROL_NAMES if _lines_differ_by_escapes(run) or _same_but_escapes(run) else None


# --------------------------------------------------------------------------- routes

ROUTE_UNINITIALISED = "a malformed first route row (netstat prints uninitialised memory)"


def _lines(data: bytes) -> list[str]:
    """A file's lines as pnetstat reads them (split after each newline only)."""
    text = data.decode("utf-8", "surrogateescape")
    return [line + "\n" for line in text.split("\n")[:-1]] + [text.rpartition("\n")[2]][
        : 1 if not text.endswith("\n") else 0
    ]


def _only_rows_differ(run: Run, rows: range, columns: slice | None = None) -> bool:
    """Same status, stderr and line count, and stdout differs only in table ``rows`` (0: the
    first row after the two title lines), and there only in ``columns`` if given (other lines
    may differ by escaped control characters)."""
    (out, err, rc), (mine, mine_err, mine_rc) = run.netstat[0], run.pnetstat
    theirs, ours = out.split(b"\n"), mine.split(b"\n")
    if (err, rc) != (mine_err, mine_rc) or len(theirs) != len(ours):
        return False
    for k, (a, b) in enumerate(zip(theirs, ours, strict=True)):
        if a == b or _differs_by_escapes(a, b):
            continue
        if k - 2 not in rows or (columns is not None and len(a) != len(b)):
            return False
        if columns is not None and (a[: columns.start] + a[columns.stop :]) != (
            b[: columns.start] + b[columns.stop :]
        ):
            return False
    return True


def uninitialised_mask(case: Case, run: Run) -> str | None:
    """/proc/net/route: an UP row shown before any UP row had a mask netstat could convert
    prints its Genmask from uninitialised memory (pnetstat: 0.0.0.0)."""
    if "route" not in case.files or run.flags[0] not in ("-rn", "-rne", "-rnee"):
        return None
    from pnetstat.errors import MissingColumn
    from pnetstat.sources import routing
    from pnetstat.sources.cscan import fgets_lines, sscanf

    pieces = fgets_lines(_lines(case.files["route"]), routing.LINE_BUFFER)
    try:
        fmt, names = routing._route4_format("", next(pieces, None))
    except MissingColumn:
        return None
    row: dict[str, object] = {}
    shown = 0
    for piece in pieces:
        values = sscanf(piece, fmt)
        row.update(zip(names, values, strict=False))
        if len(values) < 10 or not int(str(row.get("Flags", 0))) & 1:
            continue
        if routing._ipv4(str(row.get("Mask", ""))) is not None:
            break
        shown += 1
    if shown and _only_rows_differ(run, range(shown), slice(32, 47)):
        return ROUTE_UNINITIALISED
    return None


def uninitialised_route6(case: Case, run: Run) -> str | None:
    """/proc/net/ipv6_route: the rows before the first line with all 31 fields print what the
    earlier lines did not assign from uninitialised memory (pnetstat: 0 and "")."""
    if "ipv6_route" not in case.files or "inet6" not in run.flags:
        return None
    from pnetstat.sources import routing
    from pnetstat.sources.cscan import fgets_lines, sscanf

    pieces = fgets_lines(_lines(case.files["ipv6_route"]), routing.LINE_BUFFER)
    first_full = next(
        (k for k, piece in enumerate(pieces) if len(sscanf(piece, routing._FORMAT6)) == 31), 0
    )
    if first_full and _only_rows_differ(run, range(first_full)):
        return ROUTE_UNINITIALISED
    return None


ROUTES: list[Rule] = [escaped_names, uninitialised_mask, uninitialised_route6]

# --------------------------------------------------------------------------- groups
GROUPS: list[Rule] = [escaped_names]

BY_GROUP: dict[str, list[Rule]] = {
    "sockets": SOCKETS,
    "unix": UNIX,
    "statistics": STATISTICS,
    "interfaces": INTERFACES,
    "routes": ROUTES,
    "groups": GROUPS,
}


def documented(group: str, case: Case, run: Run) -> str | None:
    """The README row that explains this run's difference, if one does."""
    for rule in BY_GROUP[group]:
        row = rule(case, run)
        if row is not None:
            return row
    return None
