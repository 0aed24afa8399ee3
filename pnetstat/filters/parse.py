"""Words -> ``Filter``: ss's filter language, as ``ss`` parses it, plus pnetstat's own
predicates.

The words are the command line's positional arguments (or a filter file's text), split on
white space: ``'( dport = :ssh or sport = :ssh )'`` is six words, and ``sport=:22`` is one word
that means nothing, as for ss. The grammar (ss(8); behaviour observed with iproute2 6.1)::

    filter     := { ("state" | "exclude") STATE } [expression]
    expression := negation { ("or" | "|" | "||" | "and" | "&" | "&&" | nothing) negation }
                  (left to right, "and" and "or" alike; nothing between two is "and")
    negation   := ("not" | "!") negation | "(" expression ")" | predicate
    predicate  := ("src" | "dst") ["=" | "==" | "eq"] HOST
                | ("sport" | "dport") [OP] PORT
                | "dev" ["=" | "!="] DEVICE | "fwmark" ["=" | "!="] MARK[/MASK] | "autobound"
                | ("pid" | "uid" | "inode") [OP] NUMBER
                | ("program" | "user" | "netns" | "container") ["=" | "!="] NAME-OR-GLOB

OP is ``= == eq != ne neq < lt > gt <= le leq >= ge geq``. HOST is ``[FAMILY:]ADDRESS[:PORT]``
with an IPv4 address (possibly shortened, ``10.1/16``), an IPv6 address in brackets
(``[2001:db8::/32]``), ``*``, or a UNIX path glob; PORT is ``:N``, ``N`` or ``:SERVICE``.
Errors are ``FilterError`` naming the word (1-based) where the parse stopped.
"""

import socket
from collections.abc import Callable, Sequence
from ipaddress import IPv4Address, IPv6Address

from ..errors import UsageError
from .tree import (
    ALL_STATES,
    And,
    Autobound,
    DevCond,
    Filter,
    HostCond,
    MarkCond,
    Node,
    Not,
    Or,
    PortCond,
    UnixCond,
    UserCond,
)

__all__ = ["DEFAULT_STATES", "STATES", "FilterError", "parse_filter", "split_words"]

STATES: dict[str, frozenset[int]] = {
    "established": frozenset({1}), "syn-sent": frozenset({2}), "syn-recv": frozenset({3}),
    "fin-wait-1": frozenset({4}), "fin-wait-2": frozenset({5}), "time-wait": frozenset({6}),
    "closed": frozenset({7}), "close-wait": frozenset({8}), "last-ack": frozenset({9}),
    "listening": frozenset({10}), "closing": frozenset({11}),
    "all": ALL_STATES,
    "connected": ALL_STATES - {7, 10},
    "synchronized": ALL_STATES - {2, 7, 10},
    "bucket": frozenset({3, 6}),
    "big": ALL_STATES - {3, 6},
}  # fmt: skip

# What ss lists without -a: connected sockets that are not mini-sockets (observed).
DEFAULT_STATES = ALL_STATES - {3, 6, 7, 10}
_EQ = {"=": "eq", "==": "eq", "eq": "eq"}
_NE = {"!=": "ne", "ne": "ne", "neq": "ne"}
_ORDER = {"<": "lt", "lt": "lt", ">": "gt", "gt": "gt", "<=": "le", "le": "le", "leq": "le",
          ">=": "ge", "ge": "ge", "geq": "ge"}  # fmt: skip
_OPS = {**_EQ, **_NE, **_ORDER}
_OR = ("or", "|", "||")
_AND = ("and", "&", "&&")
_NOT = ("not", "!")
_NUMERIC_FIELDS = ("pid", "uid", "inode")
_NAME_FIELDS = ("program", "user", "netns", "container")
_KEYWORDS = {"src", "dst", "sport", "dport", "dev", "fwmark", "autobound", *_NUMERIC_FIELDS,
             *_NAME_FIELDS}  # fmt: skip
_AF_INET, _AF_INET6, _AF_UNIX = 2, 10, 1


class FilterError(UsageError):
    """A filter that does not parse; ``word`` is the 1-based number of the word where the
    parse stopped (one past the last word when the filter ended too soon)."""

    def __init__(self, message: str, word: int) -> None:
        super().__init__(f"{message} at word {word}")
        self.word = word


def split_words(words: Sequence[str]) -> list[str]:
    """Positional arguments (or a file's text as one item) as ss reads them: white-space
    separated words.

    >>> split_words(["state", "established", "( dport = :ssh or sport = :ssh )"])[:4]
    ['state', 'established', '(', 'dport']
    """
    return [word for item in words for word in item.split()]


