"""Name lookups: hosts, services, protocols, networks and users, cached for one run.

Hosts go through the C library (``gethostbyaddr``/``getnameinfo``), so /etc/nsswitch.conf,
/etc/hosts and DNS apply exactly as they do for netstat. The services, protocols and networks
databases are read from their files once per run (netstat reads the whole services table with
``getservent`` at the first lookup); the ``etc`` directory is a parameter so tests can pin them.
Every answer, including "no name", is cached: a run never asks twice.
"""

from __future__ import annotations

# The C module rather than socket.py (whose import builds IntEnums: ~5 ms of start-up); these
# are the very functions socket.py re-exports.
import _socket
import time

from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable
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


def lookup_host(address: IPv4Address | IPv6Address) -> str | None:
    """Ask the C library for the name of ``address``, as netstat does (blocking).

    IPv4 goes through ``gethostbyaddr`` (its canonical name); IPv6 through ``getnameinfo``
    without NI_NAMEREQD, which answers the numeric form when there is no name.
    """
    try:
        if address.version == 4:
            return _socket.gethostbyaddr(str(address))[0]
        return _socket.getnameinfo((str(address), 0, 0, 0), 0)[0]
    except (OSError, UnicodeError):
        return None


class _Deadlines:
    """Reverse lookups on daemon threads, waited for within a per-lookup and a total deadline.

    Threads are daemons so that a lookup still stuck in the C library never holds the process
    at exit. An address whose wait ran out is numeric for the rest of the run (not named in a
    later row), so one run never shows the same address two ways.
    """

    def __init__(self, per_lookup: float, total: float, workers: int = 16) -> None:
        import threading  # here: a numeric listing never looks a host up

        self.per_lookup = per_lookup
        self.total = total
        self.workers = workers
        self.threads = 0
        self.pending: list[IPv4Address | IPv6Address] = []
        self.lock = threading.Condition()
        self.started: dict[IPv4Address | IPv6Address, float] = {}
        self.done: dict[IPv4Address | IPv6Address, str | None] = {}
        self.given_up: set[IPv4Address | IPv6Address] = set()
        self.budget_ends: float | None = None

    def submit(self, address: IPv4Address | IPv6Address) -> None:
        with self.lock:
            if address in self.started:
                return
            self.started[address] = time.monotonic()
            self.pending.append(address)
            if self.threads < min(self.workers, len(self.pending) + self.threads):
                self.threads += 1
                import threading

                threading.Thread(target=self._work, daemon=True, name="pnetstat-dns").start()
            self.lock.notify()

    def _work(self) -> None:
        while True:
            with self.lock:
                while not self.pending:
                    self.lock.wait()
                address = self.pending.pop(0)
            name = lookup_host(address)
            with self.lock:
                self.done[address] = name
                self.lock.notify_all()

    def wait(self, address: IPv4Address | IPv6Address) -> str | None:
        self.submit(address)
        with self.lock:
            now = time.monotonic()
            if self.budget_ends is None:
                self.budget_ends = now + self.total
            until = min(self.started[address] + self.per_lookup, self.budget_ends)
            while address not in self.done and address not in self.given_up and now < until:
                self.lock.wait(until - now)
                now = time.monotonic()
            if address in self.done and address not in self.given_up:
                return self.done[address]
            self.given_up.add(address)
            return None


class Resolver:
    """Cached lookups for one run. Every ``resolve_*`` returns ``None`` when there is no name.

    With ``lookup_timeout`` (seconds per host lookup) and ``total_timeout`` (seconds spent
    waiting for host names in all), host lookups run concurrently and an address whose answer
    is late stays numeric; without them every lookup blocks as long as the C library takes.
    """

    def __init__(
        self,
        etc: str = "/etc",
        *,
        lookup_timeout: float | None = None,
        total_timeout: float | None = None,
        overlay: str | None = None,
    ) -> None:
        self.etc = etc
        self._timeouts = (lookup_timeout, total_timeout)
        # ``ip netns exec NAME`` binds /etc/netns/NAME/FILE over /etc/FILE where it exists.
        self.overlay = overlay
        # Made at the first host lookup (see _waiter).
        self._deadlines: _Deadlines | None = None
        self._hosts4: dict[IPv4Address, str | None] = {}
        self._hosts6: dict[IPv6Address, str | None] = {}
        self._services: dict[tuple[int, str], str] | None = None
        self._networks: dict[int, str] | None = None
        self._users: dict[int, str | None] = {}

    def prefetch(self, addresses: Iterable[IPv4Address | IPv6Address]) -> None:
        """Start looking up ``addresses`` now, so later ``resolve_host`` calls find answers
        (only with deadlines; without them lookups happen when asked for)."""
        deadlines = self._waiter()
        if deadlines is not None:
            for address in addresses:
                deadlines.submit(address)

    def resolve_host(self, address: IPv4Address | IPv6Address) -> str | None:
        """The host name of ``address`` (``gethostbyaddr`` / ``getnameinfo`` answer)."""
        cache: dict[IPv4Address, str | None] | dict[IPv6Address, str | None]
        cache = self._hosts4 if address.version == 4 else self._hosts6
        if address not in cache:
            deadlines = self._waiter()
            name = deadlines.wait(address) if deadlines is not None else lookup_host(address)
            cache[address] = name  # type: ignore[index]
        return cache[address]  # type: ignore[index]

    def _waiter(self) -> _Deadlines | None:
        """The lookup threads and their deadlines, made when first needed (not at all by a
        numeric listing, which then never imports threading), or None without deadlines."""
        lookup, total = self._timeouts
        if self._deadlines is None and (lookup is not None or total is not None):
            self._deadlines = _Deadlines(
                lookup if lookup is not None else float("inf"),
                total if total is not None else float("inf"),
            )
        return self._deadlines

    def resolve_service(self, port: int, protocol: str) -> str | None:
        """The service name of ``port`` for ``tcp``, ``udp`` or ``raw``.

        The ``raw`` table is the services declared ``raw`` overlaid with every
        /etc/protocols entry, since a RAW socket's "port" is its protocol number.
        """
        if self._services is None:
            table = parse_services(_read(self._file("services")))
            for number, name in parse_protocols(_read(self._file("protocols"))).items():
                table[(number, "raw")] = name
            self._services = table
        return self._services.get((port, protocol))

    def resolve_network(self, number: int) -> str | None:
        """The /etc/networks name of a network number (``getnetbyaddr``)."""
        if self._networks is None:
            self._networks = parse_networks(_read(self._file("networks")))
        return self._networks.get(number)

    def with_overlay(self, overlay: str | None) -> Resolver:
        """A new resolver with the same settings and empty caches, whose services, protocols
        and networks files come from ``overlay`` where it has them (``/etc/netns/NAME``)."""
        lookup, total = self._timeouts
        return Resolver(self.etc, lookup_timeout=lookup, total_timeout=total, overlay=overlay)

    def _file(self, name: str) -> str:
        if self.overlay is not None:
            import os

            path = f"{self.overlay}/{name}"
            if os.path.exists(path):
                return path
        return f"{self.etc}/{name}"

    def resolve_user(self, uid: int) -> str | None:
        """The passwd name of ``uid``."""
        if uid not in self._users:
            import pwd

            try:
                self._users[uid] = pwd.getpwuid(uid).pw_name
            except (KeyError, OverflowError):
                self._users[uid] = None
        return self._users[uid]
