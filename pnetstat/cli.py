"""The ``pnetstat`` command: netstat's options in, netstat's bytes out.

``main()`` runs one invocation against given streams and returns the exit status, so tests call
it in-process; ``run()`` is the console entry point and the only place that touches the
process's signals and calls ``sys.exit``.
"""

from __future__ import annotations

import io
import os
import sys
import time

from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import TextIO

    from _typeshed import ReadableBuffer

    from .filters.tree import Filter

from ._version import __version__
from .commands import Command, Context
from .options import Exit, Mode, Options, parse_args
from .resolve import Resolver
from .sources.procfs import ProcFS

__all__ = ["USAGE", "main", "program_name", "run"]

PROG = "pnetstat"
# A command line that cannot be acted on: netstat's status for its usage errors, and ours for a
# bad value of a pnetstat option or an unusable --proc-root (the README lists every status).
EXIT_BAD_VALUE = 3

USAGE = """\
usage: pnetstat [options] [FILTER]      list sockets (default: connected ones)
       pnetstat -r | -i | -g | -s [...]  routes, interfaces, multicast groups, statistics
       pnetstat -V | -h

pnetstat accepts net-tools netstat's options and prints what netstat prints.

Sockets:
  -t, --tcp  -u, --udp  -U, --udplite  -w, --raw  -x, --unix  -S, --sctp
  -4 | -6 | -A FAMILY[,FAMILY] | --inet --inet6 --unix ...   address families
  -a, --all          listening and connected sockets     -l, --listening  listening only
  -n, --numeric      no name lookups (also --numeric-hosts, --numeric-ports, --numeric-users)
  -e, --extend       user and inode                      -o, --timers     timers
  -p, --programs     PID/program owning each socket      -W, --wide       no truncation
  -c, --continuous   repeat every second                 -v, --verbose    report missing families
pnetstat only:
  --json, --json-lines   machine-readable output (--json-lines: one object per socket)
  --dns-timeout=SEC  wait at most SEC for one host name (default 2), then print the address
  --dns-deadline=SEC wait at most SEC for host names in all (default 5)
  --source=auto|netlink|proc  read sockets through NETLINK_SOCK_DIAG or /proc (default auto)
  --proc-root=DIR    read another /proc (a host's /proc mounted in a container, a copy)
  --netns=NS         show network namespace NS: a name (ip netns), a path or a PID
  --all-netns        every network namespace of the host, one section each
  FILTER             ss's filter language: state established '( dport = :22 or sport = :22 )',
                     and pid, program, uid, user, inode, netns, container (README)
  --filter-file=FILE read the filter from FILE
  --kill             close the TCP sockets the filter selects (SOCK_DESTROY)
  --watch[=SEC]      print only what changed, every SEC (default 1)
  --top[=SEC]        live full-screen view of TCP connections: bytes/s, RTT, processes
  --serve=[ADDR]:PORT  Prometheus metrics over HTTP (pnetstat[exporter]); --textfile=PATH
                     writes them once; --max-series=N bounds each per-port metric (1000)
Other views:
  -r, --route        routing table (-F FIB, -C cache; -e, -ee more columns)
  -i, --interfaces   interface table (-a all, -e long form)
  -g, --groups       multicast group memberships
  -s, --statistics   protocol statistics (-t, -u, -w to choose; -6 for IPv6)
  -M, --masquerade   masqueraded connections (not in Linux since 2.4)
"""


def _version() -> str:
    return f"pnetstat {__version__}\nA Python reimplementation of net-tools netstat 2.10.\n"


def _command(options: Options, context: Context, first: bool) -> Command:
    if options.mode == Mode.SOCKETS:
        from .commands.sockets import list_sockets

        return list_sockets(options, context)
    if options.mode == Mode.MASQUERADE:
        return _masquerade(context)
    if options.mode == Mode.STATISTICS:
        from .commands.statistics import show_statistics

        return show_statistics(options, context, first)
    if options.mode == Mode.ROUTE:
        from .commands.routes import show_routes

        return show_routes(options, context, first)
    if options.mode == Mode.INTERFACES:
        from .commands.interfaces import show_interfaces

        return show_interfaces(options, context, first)
    raise AssertionError(options.mode)


def _masquerade(context: Context) -> Command:
    # /proc/net/ip_masquerade left Linux in 2.4; netstat reports that and fails.
    import os

    if not os.path.exists(context.proc.path("net/ip_masquerade")):
        yield 2, "netstat: no support for `ip_masquerade' on this system.\n"
        return 1
    return 0


def _drain(command: Command, stdout: TextIO, stderr: TextIO) -> int:
    while True:
        try:
            stream, text = next(command)
        except StopIteration as stop:
            return int(stop.value or 0)
        if stream == 1:
            stdout.write(text)
        elif stream == 0:  # the command finished a pass the reader should see now
            stdout.flush()
        else:
            stderr.write(text)
            stderr.flush()


