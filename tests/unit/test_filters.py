"""The filter language: parsing (as ss parses it), errors that point at a word, and the
Python predicate's meaning on crafted rows. The kernel back end is held against the predicate
on live sockets in tests/test_filters_differential.py."""

from __future__ import annotations

from ipaddress import IPv6Address, ip_address

import pytest

from pnetstat.filters.bytecode import compilable, compile_bytecode
from pnetstat.filters.parse import FilterError, parse_filter, split_words
from pnetstat.filters.predicate import Context, compile_expression
from pnetstat.filters.tree import ALL_STATES, HostCond, Not, Or, PortCond, UnixCond
from pnetstat.model import Family, InetSocket, Owner, OwnerMap, Protocol, UnixSocket


def _parse(text: str):  # type: ignore[no-untyped-def]
    return parse_filter(split_words([text]), lookup_port={"ssh": 22, "http": 80, "https": 443}.get)


def _row(local: str, lport: int, remote: str, rport: int, state: int = 1, inode: int = 7):  # type: ignore[no-untyped-def]
    a, b = ip_address(local), ip_address(remote)
    family = Family.INET6 if isinstance(a, IPv6Address) else Family.INET
    return InetSocket(Protocol.TCP, family, 0, a, lport, b, rport, state,
                      0, 0, 0, 0, 0, 1000, 0, inode)  # fmt: skip


# ss(8)'s examples (the filter part of each).
MANUAL = [
    "state established ( dport = :ssh or sport = :ssh )",
    "src /tmp/.X11-unix/*",
    "state fin-wait-1 ( sport = :http or sport = :https ) dst 193.233.7/24",
]


@pytest.mark.parametrize("text", MANUAL)
def test_the_manual_examples_parse(text: str) -> None:
    assert _parse(text) is not None


def test_structure_and_precedence() -> None:
    parsed = _parse("state established ( dport = :ssh or sport = :ssh )")
    assert parsed.states == frozenset({1})
    assert parsed.expression == Or(HostCond("dst", 0, None, 0, 22), HostCond("src", 0, None, 0, 22))
    # not binds tighter than and, and tighter than or; juxtaposition is and.
    loose = _parse("sport = :22 dport = :80 or ! src 10.0.0.1")
    assert isinstance(loose.expression, Or) and isinstance(loose.expression.right, Not)
    assert _parse("sport < :1024").expression == Not(PortCond("src", "ge", 1024))
    assert _parse("dport gt 1023").expression == Not(PortCond("dst", "le", 1023))
    assert _parse("src 10.1/16").expression == HostCond("src", 2, bytes([10, 1, 0, 0]), 16, -1)
    assert _parse("src 10.1").expression == HostCond("src", 2, bytes([10, 1, 0, 0]), 32, -1)
    v6 = _parse("dst [2001:db8::/32]:443").expression
    assert v6 == HostCond("dst", 10, IPv6Address("2001:db8::").packed, 32, 443)
    assert _parse("src *:8080").expression == HostCond("src", 0, None, 0, 8080)
    assert _parse("src unix:/run/*").expression == UnixCond("src", "/run/*")


