"""pnetstat against netstat's recorded output on fixture /proc trees (tests/fixtures).

Every record of every scenario is replayed in the same sandbox the goldens were recorded in
(a tmpfs /proc holding the scenario, pinned /etc name services, no network), all records of a
scenario in one process, and must match netstat's stdout, stderr and status byte for byte.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
sys.path.insert(0, str(ROOT / "tests" / "tools"))

import golden  # noqa: E402


def _scenarios() -> list[str]:
    return sorted(p.stem for p in (FIXTURES / "golden").glob("*.json"))


def _expected(record: dict[str, Any], stream: str) -> bytes:
    if f"{stream}_b64" in record:
        return base64.b64decode(record[f"{stream}_b64"])
    return str(record[stream]).encode("utf-8", "surrogateescape")


_CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]")


def _escaped(line: bytes) -> bytes:
    """netstat's line as pnetstat prints it: control characters escaped (README, "Terminal
    safety"), the padding after each escaped cell shortened by what the escape added."""
    while (match := _CONTROL.search(line)) is not None:
        escape = b"\\x%02x" % match.group()[0]
        added = len(escape) - 1
        line = line[: match.start()] + escape + line[match.end() :]
        pad = line.find(b" " * (added + 1), match.start() + len(escape))
        if pad >= 0:
            line = line[:pad] + line[pad + added :]
    return line


def _deliberate(stdout: bytes) -> bytes:
    return b"\n".join(_escaped(line) for line in stdout.split(b"\n"))


def _records(scenario: str) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / "golden" / f"{scenario}.json").read_text())


@cache
def _replay(scenario: str) -> list[dict[str, Any]]:
    records = _records(scenario)
    request = json.dumps({"repo": str(ROOT), "runs": [r["argv"] for r in records]})
    argv = golden.sandbox_argv(scenario, [sys.executable, str(ROOT / "tests" / "golden_runner.py")])
    done = subprocess.run(argv, input=request.encode(), capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def _cases() -> list[Any]:
    return [
        pytest.param(scenario, index, id=f"{scenario}:{' '.join(record['argv']) or '(none)'}")
        for scenario in _scenarios()
        for index, record in enumerate(_records(scenario))
    ]


@pytest.mark.parametrize(("scenario", "index"), _cases())
def test_matches_netstat(scenario: str, index: int) -> None:
    record = _records(scenario)[index]
    ours = _replay(scenario)[index]
    got_out = base64.b64decode(ours["stdout_b64"])
    got_err = base64.b64decode(ours["stderr_b64"])
    want_out = _deliberate(_expected(record, "stdout"))
    assert (got_out.decode(errors="replace"), got_err.decode(errors="replace"), ours["status"]) == (
        want_out.decode(errors="replace"),
        _expected(record, "stderr").decode(errors="replace"),
        record["status"],
    )
    assert got_out == want_out
    assert got_err == _expected(record, "stderr")
