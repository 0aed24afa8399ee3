"""The ``-g`` part of the socket listing: IPv4 memberships, then IPv6 ones.

netstat prints the header even when it can read nothing; a missing /proc/net/igmp is "no
support" (status 1), a missing igmp6 is passed over. On later ``-c`` passes netstat 2.10
parses igmp with the IPv6 parser and prints garbage; pnetstat prints the right table every
pass (README, deliberate differences).
"""

from ..errors import ForeignFormat, ParseError, ProcReadError, Unsupported
from ..options import Options
from ..sources.igmp import read_igmp, read_igmp6
from ..views.groups import render_group_header, render_group_rows
from . import Command, Context, no_support

__all__ = ["list_groups"]


def list_groups(options: Options, context: Context) -> Command:
    """The group table of one listing pass."""
    for line in render_group_header(options):
        yield 1, line
    names = None if options.numeric_hosts else context.resolver
    for reader, word, wanted in ((read_igmp, "igmp", options.inet),
                                 (read_igmp6, "igmp6", options.inet6)):  # fmt: skip
        if not wanted:
            continue
        warnings: list[ParseError] = []
        try:
            rows = reader(context.proc, warnings.append)
        except Unsupported:
            if word == "igmp" and not options.protocols_implied:
                # The same rule as for the socket tables: -4/-6 imply protocols and silence it.
                yield no_support("AF INET (igmp)")
                return 1
            continue
        except ProcReadError as exc:
            yield 2, f"{exc.path}: {exc.strerror}\n"
            return 1
        for line in render_group_rows(rows, options, names):
            yield from _warnings(warnings, word)
            yield 1, line
        yield from _warnings(warnings, word)
    return 0


def _warnings(errors: list[ParseError], word: str) -> Command:
    """netstat's words for the bogus lines so far (numbered from 0, the igmp header)."""
    for error in errors:
        kind = error.format if isinstance(error, ForeignFormat) else word
        yield 2, f"warning, got bogus {kind} line {error.lineno - 1}.\n"
    errors.clear()
    return 0
