"""The benchmark harness runs end to end on a small N (a smoke test, not a timing test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.differential


def test_bench_runs_and_reports_every_tool(tmp_path: Path) -> None:
    out = tmp_path / "bench.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "200", "--repeat", "1",
         "--out", str(out)],
        capture_output=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    text = out.read_text()
    for label in ("`netstat -tan`", "`ss -tan`", "`pnetstat -tan`", "`pnetstat -xa`",
                  "`python -c pass`", "idle pnetstat -tan"):  # fmt: skip
        assert label in text, label
    assert (tmp_path / "bench.json").exists()
