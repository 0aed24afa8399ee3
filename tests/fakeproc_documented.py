"""Deliberate differences the generated fake-/proc test accepts (README, "Deliberate differences
from netstat 2.10"): each rule looks at a run where the outputs differ and returns the README
row it is, or None. Keep a rule as narrow as its README row; one section per view.
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Callable

from pnetstat.model import Family, Protocol
from pnetstat.sources.proc_inet import parse_inet_lines
from pnetstat.views.names import escape
from tests.fakeproc import Case, Run

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
INTERFACES: list[Rule] = []

# --------------------------------------------------------------------------- routes
ROUTES: list[Rule] = []

# --------------------------------------------------------------------------- groups
GROUPS: list[Rule] = []

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