def parse_filter(
    words: Sequence[str], lookup_port: Callable[[str], int | None] | None = None
) -> Filter:
    """The filter ``words`` say (already split, see ``split_words``).

    ``lookup_port`` turns a service name into a port (default: the C library's
    ``getservbyname``, TCP then UDP).

    >>> parse_filter(["sport", "=", ":22"]).expression
    HostCond(side='src', family=0, address=None, prefix=0, port=22)
    >>> parse_filter(["state", "listening"]).states == frozenset({10})
    True
    """
    parser = _Parser(list(words), lookup_port or _service_port)
    return parser.parse()


def _service_port(name: str) -> int | None:
    for protocol in ("tcp", "udp"):
        try:
            return socket.getservbyname(name, protocol)
        except OSError:
            continue
    return None


class _Parser:
    def __init__(self, words: list[str], lookup_port: Callable[[str], int | None]) -> None:
        self.words = words
        self.at = 0
        self.lookup_port = lookup_port
        self.families: set[int] = set()

    # -- the word stream ----------------------------------------------------------------

    def peek(self) -> str | None:
        return self.words[self.at] if self.at < len(self.words) else None

    def take(self) -> str:
        word = self.words[self.at]
        self.at += 1
        return word

    def fail(self, message: str) -> FilterError:
        return FilterError(message, self.at + 1)

    def since(self, start: int) -> str:
        """The words taken from ``start`` on, for messages (``'sport ='``)."""
        return " ".join(self.words[start : self.at])

    # -- grammar ------------------------------------------------------------------------

    def parse(self) -> Filter:
        states = self.states()
        expression = None if self.peek() is None else self.expression()
        if self.peek() is not None:
            word = self.peek()
            raise self.fail(f"unexpected {word!r}" if word != ")" else "unmatched ')'")
        return Filter(states, expression, frozenset(self.families) or None)

    def states(self) -> frozenset[int] | None:
        states: frozenset[int] | None = None
        while self.peek() in ("state", "exclude"):
            keyword = self.take()
            name = self.peek()
            if name is None or name not in STATES:
                what = "a state name" if name is None else f"a state name, not {name!r}"
                raise self.fail(f"expected {what} after {keyword!r}")
            self.take()
            if keyword == "state":
                states = STATES[name] if states is None else states | STATES[name]
            else:
                states = (ALL_STATES if states is None else states) - STATES[name]
        # ss lists its default, the connected sockets, when the words leave no state at all.
        return states if states is None or states else DEFAULT_STATES

    def expression(self) -> Node:
        # "and" and "or" bind alike, left to right: ss's manual says "and" binds tighter,
        # but ss reads "A or B and C" as "(A or B) and C" (observed), and so does this.
        node = self.negation()
        while True:
            word = self.peek()
            if word is None or word == ")":
                return node
            if word in _OR:
                self.take()
                node = Or(node, self.negation())
            else:
                if word in _AND:
                    self.take()
                node = And(node, self.negation())

    def negation(self) -> Node:
        word = self.peek()
        if word is None:
            after = f" after {self.words[self.at - 1]!r}" if self.at else ""
            raise self.fail("expected a condition" + after)
        if word in _NOT:
            self.take()
            return Not(self.negation())
        if word == "(":
            self.take()
            node = self.expression()
            if self.peek() != ")":
                raise self.fail("expected ')'")
            self.take()
            return node
        return self.predicate()

    def predicate(self) -> Node:
        start = self.at
        keyword = self.take()
        if keyword not in _KEYWORDS:
            raise FilterError(f"unknown condition {keyword!r}", self.at)
        if keyword == "autobound":
            return Autobound()
        if keyword in ("src", "dst"):
            if self.peek() in _EQ:
                self.take()
            return self.host(keyword, f"an address after {self.since(start)!r}")
        op = _OPS[self.take()] if self.peek() in _OPS else "eq"
        if keyword in ("sport", "dport"):
            return self.port_condition(keyword, op, f"a port after {self.since(start)!r}")
        named = keyword in ("dev", "fwmark") or keyword in _NAME_FIELDS
        if named and op not in ("eq", "ne"):
            raise FilterError(f"{keyword!r} takes only = or !=", self.at)
        after = f"after {self.since(start)!r}"
        if keyword == "dev":
            node: Node = DevCond(self.device(f"a device {after}"))
        elif keyword == "fwmark":
            node = self.mark(f"a mark[/mask] {after}")
        elif keyword in _NUMERIC_FIELDS:
            return UserCond(keyword, op, self.number(f"a number {after}"))
        else:
            node = UserCond(keyword, "eq", self.value(f"a value {after}"))
        return Not(node) if op == "ne" else node

    # -- values -------------------------------------------------------------------------

    def value(self, what: str) -> str:
        word = self.peek()
        if word is None or word in ("(", ")") or word in _OR or word in _AND:
            raise self.fail(f"expected {what}")
        return self.take()

    def number(self, what: str) -> int:
        word = self.value(what)
        try:
            return int(word, 0)
        except ValueError:
            raise FilterError(f"expected {what}, not {word!r}", self.at) from None

    def port(self, text: str, what: str) -> int:
        """``:N``, ``N``, ``:SERVICE`` (``*`` is any: -1)."""
        bare = text[1:] if text.startswith(":") else text
        if bare == "*":
            return -1
        if bare.isdigit():
            number = int(bare)
            if number <= 0xFFFF:
                return number
        elif bare:
            found = self.lookup_port(bare)
            if found is not None:
                return found
        raise FilterError(f"expected {what}, not {text!r}", self.at)

    def port_condition(self, side_word: str, op: str, what: str) -> Node:
        text = self.value(what)
        for prefix in ("inet:", "inet6:"):
            if text.startswith(prefix + ":"):
                text = text[len(prefix) :]
        port = self.port(text, what)
        side = "src" if side_word == "sport" else "dst"
        if op in ("eq", "ne"):
            node: Node = HostCond(side, 0, None, 0, port)
            return Not(node) if op == "ne" else node
        if port < 0:
            raise FilterError(f"expected {what}, not '*'", self.at)
        # ss's forms: > is "not <=", < is "not >=".
        if op == "lt":
            return Not(PortCond(side, "ge", port))
        if op == "gt":
            return Not(PortCond(side, "le", port))
        return PortCond(side, op, port)

    def host(self, side: str, what: str) -> Node:
        text = self.value(what)
        family = 0
        for name, number in (("inet6:", _AF_INET6), ("inet:", _AF_INET), ("unix:", _AF_UNIX)):
            if text.startswith(name):
                family, text = number, text[len(name) :]
                self.families.add(number)  # ss lists only this family then
                break
        if family == _AF_UNIX or (family == 0 and text.startswith(("/", "@"))):
            return UnixCond(side, text)
        if text.startswith("["):
            return self.ipv6(side, text, what)
        address, colon, port_text = text.rpartition(":")
        if not colon:
            address, port_text = text, "*"
        port = self.port(port_text, what) if port_text else -1
        if address in ("*", ""):
            return HostCond(side, family, None, 0, port)
        packed, prefix = self.ipv4(address, what)
        return HostCond(side, _AF_INET, packed, prefix, port)

    def ipv4(self, text: str, what: str) -> tuple[bytes, int]:
        """``a.b.c.d[/n]``, possibly shortened (``10.1/16`` is 10.1.0.0/16); without ``/n``
        the prefix is 32 (``10.1`` alone is 10.1.0.0 exactly, as in ss)."""
        body, slash, bits = text.partition("/")
        parts = body.split(".")
        try:
            if not 1 <= len(parts) <= 4 or not all(p.isdigit() for p in parts):
                raise ValueError(body)
            packed = IPv4Address(".".join([*parts, *["0"] * (4 - len(parts))])).packed
            prefix = int(bits) if slash else 32
            if not (bits.isdigit() or not slash) or not 0 <= prefix <= 32:
                raise ValueError(bits)
        except ValueError:
            raise FilterError(f"expected {what}, not {text!r}", self.at) from None
        return packed, prefix

    def ipv6(self, side: str, text: str, what: str) -> HostCond:
        """``[address[/n]][:port]``: the brackets keep the address's colons from the port's."""
        inside, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise FilterError(f"expected {what}, not {text!r}", self.at)
        port = self.port(rest[1:], what) if rest else -1
        body, slash, bits = inside.partition("/")
        if body in ("*", ""):
            return HostCond(side, _AF_INET6, None, 0, port)
        try:
            packed = IPv6Address(body).packed
            prefix = int(bits) if slash else 128
            if not (bits.isdigit() or not slash) or not 0 <= prefix <= 128:
                raise ValueError(bits)
        except ValueError:
            raise FilterError(f"expected {what}, not {text!r}", self.at) from None
        return HostCond(side, _AF_INET6, packed, prefix, port)

    def device(self, what: str) -> int:
        word = self.value(what)
        if word.isdigit():
            return int(word)
        try:
            return socket.if_nametoindex(word)
        except OSError:
            raise FilterError(f"no such device {word!r}", self.at) from None

    def mark(self, what: str) -> MarkCond:
        word = self.value(what)
        mark, slash, mask = word.partition("/")
        try:
            return MarkCond(int(mark, 0), int(mask, 0) if slash else 0xFFFFFFFF)
        except ValueError:
            raise FilterError(f"expected {what}, not {word!r}", self.at) from None