def main(
    argv: Sequence[str] | None = None,
    *,
    proc: str | None = None,
    etc: str | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    sleep: float = 1.0,
    prog: str = PROG,
) -> int:
    """Run one ``pnetstat`` invocation; ``argv`` excludes the program name, ``prog`` is the
    name its messages give (``netstat`` when the zipapp is installed under that name)."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    args = list(sys.argv[1:] if argv is None else argv)
    parsed = parse_args(args, prog)
    if isinstance(parsed, Exit):
        return _exit(parsed, out, err, prog)
    repeats = (parsed.watch, parsed.top, parsed.serve)
    if parsed.continuous or any(mode is not None for mode in repeats):
        # A run that repeats collects its garbage; the console entry points start with the
        # collector off (scripts/pnetstat says why).
        import gc

        gc.enable()
    if parsed.proc_root is not None and proc is None:
        problem = _unusable_proc_root(parsed.proc_root)
        if problem:
            err.write(f"{prog}: --proc-root: {problem}\n")
            return EXIT_BAD_VALUE
    for warning in parsed.warnings:
        err.write(warning)
    resolver = Resolver(
        etc or "/etc", lookup_timeout=parsed.dns_timeout, total_timeout=parsed.dns_deadline
    )
    context = Context(ProcFS(proc or parsed.proc_root or "/proc"), resolver, parsed.source)
    if parsed.top is not None:
        return _top(parsed, context, out, err, prog)
    if parsed.filter_words or parsed.filter_file is not None:
        chosen = _filter(parsed, err, prog)
        if chosen is None:
            return EXIT_BAD_VALUE
        context = context._replace(filter=chosen)
    if parsed.serve is not None or parsed.textfile is not None:
        from .serve.run import export

        return export(parsed, proc or parsed.proc_root or "/proc", err, prog)
    if parsed.watch is not None:
        return _drain(_watch(parsed, context), out, err)
    if parsed.netns is not None or parsed.all_netns:
        from .commands.namespaces import in_namespaces

        def one_pass(first: bool) -> int:
            return _drain(in_namespaces(parsed, context, first, _command), out, err)
    else:

        def one_pass(first: bool) -> int:
            return _drain(_command(parsed, context, first), out, err)

    first = True
    while True:
        status = one_pass(first)
        out.flush()
        # netstat repeats only listings, stops on the first failure, and -s is one pass.
        if not parsed.continuous or status or parsed.mode == Mode.STATISTICS:
            return status
        first = False
        time.sleep(sleep)


def _watch(parsed: Options, context: Context) -> Command:
    """``--watch``, in the namespace --netns names (entered for the whole watch)."""
    from .commands.watch import watch

    if parsed.netns is None:
        return (yield from watch(parsed, context))
    from .errors import NamespaceError
    from .sources.netns import entered, find_namespace

    try:
        namespace = find_namespace(parsed.netns, context.proc)
        with entered(namespace):
            return (yield from watch(parsed, context._replace(namespace=namespace)))
    except NamespaceError as exc:
        yield 2, f"pnetstat: --netns: {exc.path}: {exc.strerror}\n"
        return 1


def _top(parsed: Options, context: Context, out: TextIO, err: TextIO, prog: str) -> int:
    """``--top``: the live view on the terminal that stdout is, in the namespace --netns
    names (entered for the whole run)."""
    if not _descriptor(out)[1]:
        err.write(f"{prog}: --top needs a terminal\n")
        return 1
    from .errors import NamespaceError, NetlinkError
    from .live.top import filter_problem, run_top

    chosen = None
    text = " ".join(word for item in parsed.filter_words for word in item.split())
    if parsed.filter_words or parsed.filter_file is not None:
        # The kernel's own conditions are refused below in --top's words, whatever --source.
        chosen = _filter(parsed._replace(source="netlink"), err, prog)
        if chosen is None:
            return EXIT_BAD_VALUE
        problem = filter_problem(chosen)
        if problem:
            err.write(f"{prog}: filter: {problem}\n")
            return EXIT_BAD_VALUE
        text = text or f"--filter-file={parsed.filter_file}"
    out.flush()
    try:
        if parsed.netns is None:
            return run_top(parsed.top or 1.0, context.proc, chosen, text)
        from .sources.netns import entered, find_namespace

        with entered(find_namespace(parsed.netns, context.proc)):
            return run_top(parsed.top or 1.0, context.proc, chosen, text)
    except NamespaceError as exc:
        err.write(f"{prog}: --netns: {exc.path}: {exc.strerror}\n")
    except NetlinkError as exc:
        err.write(f"{prog}: --top: sock_diag: {exc}\n")
    return 1


def _filter(parsed: Options, err: TextIO, prog: str) -> Filter | None:
    """The filter the command line gives, or None after one line on ``err`` saying why not."""
    from .filters.parse import FilterError, parse_filter, split_words

    words = list(parsed.filter_words)
    if parsed.filter_file is not None:
        try:
            with open(parsed.filter_file, encoding="utf-8", errors="surrogateescape") as handle:
                words = [handle.read()]
        except OSError as exc:
            err.write(f"{prog}: --filter-file: {parsed.filter_file}: {exc.strerror}\n")
            return None
    try:
        chosen = parse_filter(split_words(words))
    except FilterError as exc:
        err.write(f"{prog}: filter: {exc}\n")
        return None
    problem = _kernel_only_problem(chosen, parsed.source)
    if problem:
        err.write(f"{prog}: filter: {problem}\n")
        return None
    return chosen


def _kernel_only_problem(chosen: Filter, source: str) -> str | None:
    """Why a filter with dev, fwmark or autobound cannot run here: only the kernel sees
    those, so the whole expression must go to it as bytecode, from the netlink source."""
    from .filters.bytecode import compilable
    from .filters.predicate import kernel_only

    expression = chosen.expression
    if expression is None or not kernel_only(expression):
        return None
    if not compilable(expression):
        return "dev, fwmark and autobound cannot be combined with user-space conditions"
    if source != "netlink":
        return "dev, fwmark and autobound are decided by the kernel: add --source=netlink"
    return None


def _unusable_proc_root(root: str) -> str | None:
    """Why ``root`` cannot stand for /proc, or None. Checked before any output, so that a
    mistyped path is not reported in netstat's words as a kernel without TCP support."""
    try:
        os.listdir(root)
    except OSError as exc:
        return f"{root}: {exc.strerror}"
    if not os.path.isdir(os.path.join(root, "net")):
        return f"{root}: not a /proc tree (it has no net directory)"
    return None


