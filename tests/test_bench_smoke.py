"""The benchmark harness runs end to end on a small N (a smoke test, not a timing test)."""

from __future__ import annotations

import doctest
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.differential


def test_bench_runs_and_reports_every_tool(namespace_support: None, tmp_path: Path) -> None:
    out = tmp_path / "bench.md"
    bench = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--sizes", "200",
         "--repeat", "1", "--only", "sizes", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        stdout, stderr = bench.communicate(timeout=120)
    finally:
        if bench.poll() is None:  # SIGTERM first: the bench then deletes its namespaces
            bench.terminate()
            try:
                bench.communicate(timeout=30)
            finally:
                bench.kill()
    done = subprocess.CompletedProcess(bench.args, bench.returncode, stdout, stderr)
    assert done.returncode == 0, done.stderr.decode()
    text = out.read_text()
    for flags in ("-tan", "-tanp", "-xa", "-uan"):
        for tool in ("netstat", "ss", "pnetstat"):
            assert re.search(rf"^\| `{tool} {flags}` \| \d+\.\d \| ", text, re.M), (tool, flags)
    for label in ("`python -c pass`", "`pnetstat -tan (idle)`", "`ip netns exec NS true`",
                  "| idle `pnetstat -tan` - `python -c pass` |"):  # fmt: skip
        assert label in text, label
    assert (tmp_path / "bench.json").exists()
    # Everything the run made is gone: its namespaces and their /etc/netns directories.
    names = re.findall(r"^namespace (pnetstat-bench-[0-9a-f]+)$", done.stderr.decode(), re.M)
    assert names
    for name in names:
        assert not Path("/run/netns", name).exists(), name
        assert not Path("/etc/netns", name).exists(), name


def test_bench_doctests() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        names = ("namespace", "report", "namespaces", "filters", "startup", "exporter")
        modules = [importlib.import_module(name) for name in names]
    finally:
        sys.path.remove(str(ROOT / "bench"))
    total = 0
    for module in modules:
        failed, tried = doctest.testmod(module)
        assert not failed, module.__name__
        total += tried
    assert total  # the examples in namespace, report and startup ran
