"""Fake /proc trees for the malformed-input differential test (tests/test_malformed_proc.py).

* :func:`prepare_namespace` gives a test namespace state worth reading: interfaces with IPv4 and
  IPv6 addresses, routes of both families, multicast groups, and one socket of every kind.
* :func:`capture` copies every /proc/net file netstat reads, as bytes, from inside it.
* :func:`generate` makes one case from a seed: the capture with one to three mutations of the
  kind a broken or hostile /proc line has (numbers out of range, odd field syntax, Unicode and
  control bytes between or inside fields, short, blank, overlong and repeated lines, changed
  headers, names of interfaces the namespace lacks), and the flag sets that read the files it
  changed.
* :func:`run_cases` runs netstat (twice) and pnetstat on each case's tree inside the namespace,
  through tests/tools/fakeproc_runner.py.

Imports nothing from pytest, so a script can drive it to look at many seeds.
"""

from __future__ import annotations

import base64
import json
import random
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.netns import REPO_ROOT, NetNS, populate

RUNNER = REPO_ROOT / "tests" / "tools" / "fakeproc_runner.py"

#: Files netstat reads, by the flag sets that read them (numeric flags only: no lookups).
FLAGS: dict[str, list[list[str]]] = {
    "tcp": [["-tan"], ["-tane"], ["-tno"], ["-tlnW"]],
    "tcp6": [["-tan"], ["-tane"], ["-tno"], ["-tlnW"]],
    "udp": [["-uan"], ["-uane"], ["-anW"]],
    "udp6": [["-uan"], ["-uane"], ["-anW"]],
    "udplite": [["-Uan"]],
    "udplite6": [["-Uan"]],
    "raw": [["-wan"], ["-wane"], ["-wano"]],
    "raw6": [["-wan"], ["-wane"], ["-wano"]],
    "unix": [["-xa"], ["-xn"], ["-xlW"]],
    "snmp": [["-s"], ["-st"], ["-su"], ["-s", "-6"]],
    "netstat": [["-s"], ["-st"]],
    "snmp6": [["-s", "-6"], ["-su", "-6"]],
    "dev": [["-i"], ["-ia"], ["-ie"]],
    "if_inet6": [["-ie"]],
    "route": [["-rn"], ["-rne"], ["-rnee"]],
    "ipv6_route": [["-rn", "-A", "inet6"], ["-rne", "-A", "inet6"]],
    "igmp": [["-gn"]],
    "igmp6": [["-gn"]],
}
#: Also copied (read by netstat on every run, or present in a real /proc/net) but not mutated.
OTHER_FILES = ("dev_mcast",)

#: Bytes that split or join fields: blanks scanf knows, and the Unicode and control spaces it
#: does not (Python's str.split() splits on all of them).
SEPARATORS = (
    b"\t",
    b"  ",
    b"\xc2\xa0",  # NBSP
    b"\xe2\x80\xa8",  # LINE SEPARATOR
    b"\xe2\x80\x83",  # EM SPACE
    b"\x1c",
    b"\x1d",
    b"\x1e",
    b"\x1f",
    b"\x0b",
    b"\x0c",
    b"\x85",
    b"\r",
)
#: Replacements for a number-looking field.
NUMBERS = (
    b"0",
    b"-1",
    b"-5",
    b"+7",
    b"FFFFFFFF",
    b"FFFFFFFFFFFFFFFF",
    b"1FFFFFFFFFFFFFFFF",
    b"100000000",
    b"4294967296",
    b"4294967297",
    b"2147483648",
    b"9223372036854775808",
    b"18446744073709551615",
    b"18446744073709551616",
    b"99999999999999999999999999999999999999",
    b"0x",
    b"0x1F",
    b"0X1f",
    b"1_0",
    b"A_B",
    b"\xd9\xa1\xd9\xa2",  # Arabic-Indic digits
    b"\xef\xbc\x91",  # fullwidth 1
    b"ZZ",
    b"12abc",
    b"",
    b"00000000000000000000000000000001",
    b"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    b"7FFFFFFF",
    b"80000000",
    b"00FFFFFF",
    b"0X00FFFFFF",
    b"-0",
    b"1e5",
    b"12.5",
)
#: Names for an interface, a unix path or a -s section/field: spaces, Unicode, control bytes.
NAMES = (
    b"eth9",
    b"nosuch0",
    b"a\xc2\xa0b",
    b"a\xe2\x80\xa8b",
    b"a\x1cb",
    b"a\x1bb",
    b"caf\xc3\xa9",
    b"bad\xffutf8",
    b"\x7fdel",
    b"x" * 15,
    b"y" * 16,
    b"sp ace",
    b"tab\there",
    b"back\\slash",
    b"%s%n",
)