def _exit(outcome: Exit, out: TextIO, err: TextIO, prog: str) -> int:
    usage = USAGE.replace(PROG, prog)
    if outcome.version:
        out.write(_version())
    if outcome.help:
        out.write(usage)
    if outcome.stderr:
        err.write(outcome.stderr)
    if outcome.usage:
        err.write(usage)
    return outcome.status


def program_name(argv0: str) -> str:
    """The name messages give: argv[0]'s base name without ``.pyz``, ``pnetstat`` when run as
    a module (``python3 -m pnetstat``).

    >>> program_name("/usr/local/bin/netstat"), program_name("./pnetstat.pyz")
    ('netstat', 'pnetstat')
    >>> program_name("/src/pnetstat/__main__.py"), program_name("")
    ('pnetstat', 'pnetstat')
    """
    name = os.path.basename(argv0)
    for suffix in (".pyz", ".py"):
        name = name.removesuffix(suffix)
    return PROG if name in ("", "__main__", "-c") else name


class _QuietOutput(io.RawIOBase):
    """stdout as netstat treats it: a failed write (a full disk, a closed descriptor) is not
    an error that stops the run or changes its status; a closed pipe ends the process through
    SIGPIPE, as it ends netstat."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        # --top asks whether stdout is a terminal (curses draws on it).
        if self.fd < 0:
            raise OSError(9, "Bad file descriptor")
        return self.fd

    def write(self, data: ReadableBuffer) -> int:
        view = memoryview(data).cast("B")
        while view and self.fd >= 0:
            try:
                view = view[os.write(self.fd, view) :]
            except InterruptedError:
                continue
            except OSError:
                break
        return memoryview(data).nbytes


def _descriptor(stream: object) -> tuple[int, bool]:
    """The stream's fd and whether it is a terminal; -1 if the process started without it."""
    try:
        fd: int = stream.fileno()  # type: ignore[attr-defined]
        return fd, os.isatty(fd)
    except (AttributeError, OSError, ValueError):
        return -1, False


def run() -> None:
    """Console entry point: netstat's signal behaviour, then ``sys.exit`` with the status."""
    import _signal  # type: ignore[import-not-found]  # C module; signal.py builds enums

    # Like netstat, die quietly when the reader of a pipe goes away (``| head``).
    _signal.signal(_signal.SIGPIPE, _signal.SIG_DFL)
    # Buffer stdout as C's stdio does (lines on a terminal, 4 KiB blocks elsewhere) whatever
    # PYTHONUNBUFFERED says, so that netstat's warnings on unbuffered stderr land in the same
    # place as netstat's when both streams go to one pipe.
    fd, isatty = _descriptor(sys.stdout)
    stdout = io.TextIOWrapper(
        io.BufferedWriter(_QuietOutput(fd), buffer_size=4096),
        encoding="utf-8",
        errors="surrogateescape",
        newline="\n",
        line_buffering=isatty,
    )
    stderr = io.TextIOWrapper(
        io.BufferedWriter(_QuietOutput(_descriptor(sys.stderr)[0])),
        encoding="utf-8",
        errors="surrogateescape",
        newline="\n",
        write_through=True,
    )
    try:
        status = main(stdout=stdout, stderr=stderr, prog=program_name(sys.argv[0]))
        stdout.flush()
    except KeyboardInterrupt:
        # Ctrl-C ends -c; the shell convention for death by SIGINT is 128 + 2.
        try:
            stdout.flush()
        except OSError:
            pass
        status = 130
    except BrokenPipeError:
        status = 141
    # What is left is freed when the process ends; the interpreter's last full collection
    # would only walk every object of the run once more to find no garbage that matters
    # (about 7 M instructions, 2 ms, of an idle -tan). Frozen objects are not walked; the
    # streams are still flushed and atexit still runs.
    import gc

    gc.freeze()
    sys.exit(status)
