"""netstat's command line: option parsing as net-tools 2.10 does it, into one frozen ``Options``.

netstat parses with glibc ``getopt_long`` (argument permutation, clustered short options,
unique-prefix long options with glibc's ambiguity rules and messages) and acts on each option
as it meets it, so ``-V -X`` prints the version while ``-X -V`` is a usage error. ``argparse``
cannot reproduce those messages and that order, so this module emulates the small part of
getopt that netstat uses. Nothing here does I/O: outcomes that end the run (help, version,
errors) come back as ``Exit``.
"""

from __future__ import annotations

from ._typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any, Final, Literal

    ModeName = Literal["sockets", "masquerade", "statistics", "route", "interfaces"]

__all__ = [
    "AF_ALIASES",
    "DNS_DEADLINE",
    "DNS_TIMEOUT",
    "HELP",
    "HELP_SECTIONS",
    "Exit",
    "Mode",
    "Options",
    "parse_args",
]

# Every spelling netstat accepts for an address family, and the name it records.
AF_ALIASES: dict[str, str] = {
    "inet": "inet", "ip": "inet", "tcpip": "inet", "inet6": "inet6", "ip6": "inet6",
    "unix": "unix", "ipx": "ipx", "ax25": "ax25", "netrom": "netrom", "x25": "x25",
    "rose": "rose", "bluetooth": "bluetooth", "appletalk": "ddp", "ddp": "ddp",
    "econet": "ec", "ash": "ash",
}  # fmt: skip

_SHORT_FLAGS = "CFMacdeghilnNoprsStuUvVWw2fx64?Z"

# (name, takes an argument, key). glibc treats two prefix matches as the same option when
# their key (its has_arg/flag/val triple) is equal, which is why every address-family name
# shares the key "AF" and a prefix such as "--ine" is not ambiguous.
_AF_LONG = [
    "ax25",
    "x25",
    "ip",
    "ipx",
    "appletalk",
    "netrom",
    "inet",
    "inet6",
    "ddp",
    "rose",
    "unix",
    "bluetooth",
    "tcpip",
]
_LONG: tuple[tuple[str, bool, str], ...] = (
    *((name, False, "AF") for name in _AF_LONG),
    ("version", False, "V"), ("interfaces", False, "i"), ("help", False, "h"),
    ("route", False, "r"), ("masquerade", False, "M"), ("protocol", True, "A"),
    ("tcp", False, "t"), ("sctp", False, "S"), ("udp", False, "u"), ("udplite", False, "U"),
    ("raw", False, "w"), ("unix", False, "x"), ("l2cap", False, "2"), ("rfcomm", False, "f"),
    ("listening", False, "l"), ("all", False, "a"), ("timers", False, "o"),
    ("continuous", False, "c"), ("extend", False, "e"), ("programs", False, "p"),
    ("verbose", False, "v"), ("statistics", False, "s"), ("wide", False, "W"),
    ("numeric", False, "n"), ("numeric-hosts", False, "numeric-hosts"),
    ("numeric-ports", False, "numeric-ports"), ("numeric-users", False, "numeric-users"),
    ("symbolic", False, "N"), ("cache", False, "C"), ("fib", False, "F"),
    ("groups", False, "g"), ("context", False, "Z"),
)  # fmt: skip
# pnetstat's own long options. A prefix is matched against netstat's options first and only
# then against these, so every abbreviation netstat accepts or rejects means the same here.
_OWN_LONG: tuple[tuple[str, bool, str], ...] = (
    ("json", False, "json"), ("json-lines", False, "json-lines"),
    ("dns-timeout", True, "dns-timeout"), ("dns-deadline", True, "dns-deadline"),
    ("source", True, "source"), ("proc-root", True, "proc-root"),
    ("netns", True, "netns"), ("all-netns", False, "all-netns"),
    ("filter-file", True, "filter-file"), ("kill", False, "kill"),
    ("serve", True, "serve"), ("textfile", True, "textfile"), ("max-series", True, "max-series"),
    ("watch", False, "watch"), ("top", False, "top"),
)  # fmt: skip
# Own long options whose argument is optional (``--watch`` or ``--watch=2``): getopt's
# optional_argument, which takes a value only after "=".
_OPTIONAL_ARGUMENT = frozenset({"watch", "top"})