def test_state_sets() -> None:
    assert _parse("state connected").states == ALL_STATES - {7, 10}
    assert _parse("state bucket state listening").states == frozenset({3, 6, 10})
    assert _parse("exclude listening exclude closed").states == ALL_STATES - {7, 10}
    assert _parse("exclude listening state listening").states == ALL_STATES
    assert _parse("").states is None and _parse("").expression is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sport =", "expected a port after 'sport =' at word 3"),
        ("sport = :nosuch", "expected a port after 'sport =', not ':nosuch' at word 3"),
        ("( sport = :22", "expected ')' at word 5"),
        ("sport = :22 )", "unmatched ')' at word 4"),
        ("state bogus", "expected a state name, not 'bogus' after 'state' at word 2"),
        ("src 10.0.0.1/33", "expected an address after 'src', not '10.0.0.1/33' at word 2"),
        ("src [::1]/128", "expected an address after 'src', not '[::1]/128' at word 2"),
        ("sport=:22", "unknown condition 'sport=:22' at word 1"),
        ("sport = :22 or", "expected a condition after 'or' at word 5"),
        ("program > sshd", "'program' takes only = or != at word 2"),
        ("pid = x", "expected a number after 'pid =', not 'x' at word 3"),
    ],
)
def test_errors_point_at_the_word(text: str, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        _parse(text)
    assert str(caught.value) == message


def test_host_conditions_mean_what_the_kernel_makes_of_them() -> None:
    def match(text: str, row: InetSocket) -> bool | None:
        node = _parse(text).expression
        assert node is not None
        return compile_expression(node)(row, Context())

    v4 = _row("127.0.0.1", 22, "127.0.0.1", 40000)
    v6 = _row("::1", 22, "::1", 40000)
    mapped = _row("::ffff:127.0.0.1", 8080, "::ffff:127.0.0.1", 40001)
    assert match("sport = :22", v4) and match("sport = :22", v6)
    assert match("src 127.0.0.0/8", v4) and not match("src 127.0.0.0/8", v6)
    assert match("src 127.0.0.0/8", mapped)  # an IPv4 condition takes a v4-mapped address
    assert match("src 0.0.0.0/0", mapped) and not match("src 0.0.0.0/0", v6)  # family first
    assert match("src [::1]", v6) and not match("src [::1]", v4)
    assert not match("src [::ffff:127.0.0.1]", v4)
    assert match("dst 127.0.0.1:40000", v4) and not match("dst 127.0.0.1:40001", v4)
    assert match("sport >= :22 and sport <= :22", v4) and match("dport > :39999", v4)
    assert match("not ( sport = :22 or dport = :1 )", v4) is False
    assert match("src 127.0.0.1/31", _row("127.0.0.0", 1, "0.0.0.0", 0)) is True
    assert match("src 127.0.0.1/31", _row("127.0.0.2", 1, "0.0.0.0", 0)) is False
    # dev, fwmark and autobound are the kernel's to decide: unknown here.
    assert match("autobound", v4) is None and match("sport = :1 or autobound", v4) is None
    assert match("sport = :1 and autobound", v4) is False
    assert match("sport = :22 or autobound", v4) is True


def test_user_space_conditions() -> None:
    owners = OwnerMap({7: (Owner(812, 3, "/usr/sbin/sshd"), Owner(900, 4, "sshd: alice"))})
    context = Context(owners, {1000: "alice"}.get, ("blue", "net:[42]"), ())
    row = _row("10.0.0.1", 22, "10.0.0.2", 50000)
    unix = UnixSocket(0, 2, 0, 0x10000, 1, 1, 7, "/run/sshd.sock")

    def match(text: str, sock: InetSocket | UnixSocket = row) -> bool | None:
        node = _parse(text).expression
        assert node is not None
        return compile_expression(node)(sock, context)

    assert match("program sshd") and match("program /usr/sbin/*") and match("program sshd:*")
    assert not match("program ssh")
    assert match("pid = 900") and match("pid > 899") and not match("pid < 800")
    assert match("uid = 1000") and match("user alice") and not match("user bob")
    assert match("inode = 7") and match("netns blue") and match("netns net:*")
    assert not match("container *")
    assert (
        match("program sshd", unix) and match("src /run/*.sock", unix) and match("src /RUN/*", unix)
    )
    assert not match("src /run/*.sock") and not match("sport = :22", unix)


def test_bytecode_only_for_what_the_kernel_decides() -> None:
    assert compilable(_parse("sport = :22 or not dst 10/8").expression)  # type: ignore[arg-type]
    assert not compilable(_parse("sport = :22 and program sshd").expression)  # type: ignore[arg-type]
    assert not compilable(_parse("src /tmp/*").expression)  # type: ignore[arg-type]
    # Every yes is the op's own length, every jump forward, the program a whole number of ops.
    program = compile_bytecode(_parse("( sport = :22 or dport < :9 ) not src 10/8").expression)  # type: ignore[arg-type]
    at = 0
    while at < len(program):
        _code, yes, no = (
            program[at],
            program[at + 1],
            int.from_bytes(program[at + 2 : at + 4], "little"),
        )
        assert yes >= 4 and no >= 4 and at + no <= len(program) + 4 and no % 4 == 0
        at += yes
    assert at == len(program)
