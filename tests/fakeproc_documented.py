"""Deliberate differences the generated fake-/proc test accepts (README, "Deliberate differences
from netstat 2.10"): each rule looks at a run where the outputs differ and returns the README
row it is, or None. Keep a rule as narrow as its README row; one section per view.
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Callable

from pnetstat.model import Family, Protocol
from pnetstat.sources.proc_inet import parse_inet_lines
from pnetstat.views.names import escape
from tests.fakeproc import Case, Run
from tests.tools.escape_rule import escape_name

Rule = Callable[[Case, Run], str | None]

# --------------------------------------------------------------------------- sockets
TCP_STATE_ROW = "TCP state numbers >= 12 (never written by Linux)"
TWICE_ROW = (
    "a socket listed twice in one table (the kernel reports it twice while the table changes"
    " under the read, or a short row repeats the row before it)"
)
# Where the State cell of an Internet row is (addresses are cut to 23 columns without -W).
_STATE = slice(68, 79)


def _replaced(before: bytes, after: bytes) -> list[tuple[str, list[bytes], list[bytes]]]:
    """The blocks in which ``after``'s lines differ from ``before``'s: (tag, old, new)."""
    old, new = before.split(b"\n"), after.split(b"\n")
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [
        (tag, old[i1:i2], new[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def _odd_tcp_state(case: Case) -> bool:
    """Whether a TCP file of ``case`` has a row whose state is past netstat's table."""
    for name, family in (("tcp", Family.INET), ("tcp6", Family.INET6)):
        text = case.files.get(name, b"").decode("utf-8", "surrogateescape")
        rows = parse_inet_lines(io.StringIO(text, newline="\n"), Protocol.TCP, family)
        if any(row.state >= 12 for row in rows):
            return True
    return False


def tcp_state_past_table(case: Case, run: Run) -> str | None:
    """netstat reads past its state names (a crash, or garbage such as ``(null)`` in the State
    cell); pnetstat leaves the cell empty. Only rows of a state >= 12 may differ, only there."""
    netstat, pnetstat = run.netstat[0], run.pnetstat
    if not run.flags[0].startswith("-t") or not _odd_tcp_state(case):
        return None
    if netstat[2] < 0:  # killed by a signal: its buffered output is lost
        return TCP_STATE_ROW
    if netstat[1:] != pnetstat[1:]:
        return None
    for tag, old, new in _replaced(netstat[0], pnetstat[0]):
        if tag != "replace" or len(old) != len(new):
            return None
        for theirs, mine in zip(old, new, strict=True):
            blank = mine[_STATE] == b" " * 11
            if not (blank and theirs[:68] == mine[:68] and theirs.endswith(mine[79:])):
                return None
    return TCP_STATE_ROW


def printed_once(case: Case, run: Run) -> str | None:
    """netstat prints a row each time the file lists it; pnetstat shows a socket once. Only
    lines identical to a row printed before them may be missing."""
    netstat, pnetstat = run.netstat[0], run.pnetstat
    if netstat[1:] != pnetstat[1:]:
        return None
    shown = set(pnetstat[0].split(b"\n"))
    for tag, old, _new in _replaced(netstat[0], pnetstat[0]):
        if tag != "delete" or not all(line and line in shown for line in old):
            return None
    return TWICE_ROW


SOCKETS: list[Rule] = [tcp_state_past_table, printed_once]

# --------------------------------------------------------------------------- unix
_BOGUS_UNIX = "warning, got bogus unix line.\n"
# Where a UNIX row's Path cell starts: the 50 columns before the inode, the inode padded to 8.
_UNIX_HEAD = 50


def _unix_path_cell(line: str) -> tuple[str, str]:
    inode = line[_UNIX_HEAD:].split(" ", 1)[0]
    start = _UNIX_HEAD + max(8, len(inode)) + 1
    return line[:start], line[start:]


def _unix_joined(case: Case) -> int:
    """How many lines of the case's /proc/net/unix pnetstat reads as the rest of a path with a
    newline in it (README: "a unix path containing a newline")."""
    from pnetstat.sources.proc_unix import parse_unix_lines

    text = case.files["unix"].decode("utf-8", "surrogateescape")
    rows = parse_unix_lines(io.StringIO(text, newline="\n"))  # lines as pnetstat reads them
    return sum((row.path or "").count("\n") for row in rows)


