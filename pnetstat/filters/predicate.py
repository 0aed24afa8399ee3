"""A filter tree as a Python function of one socket row: the user-space back end.

Every row goes through it, whichever source read it, so /proc rows and rows the kernel already
filtered with the bytecode agree. ss decides a filter twice, and a socket is listed only when
both say yes: the kernel runs the bytecode, then ss runs the same expression again in user
space, where an address condition means something slightly different. Both are reproduced
here (observed against ss 6.1 and Linux 6.18):

* the kernel: a port of ``-1`` is any port; an address condition checks the family first (an
  IPv4 one also takes an IPv6 socket's v4-mapped address), then the prefix;
* ss in user space: no family check. The socket's address bytes (an IPv4 address followed by
  zeros) are compared with the condition's for the prefix's length; failing that, an IPv4
  condition takes a v4-mapped address's last four bytes. So ``not dst [::/64]`` drops an IPv4
  listener (its peer 0.0.0.0 is zeros) which the kernel alone would keep.

``dev``, ``fwmark`` and ``autobound`` look at what /proc does not show: here they are
*unknown*, and the function answers with three values (True, False, None for "the kernel
decides").
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

__all__ = [
    "Context",
    "compile_expression",
    "fields",
    "kernel_only",
    "row_selector",
    "unix_state",
    "user_only",
]

Row = InetSocket | UnixSocket
Verdict = bool | None
_AF_INET, _AF_INET6 = 2, 10
_MAPPED = bytes(10) + b"\xff\xff"


class Context:
    """What user-space conditions need besides the row: the owner map (``pid``,
    ``program``), user names (``user``) and the namespace being listed (``netns``,
    ``container``). Each is looked up only when a condition asks."""

    __slots__ = ("container", "netns", "owners", "port_range", "user_name")

    def __init__(
        self,
        owners: OwnerMap | None = None,
        user_name: Callable[[int], str | None] | None = None,
        netns: tuple[str, ...] = (),
        container: tuple[str, ...] = (),
        port_range: Callable[[], tuple[int, int]] | None = None,
    ) -> None:
        self.owners = owners
        self.user_name = user_name
        self.netns = netns  # the labels the namespace answers to: its name, net:[INODE]
        self.container = container  # its container's id, short id, runtime
        self.port_range = port_range  # ip_local_port_range, read when autobound asks


Test = Callable[[Row, Context], Verdict]


def compile_expression(node: Node, kernel: bool = True) -> Test:
    """The function deciding ``node`` for one row (see the module docstring).

    >>> from ipaddress import IPv4Address as A
    >>> from pnetstat.filters.parse import parse_filter
    >>> from pnetstat.model import Family, InetSocket, Protocol
    >>> row = InetSocket(Protocol.TCP, Family.INET, 0, A("127.0.0.1"), 22, A("0.0.0.0"), 0, 10,
    ...                  0, 0, 0, 0, 0, 0, 0, 4242)
    >>> test = compile_expression(parse_filter("src 127/8 and sport = :22".split()).expression)
    >>> test(row, Context())
    True

    With ``kernel`` the conditions mean what the kernel makes of them, else what ss makes of
    them when it checks again in user space (see the module docstring).
    """
    return _COMPILERS[type(node)](node, kernel)


def kernel_only(node: Node) -> bool:
    """Whether ``node`` has a condition only the kernel can decide (dev, fwmark, autobound)."""
    return _any(node, (DevCond, MarkCond, Autobound))


def user_only(node: Node) -> bool:
    """Whether ``node`` has a condition only user space can decide (pnetstat's own)."""
    return _any(node, (UserCond,))


def fields(node: Node) -> set[str]:
    """The user-space fields ``node`` asks about (``pid``, ``program``, ...)."""
    if isinstance(node, UserCond):
        return {node.field}
    if isinstance(node, (And, Or)):
        return fields(node.left) | fields(node.right)
    if isinstance(node, Not):
        return fields(node.child)
    return set()


def _any(node: Node, kinds: tuple[type, ...]) -> bool:
    if isinstance(node, kinds):
        return True
    if isinstance(node, (And, Or)):
        return _any(node.left, kinds) or _any(node.right, kinds)
    if isinstance(node, Not):
        return _any(node.child, kinds)
    return False


def _and(node: And, kernel: bool) -> Test:
    left, right = compile_expression(node.left, kernel), compile_expression(node.right, kernel)

    def test(row: Row, context: Context) -> Verdict:
        first = left(row, context)
        if first is False:
            return False
        second = right(row, context)
        if second is False:
            return False
        return True if first and second else None

    return test


def _or(node: Or, kernel: bool) -> Test:
    left, right = compile_expression(node.left, kernel), compile_expression(node.right, kernel)

    def test(row: Row, context: Context) -> Verdict:
        first = left(row, context)
        if first:
            return True
        second = right(row, context)
        if second:
            return True
        return False if first is False and second is False else None

    return test


def _not(node: Not, kernel: bool) -> Test:
    child = compile_expression(node.child, kernel)

    def test(row: Row, context: Context) -> Verdict:
        verdict = child(row, context)
        return None if verdict is None else not verdict

    return test


def _unknown(_node: Node, _kernel: bool) -> Test:
    return lambda row, context: None if isinstance(row, InetSocket) else False


def _autobound(node: Autobound, kernel: bool) -> Test:
    if kernel:  # the kernel asks whether the port was locked by bind(): not in /proc
        return _unknown(node, kernel)

    def test(row: Row, context: Context) -> Verdict:
        # ss's second look: a local port in the range the kernel picks from.
        if not isinstance(row, InetSocket) or context.port_range is None:
            return None
        low, high = context.port_range()
        return low <= row.local_port <= high

    return test


def _host(node: HostCond, kernel: bool) -> Test:
    local = node.side == "src"
    wanted = (node.address or b"").ljust(16, b"\0")
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
        if node.prefix == 0 and (not kernel or not node.family):
            return True
        packed = (row.local_address if local else row.remote_address).packed
        mapped = len(packed) == 16 and packed[:12] == _MAPPED
        if not kernel:
            # ss's second look: the bytes as they stand (IPv4 padded with zeros), no family.
            if within(packed.ljust(16, b"\0")):
                return True
            return node.family == _AF_INET and mapped and within(packed[12:])
        family = _AF_INET6 if len(packed) == 16 else _AF_INET
        if node.family and node.family != family:
            # An IPv4 condition also takes an IPv6 socket's v4-mapped address.
            return node.family == _AF_INET and mapped and within(packed[12:])
        return node.prefix == 0 or within(packed)

    return test


def _port(node: PortCond, _kernel: bool) -> Test:
    local, at_least = node.side == "src", node.op == "ge"

    def test(row: Row, _context: Context) -> Verdict:
        if not isinstance(row, InetSocket):
            return False
        port = row.local_port if local else row.remote_port
        return port >= node.port if at_least else port <= node.port

    return test


def _unix(node: UnixCond, _kernel: bool) -> Test:
    pattern = node.pattern.lower()

    def test(row: Row, _context: Context) -> Verdict:
        if not isinstance(row, UnixSocket) or node.side != "src":
            return False  # /proc/net/unix names no peer: dst never matches here
        return fnmatch.fnmatchcase((row.path or "").lower(), pattern)

    return test


def _user(node: UserCond, _kernel: bool) -> Test:
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
    UserCond: _user, DevCond: _unknown, MarkCond: _unknown, Autobound: _autobound,
}  # fmt: skip


