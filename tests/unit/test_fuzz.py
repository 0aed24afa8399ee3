"""Fuzzing the /proc parsers over mutated real captures (tests/fixtures/proc/live-ns).

No exception may escape a parser except the project's typed errors, and the CLI run over a
mutated tree must end with a status, never a traceback. The example budget is fixed so CI
time is bounded.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pnetstat.cli import main
from pnetstat.errors import Error
from pnetstat.model import Family, Protocol
from pnetstat.sources.proc_inet import parse_inet_lines
from pnetstat.sources.proc_unix import parse_unix_lines

LIVE = Path(__file__).resolve().parent.parent / "fixtures" / "proc" / "live-ns" / "net"
CAPTURES = {name: (LIVE / name).read_text() for name in ("tcp", "tcp6", "udp", "raw6", "unix")}
BUDGET = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def mutated(draw: st.DrawFn, text: str) -> list[str]:
    """A capture with a few of its lines cut, spliced, or sprinkled with odd characters."""
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(0, 4))):
        if not lines:
            break
        index = draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        action = draw(st.sampled_from(["cut", "insert", "replace", "drop", "dup"]))
        pos = draw(st.integers(0, len(line)))
        if action == "cut":
            lines[index] = line[:pos]
        elif action == "insert":
            junk = draw(st.text(alphabet=":0123456789ABCDEFxg \t\n\x00\x1b\udcff-+", max_size=8))
            lines[index] = line[:pos] + junk + line[pos:]
        elif action == "replace":
            lines[index] = draw(st.text(max_size=80))
        elif action == "drop":
            del lines[index]
        else:
            lines.insert(index, line)
    return lines


@BUDGET
@given(st.sampled_from(["tcp", "tcp6", "udp", "raw6"]).flatmap(
    lambda name: st.tuples(st.just(name), mutated(CAPTURES[name]))))  # fmt: skip
def test_inet_parser_never_raises_untyped(case: tuple[str, list[str]]) -> None:
    name, lines = case
    protocol = {"tcp": Protocol.TCP, "tcp6": Protocol.TCP, "udp": Protocol.UDP,
                "raw6": Protocol.RAW}[name]  # fmt: skip
    family = Family.INET6 if name.endswith("6") else Family.INET
    errors: list[Error] = []
    try:
        rows = list(parse_inet_lines(lines, protocol, family, name, errors.append))
    except Error:
        return
    assert len(rows) + len(errors) <= max(len(lines) - 1, 0)


@BUDGET
@given(mutated(CAPTURES["unix"]))
def test_unix_parser_never_raises_untyped(lines: list[str]) -> None:
    errors: list[Error] = []
    try:
        list(parse_unix_lines(lines, "unix", errors.append))
    except Error:
        return


def _run_on_tree(name: str, lines: list[str], flags: list[str]) -> None:
    """The CLI in-process over a /proc tree holding one mutated file: it ends with a status.
    Numeric flags only: this runs in the test's own namespace, whose resolver is the host's."""
    with tempfile.TemporaryDirectory() as root:
        (Path(root) / "net").mkdir()
        (Path(root) / "net" / name).write_text("".join(lines), errors="surrogateescape")
        out, err = io.StringIO(), io.StringIO()
        status = main([*flags, "--dns-deadline=0"], proc=root, stdout=out, stderr=err)
    assert isinstance(status, int)
    assert "Traceback" not in err.getvalue()


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["tcp", "udp", "unix"]).flatmap(
    lambda name: st.tuples(st.just(name), mutated(CAPTURES[name]))),
    st.sampled_from([["-an"], ["-anpe"], ["-xa"], ["-ano"], ["-anW"]]))  # fmt: skip
def test_cli_over_mutated_tree_ends_with_a_status(
    case: tuple[str, list[str]], flags: list[str]
) -> None:
    _run_on_tree(*case, flags)


OTHER = Path(__file__).resolve().parent.parent / "fixtures" / "proc"
OTHER_CAPTURES = {
    "snmp": (OTHER / "stats" / "net" / "snmp").read_text(),
    "netstat": (OTHER / "stats-odd" / "net" / "netstat").read_text(),
    "snmp6": (OTHER / "stats" / "net" / "snmp6").read_text(),
    "route": (OTHER / "routes" / "net" / "route").read_text(),
    "ipv6_route": (OTHER / "routes" / "net" / "ipv6_route").read_text(),
    "igmp": (OTHER / "groups" / "net" / "igmp").read_text(),
    "igmp6": (OTHER / "groups" / "net" / "igmp6").read_text(),
    "dev": (OTHER / "live-ns" / "net" / "dev").read_text(),
}


@BUDGET
@given(st.sampled_from(sorted(OTHER_CAPTURES)).flatmap(
    lambda name: st.tuples(st.just(name), mutated(OTHER_CAPTURES[name]))))  # fmt: skip
def test_other_parsers_never_raise_untyped(case: tuple[str, list[str]]) -> None:
    from pnetstat.sources.igmp import parse_igmp6_lines, parse_igmp_lines
    from pnetstat.sources.netdev import parse_dev_lines
    from pnetstat.sources.routing import parse_ipv6_route_lines, parse_route_lines
    from pnetstat.sources.snmp import parse_key_value_lines, parse_paired_lines

    name, lines = case
    errors: list[Error] = []
    parsers = {
        "snmp": lambda: parse_paired_lines(lines, name, errors.append),
        "netstat": lambda: parse_paired_lines(lines, name, errors.append),
        "snmp6": lambda: parse_key_value_lines(lines, name),
        "route": lambda: list(parse_route_lines(lines)),
        "ipv6_route": lambda: list(parse_ipv6_route_lines(lines)),
        "igmp": lambda: list(parse_igmp_lines(lines, name, errors.append)),
        "igmp6": lambda: list(parse_igmp6_lines(lines, name, errors.append)),
        "dev": lambda: list(parse_dev_lines(lines)),
    }
    try:
        parsers[name]()
    except Error:
        return


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["snmp", "route", "igmp", "ipv6_route"]).flatmap(
    lambda name: st.tuples(st.just(name), mutated(OTHER_CAPTURES[name]))),
    st.sampled_from([["-s"], ["-st"], ["-rn"], ["-rnee"], ["-gn"], ["-rn", "-6"]]))  # fmt: skip
def test_cli_views_over_mutated_files(case: tuple[str, list[str]], flags: list[str]) -> None:
    _run_on_tree(*case, flags)