# AF-group entries past this index are outside netstat's translation table: "--tcpip" only
# prints an internal error (observed with net-tools 2.10).
_AF_TABLE_SIZE = 12

# One help entry per key the parser yields (the man page and the shell completions are generated
# from it by tools/generate_docs.py; tests/test_docs.py keeps it complete): key -> (argument name
# or None, one line of help, section). A key's option names are the short flag of that letter
# and every long option with that key; "AF" stands for the address-family long options and ""
# for the positional words. "?" is left out: getopt's own answer to an unknown option.
HELP_SECTIONS = ("Sockets", "pnetstat only", "Other views", "Help and compatibility")
HELP: dict[str, tuple[str | None, str, str]] = {
    "t": (None, "list TCP sockets", "Sockets"),
    "u": (None, "list UDP sockets", "Sockets"),
    "U": (None, "list UDP-Lite sockets", "Sockets"),
    "w": (None, "list RAW sockets", "Sockets"),
    "x": (None, "list UNIX domain sockets (the same as -A unix)", "Sockets"),
    "S": (None, "list SCTP sockets (answered as netstat does on a system without SCTP)",
          "Sockets"),
    "2": (None, "list Bluetooth L2CAP sockets", "Sockets"),
    "f": (None, "list Bluetooth RFCOMM sockets", "Sockets"),
    "4": (None, "list IPv4 sockets (the same as -A inet)", "Sockets"),
    "6": (None, "list IPv6 sockets (the same as -A inet6)", "Sockets"),
    "A": ("FAMILY[,FAMILY...]", "list sockets of these address families", "Sockets"),
    "AF": (None, "list sockets of the address family named by the option", "Sockets"),
    "a": (None, "listening and connected sockets (with -i: interfaces that are down too)",
          "Sockets"),
    "l": (None, "listening sockets only", "Sockets"),
    "n": (None, "print addresses, ports and users as numbers, looking no names up", "Sockets"),
    "numeric-hosts": (None, "print host addresses as numbers, still naming ports and users",
                      "Sockets"),
    "numeric-ports": (None, "print ports as numbers, still naming hosts and users", "Sockets"),
    "numeric-users": (None, "print user IDs as numbers, still naming hosts and ports", "Sockets"),
    "e": (None, "more columns: the user and the inode (twice: more still)", "Sockets"),
    "o": (None, "add the socket timers", "Sockets"),
    "p": (None, "add the PID and name of the program that holds each socket", "Sockets"),
    "W": (None, "wide output: never truncate addresses", "Sockets"),
    "c": (None, "print the listing again every second until interrupted", "Sockets"),
    "v": (None, "say which requested address families this system lacks", "Sockets"),
    "json": (None, "print one JSON document per pass, for every view", "pnetstat only"),
    "json-lines": (None, "print one JSON object per socket, as the rows are read",
                   "pnetstat only"),
    "dns-timeout": ("SEC", "wait at most SEC seconds for one host name, then print the address "
                    "(default 2)", "pnetstat only"),
    "dns-deadline": ("SEC", "wait at most SEC seconds for all host names together (default 5)",
                     "pnetstat only"),
    "source": ("auto|netlink|proc", "read TCP and UDP sockets through NETLINK_SOCK_DIAG or "
               "/proc; auto (the default) uses netlink when the kernel answers", "pnetstat only"),
    "proc-root": ("DIR", "read another /proc mounted at DIR (a copy, or a host's /proc seen "
                  "from a container)", "pnetstat only"),
    "netns": ("NS", "show network namespace NS: a name from ip netns, a path to a namespace "
              "file, or a PID", "pnetstat only"),
    "all-netns": (None, "show every network namespace of the host, one section each",
                  "pnetstat only"),
    "": ("FILTER", "narrow a socket listing with ss's filter language (see FILTERS)",
         "pnetstat only"),
    "filter-file": ("FILE", "read the filter from FILE instead of the command line",
                    "pnetstat only"),
    "kill": (None, "close the TCP sockets the filter selects (SOCK_DESTROY), after printing "
             "them", "pnetstat only"),
    "serve": ("[ADDR]:PORT", "serve Prometheus metrics on ADDR:PORT (127.0.0.1 by default) "
              "until SIGTERM; needs pnetstat[exporter]", "pnetstat only"),
    "textfile": ("PATH", "write the Prometheus metrics to PATH once, atomically, for "
                 "node_exporter's textfile collector", "pnetstat only"),
    "max-series": ("N", "keep at most N series of each per-port metric, folding the smallest "
                   "into port=\"other\" (default 1000)", "pnetstat only"),
    "watch": (None, "after the first listing, print only what changed every second (or every "
              "SECONDS with --watch=SECONDS): + new sockets, - gone ones", "pnetstat only"),
    "top": (None, "a full-screen live view of TCP connections (curses): bytes sent and received "
            "per second, RTT, retransmits, per process; refreshed every second (or every "
            "SECONDS with --top=SECONDS); keys q p s f", "pnetstat only"),
    "r": (None, "show the kernel routing table", "Other views"),
    "F": (None, "with -r: the routing table from the FIB (the default)", "Other views"),
    "C": (None, "with -r: the routing cache", "Other views"),
    "N": (None, "symbolic hardware names; with -r, print addresses as numbers", "Other views"),
    "i": (None, "show the interface table", "Other views"),
    "g": (None, "show multicast group memberships for IPv4 and IPv6", "Other views"),
    "s": (None, "show per-protocol statistics (-t, -u, -w choose; -6 for IPv6)", "Other views"),
    "M": (None, "show masqueraded connections (gone from Linux since 2.4)", "Other views"),
    "h": (None, "print the usage text and exit", "Help and compatibility"),
    "V": (None, "print the version and exit", "Help and compatibility"),
    "d": (None, "accepted and ignored, as netstat does", "Help and compatibility"),
    "Z": (None, "SELinux contexts: as netstat without SELinux, say so and exit with status 1",
          "Help and compatibility"),
}  # fmt: skip