def _family(row: Row) -> int:
    return int(row.family) if isinstance(row, InetSocket) else 1


def _state(row: Row) -> int:
    return row.state if isinstance(row, InetSocket) else unix_state(row)


def unix_state(sock: UnixSocket) -> int:
    """A UNIX socket's state in the TCP numbers ss's state names use: a listener is
    ``listening``, a connected socket ``established``, one connecting ``syn-sent``, the rest
    ``closed`` (/proc/net/unix gives the socket layer's SS_* state and an accept flag)."""
    if sock.flags & 0x10000:  # __SO_ACCEPTCON
        return 10
    return {2: 2, 3: 1}.get(sock.state, 7)


def row_selector(
    states: frozenset[int] | None,
    expression: Node | None,
    context: Context,
    families: frozenset[int] | None = None,
    trusted: frozenset[object] | None = None,
) -> Callable[[Row], bool]:
    """Whether a row passes the filter: its state is one of ``states``, its family one of
    ``families``, and ``expression`` holds as the kernel and as ss see it. A condition only the
    kernel decides (dev, fwmark, autobound) passes a row only from a table the kernel filtered
    with it: ``trusted`` names those tables' protocols."""
    in_kernel = compile_expression(expression, kernel=True) if expression is not None else None
    in_ss = compile_expression(expression, kernel=False) if expression is not None else None

    def select(row: Row) -> bool:
        if states is not None and _state(row) not in states:
            return False
        if families is not None and _family(row) not in families:
            return False
        if in_kernel is None or in_ss is None:
            return True
        verdicts = (in_kernel(row, context), in_ss(row, context))
        if None in verdicts and trusted is not None:
            # Unknown here, decided by the kernel: a row of a table it filtered passed.
            kernel_said_yes = isinstance(row, InetSocket) and row.protocol in trusted
            return kernel_said_yes and False not in verdicts
        return verdicts == (True, True)

    return select
