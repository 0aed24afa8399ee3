"""The -s view (every kind of sentence, the indentation state) and the -s command's messages.

Expected texts are netstat 2.10's (checked against the binary; the byte-for-byte proof is in
tests/test_golden.py over tests/fixtures/proc/stats* and tests/test_statistics_differential.py).
"""

from __future__ import annotations

import io
from pathlib import Path

from pnetstat.cli import main
from pnetstat.model import StatSection
from pnetstat.views.stat_tables import TABLES
from pnetstat.views.statistics import as_unsigned, render_statistics

ALL_ON = {name: True for name in ("Ip", "Icmp", "Tcp", "Udp", "TcpExt", "Sctp", "Ip6", "Icmp6")}
BY_NAME = {name: name for name in ALL_ON}


def _render(*sections: StatSection, enabled: dict[str, bool] = ALL_ON) -> str:
    return "".join(render_statistics(sections, enabled, BY_NAME))


def test_tables_have_appendix_a_sizes() -> None:
    sizes = {name: len(table) for name, table in TABLES.items()}
    assert sizes == {"Ip": 19, "Ip6": 22, "Icmp": 26, "Icmp6": 31, "Tcp": 14, "Udp": 6,
                     "Udp6": 4, "TcpExt": 67, "Sctp": 17}  # fmt: skip


def test_every_kind_of_sentence() -> None:
    ip = StatSection("net/snmp", "Ip", (
        ("Forwarding", 1),      # in the table, not found by the search: raw
        ("DefaultTTL", 64),     # static: never printed
        ("InReceives", 0),      # number: printed even when 0
        ("InHdrErrors", 0),     # optional: not printed when 0
        ("FragCreates", 3),     # optional, not 0
        ("Unheard", 0),         # unknown key, 0: nothing
        ("Unheard2", -1),       # unknown key: raw, as unsigned 64-bit
    ))  # fmt: skip
    tcp = StatSection("net/snmp", "Tcp", (("RtoAlgorithm", 1), ("RtoMin", 200), ("MaxConn", -1)))
    assert _render(ip, tcp) == (
        "Ip:\n    Forwarding: 1\n    0 total packets received\n    3 fragments created\n"
        "    Unheard2: 18446744073709551615\nTcp:\n"
    )


def test_histogram_title_takes_the_previous_indent_and_is_printed_for_a_zero() -> None:
    icmp6 = StatSection("net/snmp6", "Icmp6", (
        ("Icmp6InMsgs", 2), ("Icmp6InDestUnreachs", 2), ("Icmp6OutMsgs", 0),
        ("Icmp6OutDestUnreachs", 0), ("Icmp6InEchos", 1), ("Icmp6OutType1", 4),
    ))  # fmt: skip
    assert _render(icmp6) == (
        "Icmp6:\n    2 ICMP messages received\n    ICMP input histogram:\n"
        "        destination unreachable: 2\n    0 ICMP messages sent\n"
        "    ICMP output histogram:\n        ICMP input histogram:\n        echo requests: 1\n"
        "        Icmp6OutType1: 4\n"
    )


def test_unknown_sections_keep_the_state_and_known_ones_reset_it_even_when_off() -> None:
    icmp = StatSection("net/snmp", "Icmp", (("InDestUnreachs", 2),))
    msg = StatSection("net/snmp", "IcmpMsg", (("InType3", 2),))
    tcp = StatSection("net/snmp", "Tcp", (("ActiveOpens", 1),))
    assert _render(icmp, msg) == (
        "Icmp:\n    ICMP input histogram:\n        destination unreachable: 2\n"
        "IcmpMsg:\n        InType3: 2\n"
    )
    # -st: Icmp is off (no title, no values) but still resets the indent for IcmpMsg.
    assert _render(icmp, msg, tcp, enabled={"Tcp": True}) == (
        "IcmpMsg:\n    InType3: 2\nTcp:\n    1 active connection openings\n"
    )
    # -sU: nothing known is on; unknown sections still print.
    assert _render(icmp, msg, tcp, enabled={}) == "IcmpMsg:\n    InType3: 2\n"


def test_tables_may_depend_on_the_file() -> None:
    tcp_in_snmp6 = StatSection("net/snmp6", "Tcp", (("Tcp", 7),))
    tcp = StatSection("net/snmp", "Tcp", (("ActiveOpens", 1),))

    def table_for(section: StatSection) -> str | None:
        return None if section.source == "net/snmp6" else BY_NAME.get(section.name)

    lines = render_statistics([tcp_in_snmp6, tcp], {"Tcp": False}, table_for)
    assert "".join(lines) == "Tcp:\n    Tcp: 7\n"


def test_titles_and_raw_keys_are_escaped() -> None:
    odd = StatSection("net/snmp", "Ip\x1bExt", (("No\rPorts", 2),))
    assert _render(odd) == "Ip\\x1bExt:\n    No\\x0dPorts: 2\n"


def test_as_unsigned_is_strtoull() -> None:
    assert [as_unsigned(v) for v in (0, 2**64 - 1, -(2**64), 2**70, -2)] == [
        0, 2**64 - 1, 2**64 - 1, 2**64 - 1, 2**64 - 2,
    ]  # fmt: skip


# ------------------------------------------------------------------ the command, in-process


def _run(argv: list[str], root: Path) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, proc=str(root), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), status


def _tree(tmp_path: Path, files: dict[str, str | None]) -> Path:
    for relative, text in files.items():
        path = tmp_path / "net" / relative
        if text is None:
            path.mkdir(parents=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return tmp_path


def test_family_list_other_than_one_inet_is_refused_on_stdout(tmp_path: Path) -> None:
    message = "netstat: No statistics support for specified address family: {}\n"
    for argv, listed in ((["-s", "-4", "-6"], "inet,inet6"), (["-sx"], "unix")):
        assert _run(argv, tmp_path) == (message.format(listed), "", 1)


def test_missing_first_file_is_reported_and_the_status_stays_0(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"snmp6": "Ip6InReceives 1\n"})
    assert _run(["-s"], root) == (
        "",
        f"cannot open {root}/net/snmp: No such file or directory\n",
        0,
    )
    out, err, status = _run(["-s", "-6"], root)
    assert (out, status) == ("Ip6:\n    1 total packets received\n", 0)
    assert err == f"cannot open {root}/net/snmp: No such file or directory\n"


def test_a_directory_is_read_and_fails_like_fopen_then_the_run_goes_on(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"snmp": None, "netstat": "TcpExt: TW\nTcpExt: 2\n", "sctp/snmp": None})
    out, err, status = _run(["-s"], root)
    assert out == "TcpExt:\n    2 TCP sockets finished time wait in fast timer\nSctp:\n"
    assert err == f"{root}/net/snmp: Is a directory\n{root}/net/sctp/snmp: Is a directory\n"
    assert status == 0


def test_parse_problem_is_reported_in_ipv4_mode_only(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"snmp": "Tcp: ActiveOpens\nTcp: 3\nbroken\nIp: x\n", "snmp6": ""})
    out, err, _ = _run(["-st"], root)
    assert (out, err) == ("Tcp:\n    3 active connection openings\n",
                          f"Problem while parsing {root}/net/snmp\n")  # fmt: skip
    assert _run(["-s6t"], root) == ("Tcp:\n    3 active connection openings\n", "", 0)


def test_continuous_flag_gives_one_pass(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"snmp": "Udp: InDatagrams\nUdp: 1\n"})
    assert _run(["-sc"], root) == ("Udp:\n    1 packets received\n", "", 0)