@dataclass
class Case:
    """One fake tree: its files (name -> bytes), what was done to them, and what to run."""

    seed: int
    files: dict[str, bytes]
    mutations: list[str] = field(default_factory=list)
    flags: list[list[str]] = field(default_factory=list)


# ---------------------------------------------------------------------------
# the namespace and its capture

SETUP = (
    ("link", "add", "pnt-dummy0", "type", "bridge"),
    ("link", "add", "pnt-va", "type", "veth", "peer", "name", "pnt-vb"),
    ("link", "add", "pnt-down", "type", "bridge"),
    ("link", "set", "pnt-dummy0", "up"),
    ("link", "set", "pnt-va", "up"),
    ("link", "set", "pnt-vb", "up"),
    ("addr", "add", "10.31.0.1/24", "dev", "pnt-dummy0"),
    ("addr", "add", "fd00:31::1/64", "dev", "pnt-dummy0", "nodad"),
    ("addr", "add", "192.168.231.1/30", "dev", "pnt-va"),
    ("addr", "add", "fd00:32::1/64", "dev", "pnt-va", "nodad"),
    ("route", "add", "10.99.0.0/16", "via", "10.31.0.2", "metric", "7"),
    ("route", "add", "default", "via", "192.168.231.2"),
    ("-6", "route", "add", "fd00:99::/48", "via", "fd00:31::2", "metric", "300"),
    ("maddr", "add", "01:00:5e:01:02:03", "dev", "pnt-dummy0"),
)


def prepare_namespace(ns: NetNS) -> None:
    """Interfaces, addresses, routes and groups in ``ns``, and the standard socket holder."""
    for command in SETUP:
        done = subprocess.run(
            ["ip", "-n", ns.name, *command], capture_output=True, timeout=30, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"ip {' '.join(command)}: {done.stderr.decode(errors='replace')}")
    populate(ns)


_DUMP = """
import base64, json, sys
out = {}
for name in sys.argv[1:]:
    try:
        with open("/proc/net/" + name, "rb") as handle:
            out[name] = base64.b64encode(handle.read()).decode()
    except OSError:
        pass
with open("/proc/filesystems", "rb") as handle:
    out["../filesystems"] = base64.b64encode(handle.read()).decode()
print(json.dumps(out))
"""


def capture(ns: NetNS) -> dict[str, bytes]:
    """Every /proc/net file netstat reads, as ``ns`` shows it (plus /proc/filesystems)."""
    names = [*FLAGS, *OTHER_FILES]
    done = ns.run([sys.executable, "-c", _DUMP, *names], timeout=60)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode(errors="replace"))
    return {name: base64.b64decode(data) for name, data in json.loads(done.stdout).items()}


# ---------------------------------------------------------------------------
# mutations: each takes the random source and a file's lines (without their b"\n"), changes
# them in place and says what it did, or returns None when the file offers nothing to change.

Lines = list[bytes]


def _tokens(line: bytes) -> list[tuple[int, int]]:
    """(start, end) of each run of non-blank bytes (blank: space and tab)."""
    spans, start = [], None
    for i, byte in enumerate(line):
        if byte in b" \t":
            if start is not None:
                spans.append((start, i))
                start = None
        elif start is None:
            start = i
    if start is not None:
        spans.append((start, len(line)))
    return spans


def _data_line(rng: random.Random, lines: Lines) -> int | None:
    candidates = [i for i, line in enumerate(lines) if i > 0 and _tokens(line)]
    return rng.choice(candidates) if candidates else None


def _replace_token(rng: random.Random, lines: Lines, values: Sequence[bytes]) -> str | None:
    i = _data_line(rng, lines)
    if i is None:
        return None
    spans = _tokens(lines[i])
    start, end = rng.choice(spans)
    value = rng.choice(values)
    line = lines[i]
    lines[i] = line[:start] + value + line[end:]
    return f"line {i}: token {line[start:end]!r} -> {value!r}"


def m_number(rng: random.Random, lines: Lines) -> str | None:
    return _replace_token(rng, lines, NUMBERS)


def m_name(rng: random.Random, lines: Lines) -> str | None:
    return _replace_token(rng, lines, NAMES)


