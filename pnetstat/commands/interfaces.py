"""``netstat -i``: the interface table (``-e``: the long form), with netstat's messages."""

from ..options import Options
from ..sources.netdev import read_interfaces, vanished
from ..views.interfaces import render_interface_header, render_interfaces
from . import Command, Context

__all__ = ["show_interfaces"]


def show_interfaces(options: Options, context: Context, first: bool = True) -> Command:
    """One pass of ``-i``; the title is printed on the first pass only, as netstat does."""
    if options.json or options.json_lines:
        return (yield from _json(options, context))
    if first:
        yield 1, "Kernel Interface table\n"
    try:
        rows, problems = read_interfaces(context.proc)
    except OSError as exc:
        reason = "Device not found" if vanished(exc) else exc.strerror
        yield 2, f"{exc.filename or 'interface'}: error fetching interface information: {reason}\n"
        return 1
    for problem in problems:
        yield 2, f"Warning: cannot open {problem.path} ({problem.strerror}). Limited output.\n"
    if not options.extend:
        for line in render_interface_header():
            yield 1, line
    for line in render_interfaces(rows, bool(options.extend), options.all):
        yield 1, line
    return 0


def _json(options: Options, context: Context) -> Command:
    from ..views.json import SCHEMA_VERSION, dumps, interface_record

    try:
        rows, _problems = read_interfaces(context.proc)
    except OSError as exc:
        yield 2, f"{exc.filename or 'interface'}: error fetching interface information\n"
        return 1
    shown = [r for r in rows if options.all or r.flags & 0x1]
    records = [interface_record(r) for r in shown]
    document = {"schema_version": SCHEMA_VERSION, "view": "interfaces", "interfaces": records}
    yield 1, dumps(document) + "\n"
    return 0
