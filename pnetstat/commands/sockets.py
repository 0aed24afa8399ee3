"""The socket-listing pass (netstat with no mode option): Internet sections, groups, UNIX,
then the families Linux no longer has.

Order and stopping rules follow net-tools 2.10: TCP, SCTP, UDP, UDP-Lite and RAW (IPv4 file,
then IPv6 file), the multicast groups, UNIX, then IPX, AX.25, X.25, NET/ROM and ROSE. When a
protocol was asked for explicitly and its IPv4 file is missing, netstat says so and stops with
status 1 after that protocol; a missing IPv6 file is always passed over in silence.
"""

from __future__ import annotations

import os

from .._typing import TYPE_CHECKING
from ..errors import NetlinkError, ParseError, ProcReadError, Unsupported
from ..model import Family, OwnerMap, Protocol
from ..options import Options
from ..resolve import Resolver
from ..sources.sockets import Narrowing, inet_tables, read_unix, tcp_dump
from ..views.sockets import (
    render_inet_rows,
    render_unix_rows,
)
from . import Command, Context, no_support
from .sinks import JsonSink, Sink, TextSink

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..sources.sockdiag import TcpDump
    from .filtering import Select

__all__ = ["list_into", "list_sockets", "owner_notes"]

_WARNING_WORD = {Protocol.TCP: "tcp", Protocol.UDP: "udp", Protocol.UDPLITE: "udp",
                 Protocol.RAW: "raw"}  # fmt: skip
_SUPPORT_NAME = {Protocol.TCP: "AF INET (tcp)", Protocol.UDP: "AF INET (udp)",
                 Protocol.UDPLITE: "AF INET (udplite)", Protocol.RAW: "AF INET (raw)"}  # fmt: skip
# Rows are handed to the CLI in chunks: one write per line would cost more than the row.
_CHUNK = 512
# Families net-tools can list but Linux dropped, with the /proc files netstat tries.
_OLD_FAMILIES = (
    ("ipx", "AF IPX", ("net/ipx/socket", "net/ipx")),
    ("ax25", "AF AX25", ("net/ax25",)),
    ("x25", "AF X25", ("net/x25",)),
    ("netrom", "AF NETROM", ("net/nr",)),
    ("rose", "AF ROSE", ("net/rose",)),
)


def owner_notes(owners: OwnerMap) -> Iterator[tuple[int, str]]:
    """netstat's notes when ``-p`` could not look into every process."""
    if owners.proc_unreadable or (owners.denied and not owners.owners):
        yield (
            2,
            (
                f'(No info could be read for "-p": geteuid()={owners.euid} '
                "but you should be root.)\n"
            ),
        )
    elif owners.denied:
        yield 2, "(Not all processes could be identified, non-owned process info\n"
        yield 2, " will not be shown, you would have to be root to see it all.)\n"


def list_sockets(options: Options, context: Context) -> Command:
    """One pass of the socket listing (text, or JSON with ``--json``/``--json-lines``)."""
    sink: Sink = TextSink()
    if options.json or options.json_lines:
        sink = JsonSink(options.json_lines, context.namespace)
    for line in sink.open():
        yield 1, line
    status = yield from list_into(options, context, sink)
    for line in sink.close():
        yield 1, line
    return status


def list_into(options: Options, context: Context, sink: Sink) -> Command:
    """The listing's sections through ``sink`` (which opens and closes nothing here)."""
    explicit = options.explicit
    owners: OwnerMap | None = None
    select: Select | None = None
    if context.filter is not None:  # only a filtered listing pays for the filter's modules
        from .filtering import selector

        select, context = selector(options, context)
    if not explicit or options.inet_selected:
        if options.programs:
            owners = _owners(context, sink)
            yield from owner_notes(owners)
        for line in sink.inet_header(options):
            yield 1, line
    for protocol in (Protocol.TCP, None, Protocol.UDP, Protocol.UDPLITE, Protocol.RAW):
        if protocol is None:
            if not explicit or options.sctp:
                status = yield from _sctp(options, context)
                if status:
                    return status
            continue
        if not explicit or getattr(options, protocol.value):
            status = yield from _inet(protocol, options, context, owners, sink, select)
            if status:
                return status
    if options.groups:
        from .groups import list_groups

        if isinstance(sink, JsonSink):
            status = yield from sink.group_section(options, context)
        else:
            status = yield from list_groups(options, context)
        if status:
            return status
    if not explicit or options.unix:
        if options.programs and owners is None:
            owners = _owners(context, sink)
            yield from owner_notes(owners)
        status = yield from _unix(options, context, owners, sink, select)
        if status:
            return status
    for flag, name, files in _OLD_FAMILIES:
        if not explicit or getattr(options, flag):
            if any(os.path.exists(context.proc.path(f)) for f in files):
                continue
            if explicit or options.verbose:
                yield no_support(name)
            if explicit:
                return 1
    if options.l2cap or options.rfcomm:
        yield 2, "netstat: feature `AF BLUETOOTH' not supported.\n"
        yield 2, "Please recompile `net-tools' with newer kernel source or full configuration.\n"
        return 1
    return 0


