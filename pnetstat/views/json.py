"""JSON records of the model: one encoder for every view, numbers first, stable key order.

Fields are untruncated and numeric (addresses as text, ports, uid, inode, queues, timers, state
codes); resolved names are added as separate ``*_name`` fields only when the run resolves names
(not ``-n``). Text from the kernel or from processes (unix paths, program names) that is not
valid UTF-8 is carried losslessly: the field holds a readable form (undecodable bytes shown as
``\\xHH``) and a sibling ``*_base64`` field holds the exact bytes. Control characters need no
such care: JSON escapes them (``\\u001b``).
"""

from __future__ import annotations

import _socket as socket  # the C module (socket.py's enums cost start-up)
import base64
import json
from collections.abc import Iterable, Iterator
from typing import Any

from ..model import InetSocket, Owner, OwnerMap, Protocol, UnixSocket
from ..model_tables import GroupMembership, Interface, Namespace, Route4, Route6, StatSection
from ..resolve import Resolver
from .names import SERVICE_PROTOCOL, format_user, program_name

__all__ = [
    "SCHEMA_VERSION",
    "dumps",
    "group_record",
    "inet_record",
    "interface_record",
    "route4_record",
    "route6_record",
    "statistics_document",
    "text_fields",
    "unix_record",
]

#: Bumped when a field changes meaning or disappears (adding fields does not bump it).
SCHEMA_VERSION = 1

_TCP_STATES = ("", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
               "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
               "NEW_SYN_RECV")  # fmt: skip
_UNIX_TYPES = {1: "STREAM", 2: "DGRAM", 3: "RAW", 4: "RDM", 5: "SEQPACKET"}
_UNIX_STATES = {0: "FREE", 1: "UNCONNECTED", 2: "CONNECTING", 3: "CONNECTED",
                4: "DISCONNECTING"}  # fmt: skip


def text_fields(name: str, value: str | None) -> dict[str, Any]:
    """``{name: value}``, plus ``name_base64`` with the exact bytes if ``value`` held bytes
    that are not UTF-8 (kept by the readers as surrogate escapes).

    >>> text_fields("path", "/tmp/\\udcff")
    {'path': '/tmp/\\\\xff', 'path_base64': 'L3RtcC//'}
    """
    if value is None:
        return {name: None}
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raw = value.encode("utf-8", "surrogateescape")
        return {
            name: raw.decode("utf-8", "backslashreplace"),
            f"{name}_base64": base64.b64encode(raw).decode("ascii"),
        }
    return {name: value}


def _owners(owners: OwnerMap | None, inode: int | None) -> list[dict[str, Any]] | None:
    if owners is None:
        return None
    found: tuple[Owner, ...] = owners.owners.get(inode, ()) if inode else ()
    return [{"pid": o.pid, "fd": o.fd, **text_fields("name", program_name(o.argv0))} for o in found]


def _address_text(address: Any) -> str:
    if address.version == 6:
        return socket.inet_ntop(socket.AF_INET6, address.packed)
    return str(address)


def inet_record(
    sock: InetSocket, resolver: Resolver | None, owners: OwnerMap | None
) -> dict[str, Any]:
    """A JSON-ready dict of one Internet socket."""
    if sock.protocol is Protocol.TCP:
        state: str | None = _TCP_STATES[sock.state] if 0 <= sock.state < 13 else None
    elif sock.protocol is Protocol.RAW:
        state = None
    else:
        state = {1: "ESTABLISHED", 7: "CLOSE"}.get(sock.state)
    record: dict[str, Any] = {
        "proto": sock.protocol.value,
        "family": "inet6" if sock.family == 10 else "inet",
        "local_address": _address_text(sock.local_address),
        "local_port": sock.local_port,
        "remote_address": _address_text(sock.remote_address),
        "remote_port": sock.remote_port,
        "state": state,
        "state_code": sock.state,
        "recv_q": sock.rx_queue,
        "send_q": sock.tx_queue,
        "uid": sock.uid,
        "inode": sock.inode,
        "timer": sock.timer,
        "timer_expires_ticks": sock.timer_expires,
        "retransmits": sock.retransmits,
        "timeout": sock.timeout,
    }
    if owners is not None:
        record["owners"] = _owners(owners, sock.inode)
    if resolver is not None:
        service = SERVICE_PROTOCOL[sock.protocol]
        for side in ("local", "remote"):
            address = getattr(sock, f"{side}_address")
            port = getattr(sock, f"{side}_port")
            host = resolver.resolve_host(address) if int(address) else None
            record[f"{side}_host_name"] = host
            record[f"{side}_port_name"] = resolver.resolve_service(port, service) if port else None
        record["user_name"] = format_user(sock.uid, False, resolver)
    return record


