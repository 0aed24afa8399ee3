"""Name lookups: hosts, services, protocols, networks and users, cached for one run.

Hosts go through the C library (``gethostbyaddr``/``getnameinfo``), so /etc/nsswitch.conf,
/etc/hosts and DNS apply exactly as they do for netstat. The services, protocols and networks
databases are read from their files once per run (netstat reads the whole services table with
``getservent`` at the first lookup); the ``etc`` directory is a parameter so tests can pin them.
Every answer, including "no name", is cached: a run never asks twice.
"""

from __future__ import annotations

import socket
from ipaddress import IPv4Address, IPv6Address

__all__ = ["Resolver", "parse_inet_network", "parse_networks", "parse_protocols", "parse_services"]


def parse_services(text: str) -> dict[tuple[int, str], str]:
    """Map ``(port, protocol)`` to a service name; a later duplicate wins, as in netstat.

    >>> parse_services("ssh 22/tcp\\nfoo 22/tcp # later wins\\n")[(22, "tcp")]
    'foo'
    """
    table: dict[tuple[int, str], str] = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2 or "/" not in fields[1]:
            continue
        port, _, proto = fields[1].partition("/")
        if port.isdigit():
            table[(int(port), proto)] = fields[0]
    return table


def parse_protocols(text: str) -> dict[int, str]:
    """Map protocol numbers to names from /etc/protocols (a later duplicate wins).

    >>> parse_protocols("icmp 1 ICMP\\n")[1]
    'icmp'
    """
    table: dict[int, str] = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and fields[1].isdigit():
            table[int(fields[1])] = fields[0]
    return table


def parse_inet_network(text: str) -> int | None:
    """``inet_network(3)``: ``"169.254"`` is 0xa9fe, ``"10.0.0.0"`` is 0x0a000000.

    >>> hex(parse_inet_network("169.254.0.0")), parse_inet_network("0x7f")
    ('0xa9fe0000', 127)
    """
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    value = 0
    for part in parts:
        try:
            number = int(part, 0) if not (part.startswith("0") and part.isdigit()) else int(part, 8)
        except ValueError:
            return None
        if not 0 <= number <= 255:
            return None
        value = (value << 8) | number
    return value


def parse_networks(text: str) -> dict[int, str]:
    """Map network numbers (``inet_network`` values) to names; the first entry wins."""
    table: dict[int, str] = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2:
            number = parse_inet_network(fields[1])
            if number is not None:
                table.setdefault(number, fields[0])
    return table


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            return handle.read()
    except OSError:
        return ""


class Resolver:
    """Cached lookups for one run. Every ``resolve_*`` returns ``None`` when there is no name."""

    def __init__(self, etc: str = "/etc") -> None:
        self.etc = etc
        self._hosts4: dict[IPv4Address, str | None] = {}
        self._hosts6: dict[IPv6Address, str | None] = {}
        self._services: dict[tuple[int, str], str] | None = None
        self._networks: dict[int, str] | None = None
        self._users: dict[int, str | None] = {}

    def resolve_host(self, address: IPv4Address | IPv6Address) -> str | None:
        """The host name of ``address`` (``gethostbyaddr`` / ``getnameinfo`` answer)."""
        if isinstance(address, IPv4Address):
            cache4 = self._hosts4
            if address not in cache4:
                try:
                    cache4[address] = socket.gethostbyaddr(str(address))[0]
                except (OSError, UnicodeError):
                    cache4[address] = None
            return cache4[address]
        cache6 = self._hosts6
        if address not in cache6:
            try:
                name = socket.getnameinfo((str(address), 0, 0, 0), 0)[0]
            except (OSError, UnicodeError):
                name = None
            # getnameinfo without NI_NAMEREQD answers the numeric form when there is no name.
            cache6[address] = name
        return cache6[address]

    def resolve_service(self, port: int, protocol: str) -> str | None:
        """The service name of ``port`` for ``tcp``, ``udp`` or ``raw``.

        The ``raw`` table is the services declared ``raw`` overlaid with every
        /etc/protocols entry, since a RAW socket's "port" is its protocol number.
        """
        if self._services is None:
            table = parse_services(_read(f"{self.etc}/services"))
            for number, name in parse_protocols(_read(f"{self.etc}/protocols")).items():
                table[(number, "raw")] = name
            self._services = table
        return self._services.get((port, protocol))

    def resolve_network(self, number: int) -> str | None:
        """The /etc/networks name of a network number (``getnetbyaddr``)."""
        if self._networks is None:
            self._networks = parse_networks(_read(f"{self.etc}/networks"))
        return self._networks.get(number)

    def resolve_user(self, uid: int) -> str | None:
        """The passwd name of ``uid``."""
        if uid not in self._users:
            import pwd

            try:
                self._users[uid] = pwd.getpwuid(uid).pw_name
            except (KeyError, OverflowError):
                self._users[uid] = None
        return self._users[uid]
