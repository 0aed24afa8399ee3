"""netstat's text for addresses, ports, users and programs (shared by every view).

These follow net-tools 2.10 as observed, quirks included: an IPv4 address whose first octet is
0 is looked up as a network (a byte-order slip in netstat), ``0.0.0.0`` is never a name, the
IPv6 unspecified address reads ``[::]`` when resolving and ``::`` when numeric, and an
IPv4-mapped IPv6 address loses its ``::ffff:`` prefix.
"""

from __future__ import annotations

# The C module rather than socket.py, which builds an IntEnum of every constant at import
# (about 5 ms of an idle run); inet_ntop is the same function.
import _socket
import functools

from .._typing import TYPE_CHECKING
from ..model import Owner, Protocol, program_name
from ..resolve import Resolver

if TYPE_CHECKING:
    import re

    from ..model import IPAddress

__all__ = [
    "escape",
    "fit_endpoint",
    "format_host",
    "format_port",
    "format_program",
    "format_user",
    "ljust_bytes",
    "program_name",
]

# Which services table a protocol's ports are named from (UDP-Lite borrows UDP's).
SERVICE_PROTOCOL = {
    Protocol.TCP: "tcp",
    Protocol.UDP: "udp",
    Protocol.UDPLITE: "udp",
    Protocol.RAW: "raw",
}


# What may not reach a terminal raw: C0 controls, DEL, C1 controls, and undecodable bytes
# 0x80-0x9f (a terminal in an 8-bit mode reads those as C1). A backslash that would start
# something looking like an escape is doubled, so the escaped text decodes one way only.
_UNSAFE = "\x00-\x1f\x7f-\x9f\udc80-\udc9f"


@functools.cache
def _escapes() -> re.Pattern[str]:
    import re

    # Compiled on first need: a numeric listing never escapes anything (start-up time).
    return re.compile(f"[{_UNSAFE}]|\\\\(?=[xu\\\\{_UNSAFE}])")


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char == "\\":
        return "\\\\"
    if code >= 0xDC80:
        return "\\x%02x" % (code - 0xDC00)
    return ("\\u%04x" if 0x80 <= code <= 0x9F else "\\x%02x") % code


def escape(text: str) -> str:
    r"""Make text from the outside world (process names, socket paths, host and user names)
    safe for a terminal, visibly and reversibly.

    Text without control characters is unchanged, so it prints as netstat prints it::

    >>> escape("sshd: root@pts/0"), escape("caf\udce9")
    ('sshd: root@pts/0', 'caf\udce9')

    ``\xHH`` stands for a C0 control, DEL or a raw byte 0x80-0x9f, ``\u00HH`` for a C1 control
    character, ``\\`` for a backslash that would otherwise read as the start of an escape:

    >>> print(escape("evil\x1b[2Jname"), escape("tab\there"), escape("\x9b"), escape("a\\x41"))
    evil\x1b[2Jname tab\x09here \u009b a\\x41
    """
    if text.isprintable() and "\\" not in text:
        return text  # the common case, without the regular expression
    pattern = _escapes()
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape_one, text)


def strip_mapped(text: str) -> str:
    """Drop the IPv6 part before an embedded dotted quad, as netstat does.

    >>> strip_mapped("::ffff:127.0.0.1"), strip_mapped("v6peer.example")
    ('127.0.0.1', 'v6peer.example')
    """
    dot = text.find(".")
    if dot > 0:
        colon = text.rfind(":", 0, dot)
        if colon >= 0:
            return text[colon + 1 :]
    return text


def format_host(address: IPAddress, numeric: bool, resolver: Resolver | None) -> str:
    """The host half of a socket endpoint.

    >>> from ipaddress import IPv4Address, IPv6Address
    >>> format_host(IPv4Address("127.0.0.1"), True, None)
    '127.0.0.1'
    >>> format_host(IPv6Address("::"), True, None)
    '::'
    >>> format_host(IPv6Address("::ffff:10.0.0.1"), True, None)
    '10.0.0.1'
    """
    # The address's own attributes, not isinstance: a view that shows no address never loads
    # ipaddress (-s, -x).
    if address.version == 4:
        if numeric or resolver is None or not int(address):
            return str(address)
        if address.packed[0] == 0:
            name = resolver.resolve_network(int(address))
        else:
            name = resolver.resolve_host(address)
        return escape(name) if name else str(address)
    if numeric or resolver is None:
        text = _socket.inet_ntop(_socket.AF_INET6, address.packed)
    elif not int(address):
        text = "[::]"
    else:
        name = resolver.resolve_host(address)
        text = escape(name) if name else _socket.inet_ntop(_socket.AF_INET6, address.packed)
    # Only for IPv4-mapped addresses; IPv4-compatible ones (::1.2.3.4) keep their text.
    return strip_mapped(text) if address.ipv4_mapped is not None else text


def format_port(port: int, protocol: str, numeric: bool, resolver: Resolver | None) -> str:
    """The port half of a socket endpoint: ``*`` for 0, else a service name or the number."""
    if port == 0:
        return "*"
    if numeric or resolver is None:
        return str(port)
    return resolver.resolve_service(port, protocol) or str(port)


def fit_endpoint(host: str, port: str, wide: bool) -> str:
    """Join host and port, cut to netstat's 23 columns unless ``wide``.

    >>> fit_endpoint("2001:db8:1234:5678:9abc:def0:1234:5678", "45678", False)
    '2001:db8:1234:567:45678'
    >>> fit_endpoint("localhost", "clc-build-daemon", False)
    'localh:clc-build-daemon'
    """
    if wide or len(host) + len(port) <= 22:
        return f"{host}:{port}"
    keep = min(len(port), 18)
    return f"{host[: 22 - keep]}:{port[:keep]}"


def format_user(uid: int, numeric: bool, resolver: Resolver | None) -> str:
    """A uid as netstat's ``-e`` prints it: the passwd name unless numeric or unknown."""
    if numeric or resolver is None:
        return str(uid)
    name = resolver.resolve_user(uid)
    return escape(name) if name else str(uid)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def ljust_bytes(text: str, width: int) -> str:
    """Pad ``text`` to ``width`` *bytes*, as C's ``%-Ns`` does (multibyte names stay aligned
    the way netstat aligns them)."""
    length = len(text) if text.isascii() else len(_encode(text))
    return text + " " * (width - length) if length < width else text


def format_program(owner: Owner | None) -> str:
    r"""The ``PID/Program name`` cell before padding: cut to 19 bytes, ``-`` if unknown.

    >>> format_program(Owner(7391, 3, "averyveryveryverylongname"))
    '7391/averyveryveryv'
    >>> format_program(Owner(7, 3, "/bin/\x1b[31mred"))
    '7/\\x1b[31mred'
    """
    if owner is None:
        return "-"
    cell = f"{owner.pid}/{program_name(owner.argv0)}"
    safe = escape(cell)
    if safe is cell:
        if cell.isascii():
            return cell[:19]
        return _encode(cell)[:19].decode("utf-8", "surrogateescape")
    # Cut between escapes, never inside one.
    kept, size = [], 0
    for token in _tokens().findall(safe):
        size += len(_encode(token))
        if size > 19:
            break
        kept.append(token)
    return "".join(kept)


@functools.cache
def _tokens() -> re.Pattern[str]:
    import re

    return re.compile(r"\\\\|\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|.", re.S)