def _owners(context: Context, sink: Sink) -> OwnerMap:
    if context.owners is not None:
        return context.owners
    from ..sources.processes import read_owners

    return read_owners(context.proc, lazy=isinstance(sink, TextSink))


def _missing(name: str, options: Options) -> Iterator[tuple[int, str]]:
    if not options.protocols_implied and (options.explicit or options.verbose):
        yield no_support(name)


def _inet(
    protocol: Protocol,
    options: Options,
    context: Context,
    owners: OwnerMap | None,
    sink: Sink,
    select: Select | None = None,
) -> Command:
    status = 0
    warnings: list[ParseError] = []
    word = _WARNING_WORD[protocol]
    families = [
        family
        for family, wanted in ((Family.INET, options.inet), (Family.INET6, options.inet6))
        if wanted or not options.explicit
    ]
    narrowed = None
    if context.filter is not None:
        from .filtering import narrowing

        narrowed = narrowing(context)
    if protocol is Protocol.TCP and options.listening and not options.all:
        # -l shows TCP sockets whose remote port is 0: listeners, the only ones in the
        # kernel's tables with none. Asking the kernel for LISTEN alone skips the rest of a
        # busy table (-tln at 100k connections: all 200k rows were read and dropped).
        states = (narrowed.states if narrowed else 0xFFFFFFFF) & (1 << 10)
        narrowed = Narrowing(states, narrowed.bytecode if narrowed else b"")
    if protocol is Protocol.TCP and select is None and _shared_out(options, sink):
        dump = tcp_dump(context.proc, context.source, families, warnings.append, narrowed)
        if dump is not None:
            return (yield from _tcp_shared(dump, options, context.resolver, warnings))
    tables = inet_tables(
        context.proc, context.source, protocol, families, warnings.append, narrowed
    )
    for family, read in tables:
        try:
            rows = read()
        except Unsupported:
            if family is Family.INET:
                yield from _missing(_SUPPORT_NAME[protocol], options)
                if not options.protocols_implied and options.explicit:
                    status = 1
            continue
        except ProcReadError as exc:
            if family is Family.INET6:
                continue
            yield 2, f"{exc.path}: {exc.strerror}\n"
            return 255
        except NetlinkError as exc:
            yield _refused(protocol, exc)
            return 1
        if select is not None:
            rows = filter(select, rows)
        if options.kill and protocol is Protocol.TCP:
            from .filtering import kill

            status = (yield from kill(rows, options, context, owners, sink)) or status
            continue
        try:
            yield from _with_warnings(
                sink.inet_rows(rows, options, context.resolver, owners), warnings, word
            )
        except NetlinkError as exc:  # the dump failed after its first datagram
            yield _refused(protocol, exc)
            return 1
    return status


def _refused(protocol: Protocol, exc: NetlinkError) -> tuple[int, str]:
    return 2, f"pnetstat: netlink sock_diag refused the {protocol.value} dump: {exc}\n"


def _shared_out(options: Options, sink: Sink) -> bool:
    """Whether the TCP rows may be decoded and rendered partly in a second process: text
    whose lines depend on nothing but their own row. Host names are out (their lookups share
    one deadline), and so are ``-e`` and ``-p`` (a SYN_RECV row takes its listener's uid)."""
    return (
        isinstance(sink, TextSink)
        and options.numeric_hosts
        and not (options.extend or options.programs)
    )


def _tcp_shared(
    dump: TcpDump, options: Options, resolver: Resolver, warnings: list[ParseError]
) -> Command:
    """The TCP rows of both families from one dump, decoded and rendered partly in a worker
    process (``fanout``): the datagrams for the IPv4 rows, then the IPv6 messages they set
    aside. What cannot be taken from there as it is (a socket seen before, a malformed
    message, an error) is decoded again here, in order."""
    from ..fanout import Chunk, ordered

    for family, items in ((Family.INET, dump.datagrams), (Family.INET6, dump.set_aside())):

        def work(
            item: Chunk, family: Family = family
        ) -> tuple[set[int], list[bytearray], int, str]:
            rows, cookies, others = dump.batch(item, family)
            return cookies, others, len(rows), "".join(render_inet_rows(rows, options, resolver))

        try:
            for item, outcome in ordered(items, work):
                if outcome is not None:
                    cookies, others, count, text = outcome
                    if dump.merge(cookies, others, count, family):
                        if text:
                            yield 1, text
                        continue
                rows = dump.rows(item, family)
                lines = render_inet_rows(rows, options, resolver)
                yield from _with_warnings(lines, warnings, "tcp")
        except NetlinkError as exc:
            yield _refused(Protocol.TCP, exc)
            return 1
    return 0