#: Default seconds to wait for one host name, and for host names in all, before printing
#: addresses numerically (netstat waits as long as the resolver takes).
DNS_TIMEOUT = 2.0
DNS_DEADLINE = 5.0
#: Default bound on the series of each per-port metric of the exporter (--max-series).
MAX_SERIES = 1000


class Mode:
    """What a run shows; netstat dispatches in this priority: -M, -s, -r, -i, sockets.

    Names for strings rather than an enum: a mode never leaves the CLI, and building an enum
    class is about 0.2 ms of an idle run (issue 17)."""

    SOCKETS: Final = "sockets"
    MASQUERADE: Final = "masquerade"
    STATISTICS: Final = "statistics"
    ROUTE: Final = "route"
    INTERFACES: Final = "interfaces"


_MODE_OPTIONS: dict[str, ModeName] = {
    "r": Mode.ROUTE, "i": Mode.INTERFACES, "s": Mode.STATISTICS, "M": Mode.MASQUERADE
}  # fmt: skip


class Exit(NamedTuple):
    """A parse outcome that ends the run: what to print and the exit status.

    ``usage`` asks the CLI to print the usage text on stderr after ``stderr``; ``help`` and
    ``version`` ask for our help or version text on stdout.
    """

    status: int
    stderr: str = ""
    usage: bool = False
    help: bool = False
    version: bool = False


class Options(NamedTuple):
    """A parsed netstat command line, after netstat's derived-selection rules.

    A NamedTuple rather than a frozen dataclass: importing ``dataclasses`` costs about 10 ms of
    start-up, a large share of an idle run."""

    mode: ModeName = Mode.SOCKETS
    all: bool = False
    listening: bool = False
    continuous: bool = False
    extend: int = 0
    programs: bool = False
    timers: bool = False
    wide: bool = False
    verbose: bool = False
    numeric_hosts: bool = False
    numeric_ports: bool = False
    numeric_users: bool = False
    symbolic: bool = False
    cache: bool = False
    fib: bool = False
    groups: bool = False
    tcp: bool = False
    sctp: bool = False
    udp: bool = False
    udplite: bool = False
    raw: bool = False
    unix: bool = False
    inet: bool = False
    inet6: bool = False
    ipx: bool = False
    ax25: bool = False
    netrom: bool = False
    x25: bool = False
    rose: bool = False
    l2cap: bool = False
    rfcomm: bool = False
    families: tuple[str, ...] = ()
    protocols_implied: bool = False
    explicit: bool = False
    warnings: tuple[str, ...] = ()
    json: bool = False
    json_lines: bool = False
    dns_timeout: float = DNS_TIMEOUT
    dns_deadline: float = DNS_DEADLINE
    source: str = "auto"
    proc_root: str | None = None
    netns: str | None = None
    all_netns: bool = False
    filter_words: tuple[str, ...] = ()
    filter_file: str | None = None
    kill: bool = False
    serve: tuple[str, int] | None = None
    watch: float | None = None
    top: float | None = None
    textfile: str | None = None
    max_series: int = MAX_SERIES

    @property
    def inet_selected(self) -> bool:
        """Any Internet protocol asked for (the Internet header is printed)."""
        return self.tcp or self.sctp or self.udp or self.udplite or self.raw


