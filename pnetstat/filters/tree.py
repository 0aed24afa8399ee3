"""The parsed filter: a set of TCP states and an expression over socket rows.

Nodes are immutable; the two back ends (``predicate``, ``bytecode``) walk the same tree, so a
test can hold them against each other. Semantics follow what the kernel's inet_diag does with
ss's bytecode (observed with iproute2 6.1 on Linux 6.18), so that rows read from /proc and rows
the kernel filtered agree.
"""

from typing import NamedTuple

__all__ = [
    "ALL_STATES",
    "And",
    "Autobound",
    "DevCond",
    "Filter",
    "HostCond",
    "MarkCond",
    "Node",
    "Not",
    "Or",
    "PortCond",
    "UnixCond",
    "UserCond",
]

# TCP states 1-11 as the kernel numbers them; the filter's sets are sets of these.
ALL_STATES = frozenset(range(1, 12))


class HostCond(NamedTuple):
    """``src``/``dst`` (or ``sport = HOST``): the address under a prefix and/or the port.

    ``family`` is 0 (either), 2 (AF_INET) or 10 (AF_INET6); ``address`` is the packed address
    (None for ``*``), ``prefix`` its length in bits (0: any address), ``port`` -1 for any.
    An IPv4 condition also matches an IPv6 socket whose address is v4-mapped (as the kernel
    does); a family is checked even when the prefix is 0.
    """

    side: str  # "src" or "dst"
    family: int
    address: bytes | None
    prefix: int
    port: int


class PortCond(NamedTuple):
    """``sport``/``dport`` ``>=`` or ``<=`` a port (the other comparisons are built from
    these and ``Not``, as ss builds them)."""

    side: str
    op: str  # "ge" or "le"
    port: int


class UnixCond(NamedTuple):
    """``src``/``dst`` with a UNIX path glob (fnmatch, case-insensitive, as ss matches)."""

    side: str
    pattern: str


class DevCond(NamedTuple):
    """``dev``: the interface a socket is bound to, by index (kernel-side only)."""

    ifindex: int


class MarkCond(NamedTuple):
    """``fwmark``: ``mark & mask == value`` (kernel-side only)."""

    mark: int
    mask: int


class Autobound(NamedTuple):
    """``autobound``: the local port was chosen by the kernel (kernel-side only)."""


class UserCond(NamedTuple):
    """pnetstat's own predicates, decided in user space: ``pid``, ``program``, ``uid``,
    ``user``, ``inode``, ``netns``, ``container``; ``op`` is ``eq``, ``ne``, ``lt``, ``le``,
    ``gt`` or ``ge`` (only ``eq``/``ne`` for names, whose value may be a glob)."""

    field: str
    op: str
    value: str | int


class And(NamedTuple):
    left: "Node"
    right: "Node"


class Or(NamedTuple):
    left: "Node"
    right: "Node"


class Not(NamedTuple):
    child: "Node"


Node = HostCond | PortCond | UnixCond | DevCond | MarkCond | Autobound | UserCond | And | Or | Not


class Filter(NamedTuple):
    """``states``: the TCP states the filter allows (None: it names none); ``expression``:
    the rest (None: everything); ``families``: the address families a ``FAMILY:`` prefix
    named (``src inet:10.0.0.1``), to which ss then confines the whole listing (None: all)."""

    states: frozenset[int] | None
    expression: Node | None
    families: frozenset[int] | None = None
