"""The kernel's state and type numbers of a socket as enums: ``TcpState``, ``UnixType`` and
``UnixState`` (see ``model`` for the conventions, which hold here too).

The model stores the raw numbers, and these are what its properties (``tcp_state``,
``unix_type``) and the library's filters turn them into. They are apart from ``model`` only so
that a listing, which renders the raw numbers, does not pay for building three enum classes at
start-up (about 0.6 ms); ``pnetstat.model`` still offers them, loading this module on first use.
"""

from __future__ import annotations

import enum

__all__ = ["TcpState", "UnixState", "UnixType"]


class TcpState(enum.IntEnum):
    """TCP states as numbered in include/net/tcp_states.h."""

    ESTABLISHED = 1
    SYN_SENT = 2
    SYN_RECV = 3
    FIN_WAIT1 = 4
    FIN_WAIT2 = 5
    TIME_WAIT = 6
    CLOSE = 7
    CLOSE_WAIT = 8
    LAST_ACK = 9
    LISTEN = 10
    CLOSING = 11
    NEW_SYN_RECV = 12


class UnixType(enum.IntEnum):
    """``SOCK_*`` types of a UNIX socket."""

    STREAM = 1
    DGRAM = 2
    RAW = 3
    RDM = 4
    SEQPACKET = 5


class UnixState(enum.IntEnum):
    """``socket_state`` of a UNIX socket (include/uapi/linux/net.h)."""

    FREE = 0
    UNCONNECTED = 1
    CONNECTING = 2
    CONNECTED = 3
    DISCONNECTING = 4
