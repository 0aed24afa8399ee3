"""Deliberate differences the generated fake-/proc test accepts (README, "Deliberate differences
from netstat 2.10"): each rule looks at a run where the outputs differ and returns the README
row it is, or None. Keep a rule as narrow as its README row; one section per view.
"""

from __future__ import annotations

from collections.abc import Callable

from pnetstat.views.names import escape
from tests.fakeproc import Case, Run

Rule = Callable[[Case, Run], str | None]

# --------------------------------------------------------------------------- sockets
SOCKETS: list[Rule] = []

# --------------------------------------------------------------------------- unix
UNIX: list[Rule] = []

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
