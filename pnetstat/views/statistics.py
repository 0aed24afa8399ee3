"""The ``-s`` view: netstat's statistics text from the kernel's counter sections.

This follows netstat 2.10's walk exactly: each known section's keys are looked up with a
binary search over its sentence table (views/stat_tables.py) in netstat's order, so keys that
the unsorted tables hide print raw; unknown sections print their title and their non-zero
counters raw whatever the protocol switches; the indentation state (normal, or inside an ICMP
histogram) carries over from one section to the next, as netstat's does.
"""

from collections.abc import Iterable, Iterator

from ..model import StatSection
from .stat_tables import HIST_IN, HIST_OUT, NUMBER, OPTIONAL, SILENT, TABLES, Entry

__all__ = ["find_entry", "render_statistics"]

_NORMAL = "normal"
_HIST_TITLE = {HIST_IN: "ICMP input histogram:", HIST_OUT: "ICMP output histogram:"}
# Counters are unsigned 64-bit in netstat (strtoull): a "-1" in /proc reads as 2**64 - 1.
_U64 = 1 << 64


def find_entry(table: tuple[Entry, ...], key: str) -> Entry | None:
    """netstat's lookup: a binary search over ``table`` as ordered (it is not always sorted).

    >>> from .stat_tables import TABLES
    >>> find_entry(TABLES["Ip"], "Forwarding") is None, find_entry(TABLES["Ip"], "InReceives")[1]
    (True, 'number')
    """
    lo, hi = 0, len(table)
    while lo < hi:
        mid = (lo + hi) // 2
        probe = table[mid][0]
        if key < probe:
            hi = mid
        elif key > probe:
            lo = mid + 1
        else:
            return table[mid]
    return None


def render_statistics(
    sections: Iterable[StatSection], enabled: dict[str, bool], table_names: dict[str, str]
) -> Iterator[str]:
    """Lines for ``sections`` in order. ``enabled`` says which known sections the protocol
    switches allow; ``table_names`` maps a section name to its sentence table."""
    state = _NORMAL
    for section in sections:
        table_name = table_names.get(section.name)
        table = TABLES.get(table_name) if table_name else None
        if table is not None:
            # A known section resets the indentation even when its switch is off.
            state = _NORMAL
            if not enabled.get(section.name, False):
                continue
            yield f"{section.name}:\n"
        else:
            yield f"{section.name}:\n"
        for key, raw in section.counters:
            value = raw % _U64
            entry = find_entry(table, key) if table is not None else None
            indent = "    " if state == _NORMAL else "        "
            if entry is None:
                if value:
                    yield f"{indent}{key}: {value}\n"
                continue
            kind, template = entry[1], entry[2]
            if kind == SILENT:
                continue
            if kind in _HIST_TITLE:
                if state != kind:
                    yield f"{indent}{_HIST_TITLE[kind]}\n"
                if value > 0:
                    yield "        " + template.replace("{n}", str(value)) + "\n"
                state = kind
            elif kind == NUMBER or (kind == OPTIONAL and value):
                yield "    " + template.replace("{n}", str(value)) + "\n"
                state = _NORMAL
            else:
                state = _NORMAL
