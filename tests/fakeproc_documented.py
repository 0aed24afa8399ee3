"""Deliberate differences the generated fake-/proc test accepts (README, "Deliberate differences
from netstat 2.10"): each rule looks at a run where the outputs differ and returns the README
row it is, or None. Keep a rule as narrow as its README row; one section per view.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from pnetstat.views.names import escape
from tests.fakeproc import Case, Run

Rule = Callable[[Case, Run], str | None]

# --------------------------------------------------------------------------- sockets
SOCKETS: list[Rule] = []

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
