"""``netstat -r``: one routing table per family of the ``-A`` list, in list order.

``-F`` (the default) shows the FIB, ``-C`` the route cache, both given shows both. Families
without routing tables get netstat's messages and statuses; so do the families Linux dropped
(their files never exist, so their messages are netstat's fixed answers).
"""

from ..errors import MissingColumn, ProcReadError
from ..options import Options
from ..sources.routing import read_ipv6_routes, read_routes
from ..views.routes import render_route4, render_route6
from . import Command, Context

__all__ = ["show_routes"]

# Families netstat can route but Linux dropped: (stdout lines, stderr lines) it prints.
_GONE = {
    "ipx": (["IPX routing not in file /proc/net/ipx/route or /proc/net/ipx_route found."],
            ["No such file or directory"]),
    "ddp": ([], ["Error opening /proc/net/atalk_route: No such file or directory",
                 "DDP (AppleTalk) not configured on this system."]),
    "ax25": (["AX.25 not configured in this system."],
             ["/proc/net/ax25_route: No such file or directory"]),
    "netrom": (["NET/ROM not configured in this system."],
               ["/proc/net/nr_nodes: No such file or directory",
                "/proc/net/nr_neigh: Invalid argument"]),
    "x25": (["X.25 not configured in this system."], []),
    "rose": ([], ["/proc/net/rose_nodes: No such file or directory",
                  "ROSE not configured in this system."]),
}  # fmt: skip


def show_routes(options: Options, context: Context, first: bool = True) -> Command:
    """One pass of ``-r`` (with ``--json``: one document of every table asked for)."""
    if options.json or options.json_lines:
        return (yield from _json(options, context))
    fib = options.fib or not options.cache
    for family in options.families or ("inet",):
        if family in ("inet", "inet6"):
            for cache in ((False,) if fib else ()) + ((True,) if options.cache else ()):
                status = yield from _table(family, cache, options, context)
                if status:
                    return status
        elif family == "bluetooth":
            yield 2, "Address family `bluetooth' not supported.\n"
            return 3
        elif family in _GONE:
            out, err = _GONE[family]
            for line in err:
                yield 2, line + "\n"
            for line in out:
                yield 1, line + "\n"
            return 1
        else:
            yield 2, f"No routing for address family `{family}'.\n"
            return 3
    return 0


def _table(family: str, cache: bool, options: Options, context: Context) -> Command:
    names = None if (options.numeric_hosts or options.symbolic) else context.resolver
    if family == "inet":
        relative = "net/rt_cache" if cache else "net/route"
        try:
            rows = read_routes(context.proc) if not cache else iter(())
            if cache:
                context.proc.open_text(relative).close()  # type: ignore[attr-defined]
        except ProcReadError as exc:
            yield 2, f"{context.proc.path(relative)}: {exc.strerror}\n"
            yield 1, "INET (IPv4) not configured in this system.\n"
            return 1
        try:
            for line in render_route4(rows, options, names, cache):
                yield 1, line
        except MissingColumn as exc:
            # After the title and header; a file without a header line fails silently.
            if exc.column:
                yield 2, f"warning: {exc.path} does not contain required field {exc.column}\n"
            return 1
        return 0
    try:
        rows6 = read_ipv6_routes(context.proc, cache)
    except ProcReadError as exc:
        yield 2, f"{context.proc.path('net/ipv6_route')}: {exc.strerror}\n"
        yield 1, "INET6 (IPv6) not configured in this system.\n"
        return 1
    for line in render_route6(rows6, options, names, cache):
        yield 1, line
    return 0


def _json(options: Options, context: Context) -> Command:
    from ..views.json import SCHEMA_VERSION, dumps, route4_record, route6_record

    names = None if (options.numeric_hosts or options.symbolic) else context.resolver
    records: list[dict[str, object]] = []
    for family in options.families or ("inet",):
        try:
            if family == "inet":
                records.extend(route4_record(r, names) for r in read_routes(context.proc))
            elif family == "inet6":
                records.extend(route6_record(r, names) for r in read_ipv6_routes(context.proc))
            else:
                yield 2, f"No routing for address family `{family}'.\n"
                return 3
        except ProcReadError as exc:
            yield 2, f"{exc.path}: {exc.strerror}\n"
            return 1
        except MissingColumn as exc:
            yield 2, f"warning: {exc.path} does not contain required field {exc.column}\n"
            return 1
    document = {"schema_version": SCHEMA_VERSION, "view": "routes", "routes": records}
    yield 1, dumps(document) + "\n"
    return 0
