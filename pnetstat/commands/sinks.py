"""Where a socket listing's rows go: netstat's text (the views of views/sockets.py) or JSON
(one document per pass, or one object per socket)."""

from __future__ import annotations

from .._typing import TYPE_CHECKING, Protocol
from ..errors import Unsupported
from ..model import InetSocket, OwnerMap, UnixSocket
from ..options import Options
from ..resolve import Resolver
from ..views.sockets import (
    render_inet_header,
    render_inet_rows,
    render_unix_header,
    render_unix_rows,
    shown,
)
from . import Command, Context, no_support

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from ..model_tables import Namespace

__all__ = ["JsonSink", "Sink", "TextSink"]


class TextSink:
    """netstat's text: the views of views/sockets.py."""

    def open(self) -> Iterator[str]:
        return iter(())

    def close(self) -> Iterator[str]:
        return iter(())

    inet_header = staticmethod(render_inet_header)
    inet_rows = staticmethod(render_inet_rows)
    unix_header = staticmethod(render_unix_header)

    @staticmethod
    def unix_rows(
        rows: Iterable[UnixSocket], options: Options, resolver: Resolver, owners: OwnerMap | None
    ) -> Iterator[str]:
        return render_unix_rows(rows, options, owners)


class JsonSink:
    """``--json`` (one document per pass) or ``--json-lines`` (one object per socket)."""

    def __init__(self, lines: bool, namespace: Namespace | None = None) -> None:
        from ..views import json as json_view  # only JSON runs pay for the json module

        self.json = json_view
        self.lines = lines
        self.netns = None if namespace is None else json_view.netns_record(namespace)
        self.groups: list[dict[str, object]] = []
        self.first = True

    def open(self) -> Iterator[str]:
        if not self.lines:
            head = self.json.dumps({"schema_version": self.json.SCHEMA_VERSION, "view": "sockets"})
            yield head[:-1] + ',"sockets":['

    def close(self) -> Iterator[str]:
        if not self.lines:
            groups = self.json.dumps({"groups": self.groups})[1:] if self.groups else ""
            yield "]" + ("," + groups if groups else "}") + "\n"

    def group_section(self, options: Options, context: Context) -> Command:
        """-g in JSON: memberships go in a "groups" list (or one line each, "record": "group")."""
        from ..sources.igmp import read_igmp, read_igmp6

        names = None if options.numeric_hosts else context.resolver
        for reader, wanted in ((read_igmp, options.inet), (read_igmp6, options.inet6)):
            if not wanted:
                continue
            try:
                rows = list(reader(context.proc))
            except Unsupported:
                if reader is read_igmp and not options.protocols_implied:
                    yield no_support("AF INET (igmp)")
                    return 1
                continue
            for row in rows:
                record = self.json.group_record(row, names)
                if self.lines:
                    line = {"schema_version": self.json.SCHEMA_VERSION, "record": "group", **record}
                    yield 1, self.json.dumps(line) + "\n"
                else:
                    self.groups.append(record)
        return 0

    def _emit(self, record: dict[str, object]) -> str:
        if self.netns is not None:
            record["netns"] = self.netns
        if self.lines:
            return self.json.dumps({"schema_version": self.json.SCHEMA_VERSION, **record}) + "\n"
        text = self.json.dumps(record)
        text = text if self.first else "," + text
        self.first = False
        return text

    def inet_header(self, options: Options) -> Iterator[str]:
        return iter(())

    def unix_header(self, options: Options) -> Iterator[str]:
        return iter(())

    def inet_rows(
        self,
        rows: Iterable[InetSocket],
        options: Options,
        resolver: Resolver,
        owners: OwnerMap | None,
    ) -> Iterator[str]:
        names = None if options.numeric_hosts else resolver
        for sock in rows:
            if shown(sock.server, options):
                yield self._emit(self.json.inet_record(sock, names, owners))

    def unix_rows(
        self,
        rows: Iterable[UnixSocket],
        options: Options,
        resolver: Resolver,
        owners: OwnerMap | None,
    ) -> Iterator[str]:
        for sock in rows:
            if shown(sock.server, options):
                yield self._emit(self.json.unix_record(sock, owners))


class Sink(Protocol):
    """What a listing writes its sections through: TextSink, JsonSink, or --watch's capture."""

    def open(self) -> Iterator[str]: ...
    def close(self) -> Iterator[str]: ...
    def inet_header(self, options: Options) -> Iterator[str]: ...
    def unix_header(self, options: Options) -> Iterator[str]: ...
    def inet_rows(
        self,
        rows: Iterable[InetSocket],
        options: Options,
        resolver: Resolver,
        owners: OwnerMap | None,
    ) -> Iterator[str]: ...
    def unix_rows(
        self,
        rows: Iterable[UnixSocket],
        options: Options,
        resolver: Resolver,
        owners: OwnerMap | None,
    ) -> Iterator[str]: ...
