"""netstat's program logic for each mode: which sections it prints, in which order, which
messages it gives and which exit status it ends with.

A command is a generator of ``(stream, text)`` pairs (1 = stdout, 2 = stderr) that returns the
exit status; it reads through the sources and formats through the views, and only the CLI
writes what it yields. The message texts here are netstat's own words.
"""

from __future__ import annotations

from collections.abc import Generator

from .._typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ..filters.tree import Filter
    from ..model import OwnerMap
    from ..model_tables import Namespace
    from ..resolve import Resolver
    from ..sources.procfs import ProcFS

__all__ = ["Command", "Context", "no_support"]

# What a command yields: (1, line) for stdout, (2, line) for stderr, (0, "") when what it
# wrote should reach the reader now (the end of a --watch pass); it returns the status.
Command = Generator[tuple[int, str], None, int]


class Context(NamedTuple):
    """What a command reads through: the /proc tree and the run's name resolver; ``owners``,
    when given, is a map of socket owners already read (one walk of /proc shared by the
    sections of several namespaces) that ``-p`` uses instead of walking again; ``namespace``
    is the network namespace the command runs in when one was chosen (JSON names it);
    ``filter`` the filter the socket rows must pass."""

    proc: ProcFS
    resolver: Resolver
    source: str = "auto"
    owners: OwnerMap | None = None
    namespace: Namespace | None = None
    filter: Filter | None = None


def no_support(name: str) -> tuple[int, str]:
    """netstat's line for a family or protocol the kernel does not offer."""
    return 2, f"netstat: no support for `{name}' on this system.\n"
