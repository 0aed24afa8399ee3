"""A filter tree as a Python function of one socket row: the user-space back end.

Every row goes through it, whichever source read it, so /proc rows and rows the kernel already
filtered with the bytecode agree. Conditions mean what the kernel's inet_diag makes of them
(observed against ``ss``): a port condition of ``-1`` is any port; an address condition checks
the family first (an IPv4 one also matches a v4-mapped IPv6 address), then the prefix.

``dev``, ``fwmark`` and ``autobound`` look at what /proc does not show: here they are
*unknown*, and the function answers with three values (True, False, None for "the kernel
decides"); ``matches`` takes None as a yes only for rows the kernel already filtered.
"""

import fnmatch
from collections.abc import Callable

from ..model import InetSocket, OwnerMap, UnixSocket, program_name
from .tree import (
    And,
    Autobound,
    DevCond,
    HostCond,
    MarkCond,
    Node,
    Not,
    Or,
    PortCond,
    UnixCond,
    UserCond,
)

__all__ = ["Context", "compile_expression", "kernel_only", "user_only"]

Row = InetSocket | UnixSocket
Verdict = bool | None
_AF_INET, _AF_INET6 = 2, 10
_MAPPED = bytes(10) + b"\xff\xff"


class Context:
    """What user-space conditions need besides the row: the owner map (``pid``,
    ``program``), user names (``user``) and the namespace being listed (``netns``,
    ``container``). Each is looked up only when a condition asks."""

    __slots__ = ("container", "netns", "owners", "user_name")

    def __init__(
        self,
        owners: OwnerMap | None = None,
        user_name: Callable[[int], str | None] | None = None,
        netns: tuple[str, ...] = (),
        container: tuple[str, ...] = (),
    ) -> None:
        self.owners = owners
        self.user_name = user_name
        self.netns = netns  # the labels the namespace answers to: its name, net:[INODE]
        self.container = container  # its container's id, short id, runtime


Test = Callable[[Row, Context], Verdict]


def compile_expression(node: Node) -> Test:
    """The function deciding ``node`` for one row (see the module docstring).

    >>> from ipaddress import IPv4Address as A
    >>> from pnetstat.filters.parse import parse_filter
    >>> from pnetstat.model import Family, InetSocket, Protocol
    >>> row = InetSocket(Protocol.TCP, Family.INET, 0, A("127.0.0.1"), 22, A("0.0.0.0"), 0, 10,
    ...                  0, 0, 0, 0, 0, 0, 0, 4242)
    >>> test = compile_expression(parse_filter("src 127/8 and sport = :22".split()).expression)
    >>> test(row, Context())
    True
    """
    return _COMPILERS[type(node)](node)


def kernel_only(node: Node) -> bool:
    """Whether ``node`` has a condition only the kernel can decide (dev, fwmark, autobound)."""
    return _any(node, (DevCond, MarkCond, Autobound))


def user_only(node: Node) -> bool:
    """Whether ``node`` has a condition only user space can decide (pnetstat's own)."""
    return _any(node, (UserCond,))


def _any(node: Node, kinds: tuple[type, ...]) -> bool:
    if isinstance(node, kinds):
        return True
    if isinstance(node, (And, Or)):
        return _any(node.left, kinds) or _any(node.right, kinds)
    if isinstance(node, Not):
        return _any(node.child, kinds)
    return False


def _and(node: And) -> Test:
    left, right = compile_expression(node.left), compile_expression(node.right)

    def test(row: Row, context: Context) -> Verdict:
        first = left(row, context)
        if first is False:
            return False
        second = right(row, context)
        if second is False:
            return False
        return True if first and second else None

    return test


def _or(node: Or) -> Test:
    left, right = compile_expression(node.left), compile_expression(node.right)

    def test(row: Row, context: Context) -> Verdict:
        first = left(row, context)
        if first:
            return True
        second = right(row, context)
        if second:
            return True
        return False if first is False and second is False else None

    return test


