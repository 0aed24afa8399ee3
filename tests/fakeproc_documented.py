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
UNIX: list[Rule] = []

# --------------------------------------------------------------------------- statistics
STATISTICS: list[Rule] = []

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
