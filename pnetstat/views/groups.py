"""The ``-g`` table: multicast group memberships, as netstat prints them."""

from collections.abc import Iterable, Iterator

from ..model_tables import GroupMembership
from ..options import Options
from ..resolve import Resolver
from .names import escape, format_host, ljust_bytes

__all__ = ["render_group_header", "render_group_rows"]


def render_group_header(options: Options) -> Iterator[str]:
    """The three header lines (printed even when no file can be read)."""
    yield "IPv6/IPv4 Group Memberships\n"
    yield "Interface       RefCnt Group\n"
    yield "--------------- ------ ---------------------\n"


def render_group_rows(
    rows: Iterable[GroupMembership], options: Options, resolver: Resolver | None
) -> Iterator[str]:
    """One line per membership: the group is named as socket addresses are, never cut."""
    for row in rows:
        group = format_host(row.group, options.numeric_hosts, resolver)
        # C's %-15s pads by bytes, so a multibyte name stays aligned as netstat aligns it.
        yield "%s %-6d %s\n" % (ljust_bytes(escape(row.device), 15), row.users, group)
