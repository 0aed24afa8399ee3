"""The ``-s`` view: netstat's statistics text from the kernel's counter sections.

This follows netstat 2.10's walk exactly: each known section's keys are looked up with a
binary search over its sentence table (views/stat_tables.py) in netstat's order, so keys that
the unsorted tables hide print raw; unknown sections print their title and their non-zero
counters raw whatever the protocol switches; the indentation state (normal, or inside an ICMP
histogram) carries over from one section to the next, as netstat's does. Titles and keys
that are printed raw go through ``escape`` (control characters made visible), like every other
text pnetstat takes from outside.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping

from ..model_tables import StatSection
from .names import escape
from .stat_tables import HIST_IN, HIST_OUT, NUMBER, OPTIONAL, SILENT, TABLES, Entry

__all__ = ["as_unsigned", "find_entry", "render_statistics"]

_NORMAL = "normal"
_HIST_TITLE = {HIST_IN: "ICMP input histogram:", HIST_OUT: "ICMP output histogram:"}
_U64 = 1 << 64


def as_unsigned(raw: int) -> int:
    """A counter as netstat holds it: strtoull's unsigned 64-bit reading of the number.

    A negative number wraps; one too large for 64 bits, either sign, saturates.

    >>> as_unsigned(-1), as_unsigned(2**64), as_unsigned(-(2**64 - 1)), as_unsigned(7)
    (18446744073709551615, 18446744073709551615, 1, 7)
    """
    if raw >= _U64 or raw <= -_U64:
        return _U64 - 1
    return raw % _U64


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
    sections: Iterable[StatSection],
    enabled: Mapping[str, bool],
    table_names: Mapping[str, str] | Callable[[StatSection], str | None],
) -> Iterator[str]:
    """Lines for ``sections`` in order. ``enabled`` says which known sections the protocol
    switches allow; ``table_names`` gives a known section's sentence table, by section name or
    (netstat knows different sections in different files) as a function of the section."""
    state = _NORMAL
    table_for = table_names if callable(table_names) else _by_name(table_names)
    for section in sections:
        table_name = table_for(section)
        table = TABLES.get(table_name) if table_name else None
        if table is not None:
            # A known section resets the indentation even when its switch is off.
            state = _NORMAL
            if not enabled.get(section.name, False):
                continue
            yield f"{escape(section.name)}:\n"
        else:
            yield f"{escape(section.name)}:\n"
        for key, raw in section.counters:
            value = as_unsigned(raw)
            entry = find_entry(table, key) if table is not None else None
            indent = "    " if state == _NORMAL else "        "
            if entry is None:
                if value:
                    yield f"{indent}{escape(key)}: {value}\n"
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


def _by_name(table_names: Mapping[str, str]) -> Callable[[StatSection], str | None]:
    return lambda section: table_names.get(section.name)