def unix_record(sock: UnixSocket, owners: OwnerMap | None) -> dict[str, Any]:
    """A JSON-ready dict of one UNIX socket (the path complete, spaces and all)."""
    path = sock.path
    record: dict[str, Any] = {
        "proto": "unix",
        "ref_count": sock.ref_count,
        "protocol": sock.protocol,
        "flags": sock.flags,
        "listening": sock.listening,
        "type": _UNIX_TYPES.get(sock.type),
        "type_code": sock.type,
        "state": _UNIX_STATES.get(sock.state),
        "state_code": sock.state,
        "inode": sock.inode,
        "abstract": bool(path and path.startswith("@")),
        **text_fields("path", path),
    }
    if owners is not None:
        record["owners"] = _owners(owners, sock.inode)
    return record


def netns_record(namespace: Namespace) -> dict[str, Any]:
    """The ``netns`` field of each socket read inside a namespace (--netns, --all-netns)."""
    container = namespace.container
    return {
        "inode": namespace.inode,
        "name": namespace.name,
        "container": None
        if container is None
        else {"runtime": container.runtime, "id": container.id, "pod_uid": container.pod_uid},
    }


def dumps(record: dict[str, Any]) -> str:
    """One record as compact JSON text (key order as built, valid UTF-8, no NaN)."""
    return json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def stream_array(head: dict[str, Any], key: str, records: Iterator[str]) -> Iterator[str]:
    """``{...head, key: [records...]}`` produced piece by piece, so output streams."""
    opening = dumps(head)[:-1]
    yield f'{opening},"{key}":['
    first = True
    for text in records:
        yield text if first else "," + text
        first = False
    yield "]}\n"


def statistics_document(family: str, sections: Iterable[StatSection]) -> dict[str, Any]:
    """``-s --json``: every section and counter, in the kernel's order, values as printed."""
    return {
        "schema_version": SCHEMA_VERSION,
        "view": "statistics",
        "family": family,
        "sections": [
            {"name": s.name, "source": s.source, "counters": dict(s.counters)} for s in sections
        ],
    }


def route4_record(route: Route4, resolver: Resolver | None) -> dict[str, Any]:
    """A JSON-ready dict of one IPv4 route (every /proc/net/route column)."""
    record: dict[str, Any] = {
        "family": "inet",
        "destination": str(route.destination),
        "prefix_len": bin(int(route.mask)).count("1"),
        "mask": str(route.mask),
        "gateway": str(route.gateway),
        "flags": route.flags,
        "iface": route.iface,
        "metric": route.metric,
        "refcnt": route.refcnt,
        "use": route.use,
        "mtu": route.mtu,
        "window": route.window,
        "irtt": route.irtt,
    }
    if resolver is not None:
        record["gateway_name"] = (
            resolver.resolve_host(route.gateway) if int(route.gateway) else None
        )
    return record


def route6_record(route: Route6, resolver: Resolver | None) -> dict[str, Any]:
    """A JSON-ready dict of one IPv6 route (every /proc/net/ipv6_route column)."""
    record: dict[str, Any] = {
        "family": "inet6",
        "destination": _address_text(route.destination),
        "prefix_len": route.prefix_len,
        "source": _address_text(route.source),
        "source_prefix_len": route.source_len,
        "next_hop": _address_text(route.next_hop),
        "flags": route.flags,
        "iface": route.iface,
        "metric": route.metric,
        "refcnt": route.refcnt,
        "use": route.use,
    }
    if resolver is not None:
        hop = route.next_hop
        record["next_hop_name"] = resolver.resolve_host(hop) if int(hop) else None
    return record


def interface_record(row: Interface) -> dict[str, Any]:
    """A JSON-ready dict of one interface: flags, addresses and the kernel's counters."""
    return {
        **text_fields("name", row.name),
        "flags": row.flags,
        "mtu": row.mtu,
        "hw_type": row.hw_type,
        "hw_address": row.hw_address.hex(":") if row.hw_address is not None else None,
        "txqueuelen": row.txqueuelen,
        "address": str(row.address) if row.address is not None else None,
        "netmask": str(row.netmask) if row.netmask is not None else None,
        "broadcast": str(row.broadcast) if row.broadcast is not None else None,
        "destination": str(row.destination) if row.destination is not None else None,
        "inet6": [
            {
                "address": _address_text(a.address),
                "prefix_len": a.prefix_len,
                "scope": a.scope,
                "flags": a.flags,
            }
            for a in row.inet6
        ],
        "counters": row.counters._asdict() if row.counters is not None else None,
    }


def group_record(row: GroupMembership, resolver: Resolver | None) -> dict[str, Any]:
    """A JSON-ready dict of one multicast membership."""
    record: dict[str, Any] = {
        "family": "inet6" if row.family == 10 else "inet",
        "ifindex": row.ifindex,
        **text_fields("device", row.device.rstrip(" ")),
        "group": _address_text(row.group),
        "users": row.users,
    }
    if resolver is not None:
        record["group_name"] = resolver.resolve_host(row.group)
    return record
