"""Interface names with terminal escapes, live: an interface whose name holds an ESC sequence
and a BEL, with an IPv4 route and multicast groups on it. pnetstat's -i, -ie, -rn, -rnee and
-gn print what netstat prints with the README's "What pnetstat escapes" rule applied to the
name (tests/tools/escape_rule.py writes that rule from the README's words); netstat itself
prints the raw bytes."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator, Sequence

import pytest
from netns import PYTHON, NetNS, assert_same, compare, mask_numbers, pnetstat_cmd

from tests.tools.escape_rule import REPO_TOOL, escape_name

pytestmark = pytest.mark.differential

# ESC [ 1 m (bold on) and BEL; 7 bytes, so -rnee's 6-byte cell cuts it.
NAME = b"t\x1b[1m\x07z"
PEER = "pnt-escpeer"

VIEWS = [(["-i"], "-i"), (["-ie"], "-ie"), (["-rn"], "-r"), (["-rnee"], "-ree"), (["-gn"], "-g")]


@pytest.fixture(scope="module")
def escape_ns() -> Iterator[NetNS]:
    with NetNS() as ns:
        name = NAME.decode()
        for command in (
            ["link", "add", name, "type", "veth", "peer", "name", PEER],
            ["link", "set", name, "up"],
            ["link", "set", PEER, "up"],
            ["addr", "add", "10.77.0.1/24", "dev", name],
            ["maddr", "add", "01:00:5e:01:02:03", "dev", name],
        ):
            subprocess.run(["ip", "-n", ns.name, *command], check=True, capture_output=True)
        yield ns


def _reference(view: str) -> Callable[[Sequence[str]], list[str]]:
    """netstat, then the README's rule applied to its output (tests/tools/escape_rule.py)."""

    def argv(flags: Sequence[str]) -> list[str]:
        return [PYTHON, str(REPO_TOOL), NAME.hex(), view, *flags]

    return argv


@pytest.mark.parametrize(("flags", "view"), VIEWS)
def test_name_escaped_as_the_readme_says(escape_ns: NetNS, flags: list[str], view: str) -> None:
    raw = escape_ns.run(["netstat", *flags])
    assert NAME[:6] in raw.stdout  # netstat prints it raw
    ours = escape_ns.run(pnetstat_cmd(flags))
    assert NAME[:6] not in ours.stdout
    assert escape_name(NAME[:6]) in ours.stdout
    assert_same(compare(escape_ns, flags, mask=mask_numbers, reference=_reference(view)))