class _Abort(Exception):
    def __init__(self, outcome: Exit) -> None:
        self.outcome = outcome


def _getopt(args: Sequence[str], prog: str) -> Iterator[tuple[str, str | None]]:
    """Yield ``(key, argument)`` for each option in order, as glibc getopt_long finds them.

    Non-option arguments (netstat ignores them; pnetstat reads them as a filter) come as
    ``("", argument)``; ``--`` ends the options.
    """
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            for rest in args[index:]:
                yield "", rest
            return
        if arg.startswith("--"):
            key, value, index = _long_option(arg[2:], args, index, prog)
            yield key, value
        elif not arg.startswith("-") or arg == "-":
            yield "", arg
        elif arg.startswith("-") and len(arg) > 1:
            pos = 1
            while pos < len(arg):
                char = arg[pos]
                pos += 1
                if char == "A":
                    if pos < len(arg):
                        yield "A", arg[pos:]
                    elif index < len(args):
                        index += 1
                        yield "A", args[index - 1]
                    else:
                        raise _Abort(
                            Exit(3, f"{prog}: option requires an argument -- 'A'\n", usage=True)
                        )
                    break
                if char not in _SHORT_FLAGS or char == ":":
                    raise _Abort(Exit(3, f"{prog}: invalid option -- '{char}'\n", usage=True))
                yield char, None


def _long_option(
    text: str, args: Sequence[str], index: int, prog: str
) -> tuple[str, str | None, int]:
    name, eq, value = text.partition("=")
    found = next((entry for entry in (*_LONG, *_OWN_LONG) if entry[0] == name), None)
    for table in (_LONG, _OWN_LONG):
        if found is not None:
            break
        matches = [entry for entry in table if entry[0].startswith(name)]
        if not matches:
            continue
        first = matches[0]
        others = [m for m in matches[1:] if (m[1], m[2]) != (first[1], first[2])]
        if others:
            listed = "".join(f" '--{m[0]}'" for m in [first, *others])
            message = f"{prog}: option '--{text}' is ambiguous; possibilities:{listed}\n"
            raise _Abort(Exit(3, message, usage=True))
        found = first
    if found is None:
        raise _Abort(Exit(3, f"{prog}: unrecognized option '--{text}'\n", usage=True))
    long_name, takes_arg, key = found
    if key == "AF":
        key = f"AF:{_LONG.index(found)}"
    optional = key in _OPTIONAL_ARGUMENT
    if eq and not takes_arg and not optional:
        raise _Abort(
            Exit(3, f"{prog}: option '--{long_name}' doesn't allow an argument\n", usage=True)
        )
    if takes_arg and not eq:
        if index >= len(args):
            raise _Abort(
                Exit(3, f"{prog}: option '--{long_name}' requires an argument\n", usage=True)
            )
        value = args[index]
        index += 1
    return key, (value if takes_arg or (optional and eq) else None), index


_COUNTERS = {"a": "all", "l": "listening", "c": "continuous", "p": "programs", "W": "wide",
             "o": "timers", "t": "tcp", "S": "sctp", "u": "udp", "U": "udplite", "w": "raw",
             "g": "groups", "v": "verbose", "C": "cache", "F": "fib", "N": "symbolic",
             "2": "l2cap", "f": "rfcomm",
             "numeric-hosts": "numeric_hosts", "numeric-ports": "numeric_ports",
             "numeric-users": "numeric_users", "json": "json",
             "json-lines": "json_lines"}  # fmt: skip


def parse_args(args: Sequence[str], prog: str = "pnetstat") -> Options | Exit:
    """Parse netstat's arguments (without the program name) into ``Options`` or an ``Exit``.

    >>> parse_args(["-tulpn"]).programs
    True
    >>> parse_args(["-X"]).stderr
    "pnetstat: invalid option -- 'X'\\n"
    """
    try:
        return _parse(args, prog)
    except _Abort as abort:
        return abort.outcome


