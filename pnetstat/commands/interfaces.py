"""``netstat -i``: the interface table (``-e``: the long form), with netstat's messages."""

import os

from ..options import Options
from ..sources.netdev import read_interfaces, vanished
from ..views.interfaces import render_interface_header, render_interfaces
from ..views.names import escape
from . import Command, Context

__all__ = ["show_interfaces"]


def show_interfaces(options: Options, context: Context, first: bool = True) -> Command:
    """One pass of ``-i``; the title is printed on the first pass only, as netstat does."""
    if options.json or options.json_lines:
        return (yield from _json(options, context))
    if first:
        yield 1, "Kernel Interface table\n"
    rows, problems = read_interfaces(context.proc, down=options.all)
    for problem in problems:
        yield 2, f"Warning: cannot open {problem.path} ({problem.strerror}). Limited output.\n"
    if not options.extend:
        for line in render_interface_header():
            yield 1, line
    try:
        for line in render_interfaces(rows, bool(options.extend), options.all):
            yield 1, line
    except OSError as exc:
        # netstat prints the interfaces before the one it cannot ask about, then stops.
        yield 2, _failure(exc)
        return 1
    return 0


def _failure(exc: OSError) -> str:
    reason = "Device not found" if vanished(exc) else exc.strerror
    name = escape(exc.filename if isinstance(exc.filename, str) else "interface")
    strerror = os.strerror(exc.errno) if exc.errno else str(exc)
    return (
        f"{name}: error fetching interface information: {reason}\n"
        f"missing interface information: {strerror}\n"
    )


def _json(options: Options, context: Context) -> Command:
    from ..views.json import SCHEMA_VERSION, dumps, interface_record

    try:
        rows = list(read_interfaces(context.proc, down=options.all)[0])
    except OSError as exc:
        yield 2, f"{exc.filename or 'interface'}: error fetching interface information\n"
        return 1
    records = [interface_record(r) for r in rows]
    document = {"schema_version": SCHEMA_VERSION, "view": "interfaces", "interfaces": records}
    yield 1, dumps(document) + "\n"
    return 0
