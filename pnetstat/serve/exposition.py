"""prometheus_client for the fleet view: ``--serve`` (an HTTP exporter) and ``--textfile``
(one write for node_exporter's textfile collector). prometheus_client is the ``exporter``
extra; without it ``require`` names the install command.

Every scrape reads the kernel fresh; scrapes that arrive while one is reading wait for it and
share its result (one read, however many scrapers). The HTTP side is prometheus_client's: it
negotiates the Prometheus text format or OpenMetrics from the Accept header, answers a
malformed request with 400, and serves each request on a thread of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from .metrics import Family

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

__all__ = ["SharedScrape", "registry", "require", "serve", "write_textfile"]

INSTALL = "pip install 'pnetstat[exporter]'"


def require() -> None:
    """Raise ``UsageError`` (one line saying how to install it) without prometheus_client."""
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        raise UsageError(f"the exporter needs prometheus_client: {INSTALL}") from None


class SharedScrape:
    """One read of the kernel at a time: a scrape that arrives while another reads waits
    for that read and takes its families."""

    def __init__(self, read: Callable[[], list[Family]]) -> None:
        self._read = read
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._reading = False
        self._generation = 0
        self._result: list[Family] = []
        self._error: BaseException | None = None
        self.reads = 0  # how many times the kernel was read (tests count them)

    def __call__(self) -> list[Family]:
        with self._lock:
            if self._reading:
                wanted = self._generation + 1
                while self._generation < wanted:
                    self._done.wait()
                if self._error is not None:
                    raise self._error
                return self._result
            self._reading = True
        try:
            result, error = self._read(), None
        except BaseException as exc:  # handed to the waiters too, then raised here
            result, error = [], exc
        with self._lock:
            self._result, self._error = result, error
            self._reading = False
            self._generation += 1
            self.reads += 1
            self._done.notify_all()
        if error is not None:
            raise error
        return result


def _families(families: list[Family]) -> Iterator[Any]:
    from prometheus_client.core import GaugeMetricFamily, UnknownMetricFamily

    for family in families:
        kind = GaugeMetricFamily if family.kind == "gauge" else UnknownMetricFamily
        metric = kind(family.name, family.help, labels=list(family.labels))
        for labels, value in family.samples:
            metric.add_metric(list(labels), value)
        yield metric


def registry(scrape: Callable[[], list[Family]]) -> CollectorRegistry:
    """A registry whose one collector scrapes on each collection (no default collectors:
    the exporter's own process metrics are not what it is for)."""
    from prometheus_client.registry import CollectorRegistry

    class Collector:
        def collect(self) -> Iterator[Any]:
            return _families(scrape())

    found = CollectorRegistry(auto_describe=False)
    found.register(Collector())
    return found


def serve(
    address: str, port: int, scrape: Callable[[], list[Family]], stop: threading.Event
) -> None:
    """Answer ``GET /metrics`` on ``address:port`` until ``stop`` is set."""
    from prometheus_client import start_http_server

    server, thread = start_http_server(port, addr=address, registry=registry(scrape))
    try:
        stop.wait()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def write_textfile(path: str, scrape: Callable[[], list[Family]]) -> None:
    """Write one scrape to ``path`` atomically (a temporary file in the same directory, then
    a rename), as node_exporter's textfile collector expects."""
    from prometheus_client import write_to_textfile

    write_to_textfile(path, registry(scrape))
