"""``--serve`` and ``--textfile`` as the CLI runs them: the settings from the options, one-line
errors (a missing extra, a port in use, an unwritable file), and the server's lifetime (until
SIGTERM, which ends it with status 0; SIGHUP is ignored)."""

from __future__ import annotations

import signal
import threading
from typing import TextIO

from ..errors import UsageError
from ..options import Options
from .collect import Settings, scrape
from .exposition import SharedScrape, require, serve, write_textfile

__all__ = ["export"]


def export(
    options: Options,
    proc: str,
    err: TextIO,
    prog: str,
    stop: threading.Event | None = None,
) -> int:
    """Serve (or write once) the metrics the options ask for; the exit status."""
    try:
        require()
    except UsageError as exc:
        err.write(f"{prog}: {exc}\n")
        return 1
    settings = Settings(
        proc=proc,
        source=options.source,
        all_netns=options.all_netns,
        programs=options.programs,
        max_series=options.max_series,
    )
    shared = SharedScrape(lambda: scrape(settings))
    if options.textfile is not None:
        try:
            write_textfile(options.textfile, shared)
        except OSError as exc:
            err.write(f"{prog}: --textfile: {options.textfile}: {exc.strerror or exc}\n")
            return 1
        if options.serve is None:
            return 0
    assert options.serve is not None
    address, port = options.serve
    if stop is None:
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            # The CLI dies quietly on a closed pipe (netstat's "| head"); a server must not: a
            # scraper hanging up mid-response is that client's loss, not the exporter's end.
            signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        serve(address, port, shared, stop)
    except OSError as exc:
        err.write(f"{prog}: --serve: {address}:{port}: {exc.strerror or exc}\n")
        return 1
    return 0