def _with_warnings(
    lines: Iterator[str], warnings: list[ParseError], word: str
) -> Iterator[tuple[int, str]]:
    """Pass rows on in chunks, with netstat's bogus-line warnings before the rows after them.

    If reading fails part way (a netlink dump that breaks off), the rows before the failure
    are passed on before it is raised.
    """
    chunk: list[str] = []
    append, size = chunk.append, chunk.__len__  # once per row: bound methods, no lookups
    try:
        for line in lines:
            if warnings:
                if chunk:
                    yield 1, "".join(chunk)
                    chunk.clear()
                for _ in warnings:
                    yield 2, f"warning, got bogus {word} line.\n"
                warnings.clear()
            append(line)
            if size() >= _CHUNK:
                yield 1, "".join(chunk)
                chunk.clear()
    except Exception:
        yield from _rest(chunk, warnings, word)
        raise
    yield from _rest(chunk, warnings, word)


def _rest(chunk: list[str], warnings: list[ParseError], word: str) -> Iterator[tuple[int, str]]:
    if chunk:
        yield 1, "".join(chunk)
    for _ in warnings:
        yield 2, f"warning, got bogus {word} line.\n"
    warnings.clear()


def _sctp(options: Options, context: Context) -> Command:
    # No SCTP listing is implemented: this host has no SCTP module, so netstat's behaviour
    # for the files that exist could not be observed. Missing files behave as in netstat.
    if options.explicit and not options.inet:
        # Only the IPv4 files can be missing "support"; the sctp6 ones netstat also tries
        # never exist and are passed over in silence.
        return 0
    parts = []
    if options.all or options.listening:
        parts.append("net/sctp/eps")
    if not options.listening or options.all:
        parts.append("net/sctp/assocs")
    for part in parts:
        if os.path.exists(context.proc.path(part)):
            continue
        yield from _missing("AF INET (sctp)", options)
        if not options.protocols_implied and options.explicit:
            return 1
    return 0


def _unix(
    options: Options,
    context: Context,
    owners: OwnerMap | None,
    sink: Sink,
    select: Select | None = None,
) -> Command:
    # /proc/net/unix's parser (and its regular expressions) only when UNIX rows are listed.
    from ..sources.proc_unix import read_unix_blocks

    warnings: list[ParseError] = []
    for line in sink.unix_header(options):
        yield 1, line
    try:
        if select is None and _unix_shared_out(sink, owners):
            header, blocks = read_unix_blocks(context.proc)
            path = context.proc.path("net/unix")
            lines = _unix_shared(header, blocks, path, options, warnings)
        else:
            rows = read_unix(context.proc, context.source, warnings.append)
            if select is not None:
                rows = filter(select, rows)
            lines = _with_warnings(
                sink.unix_rows(rows, options, context.resolver, owners), warnings, "unix"
            )
    except Unsupported:
        yield from _missing("AF UNIX", options)
        return 1 if options.explicit and not options.protocols_implied else 0
    except ProcReadError as exc:
        yield 2, f"{exc.path}: {exc.strerror}\n"
        return 255
    yield from lines
    return 0


def _unix_shared_out(sink: Sink, owners: OwnerMap | None) -> bool:
    """Whether the UNIX rows may be parsed and rendered partly in a second process: text
    without ``-p`` (the owners are this process's)."""
    return isinstance(sink, TextSink) and owners is None


def _unix_shared(
    header: str, blocks: Iterator[bytes], path: str, options: Options, warnings: list[ParseError]
) -> Iterator[tuple[int, str]]:
    """The UNIX table as text (no ``-p``), /proc/net/unix's blocks parsed and rendered partly in
    a worker process (``fanout``). A block with a line netstat calls bogus is parsed again
    here, so that its warnings come where they belong."""
    from ..fanout import Chunk, ordered
    from ..sources.proc_unix import parse_unix_block

    def work(block: Chunk) -> str:
        rows = parse_unix_block(header, bytes(block), path, _raise)
        return "".join(render_unix_rows(rows, options))

    for block, text in ordered(blocks, work):
        if text is None:
            rows = parse_unix_block(header, bytes(block), path, warnings.append)
            yield from _with_warnings(render_unix_rows(rows, options), warnings, "unix")
        elif text:
            yield 1, text


def _raise(error: ParseError) -> None:
    raise error
