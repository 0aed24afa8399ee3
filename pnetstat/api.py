"""The library's entry points: read the kernel's tables into model objects.

These are what ``import pnetstat`` offers; the CLI uses the same sources underneath.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from .errors import Unsupported
from .model import Family, InetSocket, Protocol, UnixSocket
from .procfs import ProcFS, read_inet_sockets, read_unix_sockets

__all__ = ["sockets"]

_KINDS = {
    "tcp": Protocol.TCP,
    "udp": Protocol.UDP,
    "udplite": Protocol.UDPLITE,
    "raw": Protocol.RAW,
}


def sockets(
    kinds: Iterable[str] = ("tcp", "udp", "udplite", "raw", "unix"),
    *,
    families: Iterable[Family] = (Family.INET, Family.INET6),
    proc: str | os.PathLike[str] = "/proc",
) -> list[InetSocket | UnixSocket]:
    """Every socket of the given kinds, in the kernel's order (Internet kinds first, IPv4
    before IPv6, then UNIX). Tables the kernel does not offer are skipped.

    ``kinds`` are ``"tcp"``, ``"udp"``, ``"udplite"``, ``"raw"`` and ``"unix"``; ``proc`` is
    the /proc tree to read (another mount, or a copy).
    """
    root = ProcFS(proc)
    wanted = list(kinds)
    unknown = [k for k in wanted if k not in _KINDS and k != "unix"]
    if unknown:
        raise ValueError(f"unknown socket kind(s): {', '.join(unknown)}")
    found: list[InetSocket | UnixSocket] = []
    fams = list(families)
    for kind in wanted:
        if kind == "unix":
            continue
        for family in fams:
            try:
                found.extend(read_inet_sockets(root, _KINDS[kind], family))
            except Unsupported:
                continue
    if "unix" in wanted:
        try:
            found.extend(read_unix_sockets(root))
        except Unsupported:
            pass
    return found
