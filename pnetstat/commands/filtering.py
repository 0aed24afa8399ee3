"""The filter's part in a socket listing: which rows pass (``selector``), what the kernel may
leave out of a netlink dump (``narrowing``), and ``--kill``, which closes what is listed."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ..errors import NetlinkError
from ..model import InetSocket, OwnerMap, Protocol, UnixSocket
from ..options import Options
from ..sources.processes import read_owners
from . import Command, Context
from .sinks import Sink

if TYPE_CHECKING:
    from ..sources.sockets import Narrowing

__all__ = ["Select", "kill", "narrowing", "selector"]


Select = Callable[[InetSocket | UnixSocket], bool]


def selector(options: Options, context: Context) -> tuple[Select | None, Context]:
    """The filter's test of one row (None without a filter), and the context to go on with:
    when the filter asks about owners (pid, program), their map is read whole here and -p
    shows the same."""
    chosen = context.filter
    if chosen is None:
        return None, context
    from ..filters.predicate import Context as Facts
    from ..filters.predicate import fields, row_selector

    asked = fields(chosen.expression) if chosen.expression is not None else set()
    if asked & {"pid", "program"} and context.owners is None:
        context = context._replace(owners=read_owners(context.proc))
    namespace = context.namespace
    labels: tuple[str, ...] = ()
    container: tuple[str, ...] = ()
    if namespace is not None:
        labels = (namespace.label, f"net:[{namespace.inode}]")
        if namespace.container is not None:
            found = namespace.container
            container = (found.id, found.short, found.runtime)
    from functools import cache, partial

    from ..sources.procfs import read_local_port_range

    port_range = cache(partial(read_local_port_range, context.proc))
    facts = Facts(context.owners, context.resolver.resolve_user, labels, container, port_range)
    # dev, fwmark and autobound are decided by the kernel alone (the CLI lets them through
    # only with --source=netlink): a netlink table's row has passed them already.
    trusted = _KERNEL_TABLES if context.source == "netlink" else None
    selector = row_selector(chosen.states, chosen.expression, facts, chosen.families, trusted)
    return selector, context


_KERNEL_TABLES = frozenset({Protocol.TCP, Protocol.UDP, Protocol.UDPLITE})


def narrowing(context: Context) -> Narrowing | None:
    """What the kernel can leave out of a netlink dump for the filter: its states, and its
    expression as bytecode when the kernel can decide all of it."""
    chosen = context.filter
    if chosen is None:
        return None
    from ..filters.bytecode import compilable, compile_bytecode
    from ..sources.sockets import Narrowing

    states = 0xFFFFFFFF
    if chosen.states is not None:
        states = sum(1 << state for state in chosen.states)
        if 3 in chosen.states:  # the kernel's request sockets are TCP_NEW_SYN_RECV (12)
            states |= 1 << 12
    bytecode = b""
    if chosen.expression is not None and compilable(chosen.expression):
        bytecode = compile_bytecode(chosen.expression)
    return Narrowing(states, bytecode)


def kill(
    rows: Iterable[InetSocket],
    options: Options,
    context: Context,
    owners: OwnerMap | None,
    sink: Sink,
) -> Command:
    """``--kill``: each TCP socket listed is printed, then closed (SOCK_DESTROY); one the
    kernel would not close gets a line saying why, and the status is 1."""
    from ..sources.sockdiag import destroy_inet

    status = 0
    for row in list(rows):  # the whole table first: closing a socket changes it
        lines = list(sink.inet_rows([row], options, context.resolver, owners))
        if not lines:  # not listed (a listener without -a): not touched
            continue
        for line in lines:
            yield 1, line
        try:
            destroy_inet(row)
        except NetlinkError as exc:
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            if exc.errno == errno.EOPNOTSUPP:
                reason += " (a kernel without CONFIG_INET_DIAG_DESTROY)"
            elif exc.errno == errno.EPERM:
                reason += " (closing another's socket needs CAP_NET_ADMIN)"
            local = f"{row.local_address}:{row.local_port}"
            remote = f"{row.remote_address}:{row.remote_port}"
            yield 2, f"pnetstat: --kill: {local} {remote}: not closed: {reason}\n"
            status = 1
    return status