def m_hex_part(rng: random.Random, lines: Lines) -> str | None:
    """Change the part after a colon (a port, a counter) or before it (an address)."""
    i = _data_line(rng, lines)
    if i is None:
        return None
    spans = [s for s in _tokens(lines[i]) if b":" in lines[i][s[0] : s[1]]]
    if not spans:
        return None
    start, end = rng.choice(spans)
    token = lines[i][start:end]
    head, _, tail = token.rpartition(b":")
    value = rng.choice(NUMBERS)
    new = head + b":" + value if rng.random() < 0.6 else value + b":" + tail
    lines[i] = lines[i][:start] + new + lines[i][end:]
    return f"line {i}: {token!r} -> {new!r}"


def m_separator(rng: random.Random, lines: Lines) -> str | None:
    i = _data_line(rng, lines)
    if i is None:
        return None
    line = lines[i]
    gaps = [j for j, byte in enumerate(line) if byte in b" \t"]
    if not gaps:
        return None
    j = rng.choice(gaps)
    sep = rng.choice(SEPARATORS)
    # Either a blank becomes the separator, or the separator is put inside a field.
    if rng.random() < 0.5:
        lines[i] = line[:j] + sep + line[j + 1 :]
        return f"line {i}: blank at {j} -> {sep!r}"
    spans = _tokens(line)
    start, end = rng.choice(spans)
    cut = rng.randint(start, end)
    lines[i] = line[:cut] + sep + line[cut:]
    return f"line {i}: {sep!r} inserted at {cut}"


def m_drop_token(rng: random.Random, lines: Lines) -> str | None:
    i = _data_line(rng, lines)
    if i is None:
        return None
    spans = _tokens(lines[i])
    k = rng.randrange(len(spans))
    if rng.random() < 0.5:
        start, end = spans[k][0], len(lines[i])  # cut the line from there
        what = f"line {i} cut at token {k}"
    else:
        start = spans[k][0]
        end = spans[k + 1][0] if k + 1 < len(spans) else spans[k][1]
        what = f"line {i} token {k} dropped"
    lines[i] = lines[i][:start] + lines[i][end:]
    return what


def m_lines(rng: random.Random, lines: Lines) -> str | None:
    if not lines:
        return None
    i = rng.randrange(len(lines))
    choice = rng.randrange(6)
    if choice == 0:
        del lines[i]
        return f"line {i} deleted"
    if choice == 1:
        lines.insert(i, lines[i])
        return f"line {i} repeated"
    if choice == 2:
        lines.insert(i, b"")
        return f"blank line before {i}"
    if choice == 3:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        return f"lines {i} and {j} swapped"
    if choice == 4:
        lines[i] = lines[i][: rng.randint(0, len(lines[i]))]
        return f"line {i} truncated"
    lines.insert(i, b" " * rng.randint(1, 3))
    return f"blank-only line before {i}"


def m_long(rng: random.Random, lines: Lines) -> str | None:
    """A line past netstat's reading buffer (8191 bytes, 511 for dev), padded inside."""
    i = _data_line(rng, lines)
    if i is None:
        return None
    size = rng.choice((500, 520, 1100, 8180, 8200, 9000, 17000))
    spans = _tokens(lines[i])
    start, _ = rng.choice(spans)
    lines[i] = lines[i][:start] + b" " * size + lines[i][start:]
    return f"line {i}: {size} blanks before a token"


def m_header(rng: random.Random, lines: Lines) -> str | None:
    if not lines or not _tokens(lines[0]):
        return None
    spans = _tokens(lines[0])
    start, end = rng.choice(spans)
    word = lines[0][start:end]
    if rng.random() < 0.5:
        lines[0] = lines[0][:start] + lines[0][end:]
        return f"header word {word!r} removed"
    lines[0] = lines[0][:start] + word.lower() + b"x" + lines[0][end:]
    return f"header word {word!r} changed"


MUTATIONS: tuple[Callable[[random.Random, Lines], str | None], ...] = (
    m_number,
    m_number,
    m_hex_part,
    m_name,
    m_separator,
    m_separator,
    m_drop_token,
    m_lines,
    m_long,
    m_header,
)