def unix_escaped_paths(case: Case, run: Run) -> str | None:
    """README rows "a unix path containing C0 controls ..." and "a unix path containing a
    newline": netstat's output with each Path cell escaped (pnetstat.views.names.escape) is
    pnetstat's, except that a path joined across N newlines shows its rest (after ``\\x0a``)
    and netstat's N "bogus unix line" warnings for those lines are not printed (N as
    pnetstat's parser counts them; netstat's text checks every joined row that shows)."""
    from pnetstat.views.names import escape

    (n_out, n_err, n_rc), (p_out, p_err, p_rc) = run.netstat[0], run.pnetstat
    if n_rc != p_rc:
        return None
    theirs = n_out.decode("utf-8", "surrogateescape").split("\n")
    mine = p_out.decode("utf-8", "surrogateescape").split("\n")
    if len(theirs) != len(mine):
        return None
    joins, escaped = 0, False
    for index, (their, my) in enumerate(zip(theirs, mine, strict=True)):
        if their == my:
            continue
        head, their_path = _unix_path_cell(their)
        my_head, my_path = _unix_path_cell(my)
        if index < 2 or head != my_head:
            return None
        shown = escape(their_path)
        if my_path == shown:
            escaped = True
        elif my_path.startswith(shown + "\\x0a") and " " not in my_path:
            joins += 1
        else:
            return None
    expected = _unix_joined(case)
    their_err, my_err = (err.decode("utf-8", "surrogateescape") for err in (n_err, p_err))
    missing = their_err.count(_BOGUS_UNIX) - my_err.count(_BOGUS_UNIX)
    if their_err.replace(_BOGUS_UNIX, "") != my_err.replace(_BOGUS_UNIX, ""):
        return None
    # A joined row may be hidden (-xn), or show the same first word as netstat when the path
    # has a blank before its newline: only the warnings then tell.
    if missing != expected or joins > expected:
        return None
    if expected:
        return "a unix path containing a newline"
    return "a unix path containing C0 controls other than the C blanks" if escaped else None


UNIX: list[Rule] = [unix_escaped_paths]

# --------------------------------------------------------------------------- statistics
STAT_NAMES_ROW = "control characters in `-s` section and counter names"


def _stat_names_escaped(case: Case, run: Run) -> str | None:
    """netstat prints a section or counter name it takes from the file raw, pnetstat escapes
    it: every line that differs is netstat's line through ``escape`` (templates and numbers
    have nothing to escape, so any other difference stays a failure)."""
    out, err, status = run.netstat[0]
    mine_out, mine_err, mine_status = run.pnetstat
    if (mine_err, mine_status) != (err, status):
        return None
    theirs, mine = out.split(b"\n"), mine_out.split(b"\n")
    if len(theirs) != len(mine):
        return None
    for line, my_line in zip(theirs, mine, strict=True):
        if line != my_line:
            text = line.decode("utf-8", "surrogateescape")
            if escape(text).encode("utf-8", "surrogateescape") != my_line:
                return None
    return STAT_NAMES_ROW


STATISTICS: list[Rule] = [_stat_names_escaped]

# --------------------------------------------------------------------------- interfaces
_NO_DEVICE = b": error fetching interface information: "


def _interface_name_escaped(case: Case, run: Run) -> str | None:
    """-i stopping at a name /proc/net/dev gives that no interface has: pnetstat's message names
    it escaped, netstat's raw; stdout and the exit status are the same."""
    theirs, mine = run.netstat[0], run.pnetstat
    if theirs[0] != mine[0] or theirs[2] != mine[2] or _NO_DEVICE not in theirs[1]:
        return None
    name, rest = theirs[1].split(_NO_DEVICE, 1)
    if b"\n" in name or escape_name(name) == name:
        return None
    if mine[1] != escape_name(name) + _NO_DEVICE + rest:
        return None
    return "control characters in interface names"


INTERFACES: list[Rule] = [_interface_name_escaped]

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
    from pnetstat.sources.cscan import fgets_lines
    from pnetstat.sources.sscanf import sscanf

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
    from pnetstat.sources.cscan import fgets_lines
    from pnetstat.sources.sscanf import sscanf

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