def _parse(args: Sequence[str], prog: str) -> Options:
    flags: dict[str, Any] = {}
    families: list[str] = []
    warnings: list[str] = []
    modes: list[ModeName] = []
    extend = 0
    seconds: dict[str, Any] = {}
    words: list[str] = []
    for key, value in _getopt(args, prog):
        if key == "":
            words.append(value or "")
        elif key == "filter-file":
            seconds["filter_file"] = value
        elif key == "kill":
            seconds["kill"] = True
        elif key == "watch":
            interval = 1.0 if value is None else _seconds("watch", value, prog)
            if interval <= 0:
                raise _Abort(Exit(3, f"{prog}: --watch wants a number of seconds, not {value!r}\n"))
            seconds["watch"] = interval
        elif key == "top":
            interval = 1.0 if value is None else _seconds("top", value, prog)
            if interval <= 0:
                raise _Abort(Exit(3, f"{prog}: --top wants a number of seconds, not {value!r}\n"))
            seconds["top"] = interval
        elif key == "serve":
            seconds["serve"] = _listen_address(value or "", prog)
        elif key == "textfile":
            if not value:
                raise _Abort(Exit(3, f"{prog}: --textfile wants a file name, not ''\n"))
            seconds["textfile"] = value
        elif key == "max-series":
            if not (value or "").isdigit() or int(value or "0") < 1:
                message = f"{prog}: --max-series wants a whole number above 0, not {value!r}\n"
                raise _Abort(Exit(3, message))
            seconds["max_series"] = int(value or "0")
        elif key == "proc-root":
            if not value:
                raise _Abort(Exit(3, f"{prog}: --proc-root wants a directory, not ''\n"))
            seconds["proc_root"] = value
        elif key == "netns":
            if not value:
                raise _Abort(Exit(3, f"{prog}: --netns wants a name, a path or a PID, not ''\n"))
            seconds["netns"] = value
        elif key == "all-netns":
            seconds["all_netns"] = True
        elif key == "source":
            if value not in ("auto", "netlink", "proc"):
                message = f"{prog}: --source takes auto, netlink or proc, not {value!r}\n"
                raise _Abort(Exit(3, message))
            seconds["source"] = value
        elif key in ("dns-timeout", "dns-deadline"):
            seconds[key.replace("-", "_")] = _seconds(key, value or "", prog)
        elif key in _COUNTERS:
            flags[_COUNTERS[key]] = True
        elif key == "e":
            extend += 1
        elif key == "n":
            flags.update(numeric_hosts=True, numeric_ports=True, numeric_users=True)
        elif key in ("r", "i", "s", "M"):
            modes.append(_MODE_OPTIONS[key])
        elif key == "A":
            for name in (value or "").split(","):
                _add_family(name, flags, families, warnings)
        elif key == "4":
            _add_family("inet", flags, families, warnings)
        elif key == "6":
            _add_family("inet6", flags, families, warnings)
        elif key == "x":
            _add_family("unix", flags, families, warnings)
        elif key.startswith("AF:"):
            position = int(key[3:])
            if position >= _AF_TABLE_SIZE:
                warnings.append("netstat.c: Internal Error `longopts 1 range'.\n")
            else:
                _add_family(_AF_LONG[position], flags, families, warnings)
        elif key == "V":
            raise _Abort(Exit(0, version=True))
        elif key == "h":
            raise _Abort(Exit(0, help=True))
        elif key == "?":
            raise _Abort(Exit(3, usage=True))
        elif key == "Z":
            raise _Abort(Exit(1, "SELinux is not enabled on this machine.\n"))
        # -d is accepted and does nothing.
    if len(modes) > 1:
        raise _Abort(Exit(3, usage=True))
    if seconds.get("netns") and seconds.get("all_netns"):
        raise _Abort(Exit(3, f"{prog}: --netns and --all-netns exclude each other\n"))
    if words and seconds.get("filter_file") is not None:
        message = f"{prog}: filter: give it as arguments or with --filter-file, not both\n"
        raise _Abort(Exit(3, message))
    if seconds.get("kill") and not words and seconds.get("filter_file") is None:
        message = f"{prog}: --kill needs a filter (without one it would close every socket)\n"
        raise _Abort(Exit(3, message))
    if seconds.get("watch") and flags.get("json"):
        raise _Abort(Exit(3, f"{prog}: --watch takes --json-lines, not --json\n"))
    if seconds.get("watch") and (modes or flags.get("continuous")):
        message = f"{prog}: --watch goes with socket listings, and not with -c (it repeats)\n"
        raise _Abort(Exit(3, message))
    if seconds.get("top") and _top_conflict(seconds, flags, modes):
        message = (
            f"{prog}: --top is a screen of its own: not with -r, -i, -s, -g, -M, -c, "
            "--watch, --json, --json-lines, --serve, --textfile, --kill or --all-netns\n"
        )
        raise _Abort(Exit(3, message))
    if (seconds.get("serve") or seconds.get("textfile")) and modes:
        raise _Abort(Exit(3, f"{prog}: --serve and --textfile go with socket options only\n"))
    if (words or seconds.get("filter_file") is not None) and modes:
        raise _Abort(Exit(3, f"{prog}: filter: only socket listings take a filter\n"))
    return _derive(Options(
        mode=modes[0] if modes else Mode.SOCKETS,
        filter_words=tuple(words),
        extend=extend,
        families=tuple(families),
        warnings=tuple(warnings),
        **seconds,
        **flags,
    ))  # fmt: skip