def generate(base: dict[str, bytes], seed: int, only: Sequence[str] = ()) -> Case:
    """One case: ``base`` with 1-3 seeded mutations, in files chosen from ``only`` (or all)."""
    rng = random.Random(seed)
    files = dict(base)
    pool = [name for name in (only or FLAGS) if name in files]
    case = Case(seed, files)
    touched: list[str] = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        name = rng.choice(pool)
        lines = files[name].split(b"\n")
        tail = lines.pop() if lines and lines[-1] == b"" else None
        for _attempt in range(5):
            mutation = rng.choice(MUTATIONS)
            what = mutation(rng, lines)
            if what is not None:
                case.mutations.append(f"{name}: {mutation.__name__}: {what}")
                touched.append(name)
                break
        files[name] = b"\n".join(lines) + (b"\n" if tail is not None else b"")
    seen: list[list[str]] = []
    for name in touched:
        for flags in FLAGS[name]:
            if flags not in seen:
                seen.append(flags)
    case.flags = seen
    return case


# ---------------------------------------------------------------------------
# running


@dataclass
class Run:
    """One flag set on one case: netstat's two runs and pnetstat's."""

    flags: list[str]
    netstat: list[tuple[bytes, bytes, int]]
    pnetstat: tuple[bytes, bytes, int]

    @property
    def verdict(self) -> bool:
        """False when netstat disagreed with itself (no verdict on this run)."""
        return self.netstat[0] == self.netstat[1]

    @property
    def same(self) -> bool:
        return self.pnetstat == self.netstat[0]


def _decode(run: dict[str, object]) -> tuple[bytes, bytes, int]:
    out, err, rc = run["out"], run["err"], run["rc"]
    assert isinstance(out, str) and isinstance(err, str) and isinstance(rc, int)
    return base64.b64decode(out), base64.b64decode(err), rc


def run_cases(ns: NetNS, cases: Sequence[Case], workdir: Path) -> list[list[Run]]:
    """Write each case's tree under ``workdir`` and run both tools on it inside ``ns``."""
    job = []
    for k, case in enumerate(cases):
        tree = workdir / f"case-{k}"
        (tree / "net").mkdir(parents=True)
        for name, data in case.files.items():
            (tree / "net" / name).write_bytes(data)
        job.append({"tree": str(tree), "flags": case.flags})
    job_path, out_path = workdir / "job.json", workdir / "out.json"
    job_path.write_text(json.dumps(job))
    argv = ["unshare", "--mount", "--propagation", "private", sys.executable, str(RUNNER)]
    done = ns.run([*argv, str(job_path), str(out_path)], timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"fakeproc runner failed: {done.stderr.decode(errors='replace')}")
    results = json.loads(out_path.read_text())
    return [
        [
            Run(run["flags"], [_decode(n) for n in run["netstat"]], _decode(run["pnetstat"]))
            for run in runs
        ]
        for runs in results
    ]


# ---------------------------------------------------------------------------
# what a test reports

#: The files of each view; the generated test spreads its budget over these groups.
GROUPS: dict[str, tuple[str, ...]] = {
    "sockets": ("tcp", "tcp6", "udp", "udp6", "udplite", "udplite6", "raw", "raw6"),
    "unix": ("unix",),
    "statistics": ("snmp", "netstat", "snmp6"),
    "interfaces": ("dev", "if_inet6"),
    "routes": ("route", "ipv6_route"),
    "groups": ("igmp", "igmp6"),
}


def group_cases(base: dict[str, bytes], group: str, count: int, first_seed: int) -> list[Case]:
    """``count`` cases mutating only ``group``'s files, seeds from ``first_seed``."""
    files = GROUPS[group]
    return [
        generate(base, seed, (files[seed % len(files)],))
        for seed in range(first_seed, first_seed + count)
    ]


def _text(data: bytes) -> list[str]:
    return [repr(line)[1:-1] + "$" for line in data.split(b"\n")]


def describe(case: Case, run: Run, limit: int = 12) -> str:
    """A failure report: the case's seed and mutations, then each stream's unified diff."""
    import difflib

    head = f"seed {case.seed} netstat {' '.join(run.flags)}: " + "; ".join(case.mutations)
    parts = [head]
    names = ("stdout", "stderr")
    for name, mine, theirs in zip(names, run.pnetstat[:2], run.netstat[0][:2], strict=True):
        if mine != theirs:
            diff = difflib.unified_diff(
                _text(theirs), _text(mine), "netstat", "pnetstat", lineterm="", n=1
            )
            parts += [f"  {name}:", *("    " + line for line in list(diff)[2 : 2 + limit])]
    if run.pnetstat[2] != run.netstat[0][2]:
        parts.append(f"  exit status: netstat {run.netstat[0][2]}, pnetstat {run.pnetstat[2]}")
    return "\n".join(parts)
