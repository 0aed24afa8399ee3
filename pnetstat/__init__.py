"""pnetstat: net-tools ``netstat`` in Python, and the typed library behind it.

>>> import pnetstat
>>> all(isinstance(s, (pnetstat.InetSocket, pnetstat.UnixSocket)) for s in pnetstat.sockets())
True
"""

from __future__ import annotations

from ._version import __version__
from .api import sockets
from .errors import Error, NetlinkError, ParseError, ProcReadError, Unsupported, UsageError
from .model import (
    Family,
    InetSocket,
    Owner,
    OwnerMap,
    Protocol,
    TcpState,
    UnixSocket,
    UnixState,
    UnixType,
)

__all__ = [
    "Error",
    "Family",
    "InetSocket",
    "NetlinkError",
    "Owner",
    "OwnerMap",
    "ParseError",
    "ProcReadError",
    "Protocol",
    "TcpState",
    "UnixSocket",
    "UnixState",
    "UnixType",
    "Unsupported",
    "UsageError",
    "__version__",
    "sockets",
]