def _not(node: Not) -> Test:
    child = compile_expression(node.child)

    def test(row: Row, context: Context) -> Verdict:
        verdict = child(row, context)
        return None if verdict is None else not verdict

    return test


def _unknown(_node: Node) -> Test:
    return lambda row, context: None if isinstance(row, InetSocket) else False


def _host(node: HostCond) -> Test:
    local = node.side == "src"
    wanted = node.address or b""
    full, rest = divmod(node.prefix, 8)
    head = wanted[:full]
    mask = (0xFF00 >> rest) & 0xFF
    tail = wanted[full] & mask if rest else 0

    def within(packed: bytes) -> bool:
        if packed[:full] != head:
            return False
        return not rest or (packed[full] & mask) == tail

    def test(row: Row, _context: Context) -> Verdict:
        if not isinstance(row, InetSocket):
            return False
        port = row.local_port if local else row.remote_port
        if node.port != -1 and node.port != port:
            return False
        packed = (row.local_address if local else row.remote_address).packed
        family = _AF_INET6 if len(packed) == 16 else _AF_INET
        if node.family and node.family != family:
            # An IPv4 condition also takes an IPv6 socket's v4-mapped address.
            return node.family == _AF_INET and packed[:12] == _MAPPED and within(packed[12:])
        return node.prefix == 0 or within(packed)

    return test


def _port(node: PortCond) -> Test:
    local, at_least = node.side == "src", node.op == "ge"

    def test(row: Row, _context: Context) -> Verdict:
        if not isinstance(row, InetSocket):
            return False
        port = row.local_port if local else row.remote_port
        return port >= node.port if at_least else port <= node.port

    return test


def _unix(node: UnixCond) -> Test:
    pattern = node.pattern.lower()

    def test(row: Row, _context: Context) -> Verdict:
        if not isinstance(row, UnixSocket) or node.side != "src":
            return False  # /proc/net/unix names no peer: dst never matches here
        return fnmatch.fnmatchcase((row.path or "").lower(), pattern)

    return test


def _user(node: UserCond) -> Test:
    field, op, value = node.field, node.op, node.value

    def compare(candidates: list[int]) -> bool:
        assert isinstance(value, int)
        return any(_ORDER[op](candidate, value) for candidate in candidates)

    def named(candidates: list[str]) -> bool:
        assert isinstance(value, str)
        return any(fnmatch.fnmatchcase(name, value) for name in candidates)

    def test(row: Row, context: Context) -> Verdict:
        if field == "inode":
            return compare([row.inode]) if row.inode is not None else False
        if field in ("uid", "user"):
            uid = getattr(row, "uid", None)
            if uid is None:
                return False
            if field == "uid":
                return compare([uid])
            name = context.user_name(uid) if context.user_name is not None else None
            return named([name if name is not None else str(uid)])
        if field in ("netns", "container"):
            return named(list(context.netns if field == "netns" else context.container))
        owners = context.owners.owners.get(row.inode, ()) if context.owners and row.inode else ()
        if field == "pid":
            return compare([owner.pid for owner in owners])
        # The name -p shows (argv[0]'s basename), or argv[0] whole: "sshd", "/usr/sbin/sshd".
        return named([n for o in owners for n in (program_name(o.argv0), o.argv0)])

    return test


_ORDER: dict[str, Callable[[int, int], bool]] = {
    "eq": int.__eq__, "ne": int.__ne__, "lt": int.__lt__, "le": int.__le__,
    "gt": int.__gt__, "ge": int.__ge__,
}  # fmt: skip

_COMPILERS: dict[type, Callable[..., Test]] = {
    And: _and, Or: _or, Not: _not, HostCond: _host, PortCond: _port, UnixCond: _unix,
    UserCond: _user, DevCond: _unknown, MarkCond: _unknown, Autobound: _unknown,
}  # fmt: skip
