"""pnetstat: net-tools ``netstat`` in Python, and the typed library behind it.

>>> import pnetstat
>>> all(isinstance(s, (pnetstat.InetSocket, pnetstat.UnixSocket)) for s in pnetstat.sockets())
True

Names are loaded on first use (PEP 562), so ``python3 -m pnetstat`` pays only for what a run
needs.
"""

from __future__ import annotations

from ._typing import TYPE_CHECKING
from ._version import __version__

if TYPE_CHECKING:
    from typing import Any

    from .api import (
        SocketChange,
        changes,
        groups,
        interfaces,
        namespaces,
        routes,
        sockets,
        statistics,
        tcp_info,
    )
    from .errors import (
        Error,
        NamespaceError,
        NetlinkError,
        ParseError,
        ProcReadError,
        Unsupported,
        UsageError,
    )
    from .model import (
        Container,
        Family,
        GroupMembership,
        Inet6Address,
        InetSocket,
        Interface,
        InterfaceCounters,
        Namespace,
        Owner,
        OwnerMap,
        Protocol,
        Route4,
        Route6,
        StatSection,
        TcpState,
        UnixSocket,
        UnixState,
        UnixType,
    )

# Public name -> module that defines it.
_WHERE = {
    "SocketChange": "api",
    "changes": "api",
    "groups": "api",
    "interfaces": "api",
    "namespaces": "api",
    "routes": "api",
    "sockets": "api",
    "statistics": "api",
    "tcp_info": "api",
    "Container": "model_tables",
    "GroupMembership": "model_tables",
    "Inet6Address": "model_tables",
    "Interface": "model_tables",
    "InterfaceCounters": "model_tables",
    "Namespace": "model_tables",
    "Route4": "model_tables",
    "Route6": "model_tables",
    "StatSection": "model_tables",
    "Error": "errors",
    "NamespaceError": "errors",
    "NetlinkError": "errors",
    "ParseError": "errors",
    "ProcReadError": "errors",
    "Unsupported": "errors",
    "UsageError": "errors",
    "Family": "model",
    "InetSocket": "model",
    "Owner": "model",
    "OwnerMap": "model",
    "Protocol": "model",
    "TcpState": "model_states",
    "UnixSocket": "model",
    "UnixState": "model_states",
    "UnixType": "model_states",
}

__all__ = [
    "Container",
    "Error",
    "Family",
    "GroupMembership",
    "Inet6Address",
    "InetSocket",
    "Interface",
    "InterfaceCounters",
    "Namespace",
    "NamespaceError",
    "NetlinkError",
    "Owner",
    "OwnerMap",
    "ParseError",
    "ProcReadError",
    "Protocol",
    "Route4",
    "Route6",
    "SocketChange",
    "StatSection",
    "TcpState",
    "UnixSocket",
    "UnixState",
    "UnixType",
    "Unsupported",
    "UsageError",
    "__version__",
    "changes",
    "groups",
    "interfaces",
    "namespaces",
    "routes",
    "sockets",
    "statistics",
    "tcp_info",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'pnetstat' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