def _top_conflict(seconds: dict[str, Any], flags: dict[str, Any], modes: list[ModeName]) -> bool:
    """Whether --top comes with an option that asks for another output than its screen."""
    other_outputs = ("watch", "serve", "textfile", "kill", "all_netns")
    return bool(
        modes
        or any(flags.get(name) for name in ("groups", "continuous", "json", "json_lines"))
        or any(seconds.get(name) for name in other_outputs)
    )


def _listen_address(value: str, prog: str) -> tuple[str, int]:
    """``[ADDR]:PORT`` (``:9100``, ``127.0.0.1:9100``, ``[::1]:9100``); 127.0.0.1 by default.

    >>> _listen_address(":9100", "p"), _listen_address("[::1]:80", "p")
    (('127.0.0.1', 9100), ('::1', 80))
    """
    address, colon, port = value.rpartition(":")
    address = address.removeprefix("[").removesuffix("]") if address.startswith("[") else address
    if not colon or not port.isdigit() or not 0 < int(port) < 65536:
        message = f"{prog}: --serve wants [ADDRESS]:PORT (e.g. :9100), not {value!r}\n"
        raise _Abort(Exit(3, message))
    return address or "127.0.0.1", int(port)


def _seconds(key: str, value: str, prog: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number < float("inf"):
        message = f"{prog}: --{key} wants a number of seconds, not {value!r}\n"
        raise _Abort(Exit(3, message))
    return number


def _add_family(
    name: str, flags: dict[str, bool], families: list[str], warnings: list[str]
) -> None:
    canonical = AF_ALIASES.get(name)
    if canonical is None:
        raise _Abort(Exit(1, f"Unknown address family `{name}'.\n"))
    if len(",".join([*families, canonical])) >= 256:
        warnings.append("Too much address family arguments.\n")
        return
    families.append(canonical)
    if canonical in ("inet", "inet6", "unix", "ipx", "ax25", "netrom", "x25", "rose"):
        flags[canonical] = True
    elif canonical == "bluetooth":
        flags.update(l2cap=True, rfcomm=True)


def _derive(opts: Options) -> Options:
    """netstat's selection rules, applied in its order after parsing."""
    changes: dict[str, Any] = {}
    protocols = opts.tcp or opts.sctp or opts.udp or opts.udplite or opts.raw
    if (opts.inet or opts.inet6 or opts.mode == Mode.STATISTICS) and not protocols:
        changes.update(tcp=True, sctp=True, udp=True, udplite=True, raw=True)
        changes["protocols_implied"] = True
        protocols = True
    if (protocols or opts.groups) and not (opts.inet or opts.inet6):
        changes.update(inet=True, inet6=True)
    merged = opts._replace(**changes)
    explicit = any(
        getattr(merged, name)
        for name in ("tcp", "sctp", "udp", "udplite", "raw", "unix", "ipx", "ax25", "netrom",
                     "groups", "x25", "rose", "l2cap", "rfcomm")
    )  # fmt: skip
    return merged._replace(explicit=explicit)
