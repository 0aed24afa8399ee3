"""Deliberate differences the generated fake-/proc test accepts (README, "Deliberate differences
from netstat 2.10"): each rule looks at a run where the outputs differ and returns the README
row it is, or None. Keep a rule as narrow as its README row; one section per view.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.fakeproc import Case, Run
from tests.tools.escape_rule import escape_name

Rule = Callable[[Case, Run], str | None]

# --------------------------------------------------------------------------- sockets
SOCKETS: list[Rule] = []

# --------------------------------------------------------------------------- unix
UNIX: list[Rule] = []

# --------------------------------------------------------------------------- statistics
STATISTICS: list[Rule] = []

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
