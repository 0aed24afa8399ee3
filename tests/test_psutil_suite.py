"""psutil's own connection tests, run against pnetstat.compat in a fresh network namespace.

``tests/psutil_runner.py`` replaces ``psutil.net_connections`` and
``psutil.Process.net_connections`` with pnetstat.compat's calls and runs the tests of psutil's
sdist (fetched by ``make test`` into ``.venv/psutil-VERSION``) that exercise them. Every one
must pass, except those of :data:`psutil_runner.DESELECTED` (the README names them with the
reason); none may skip. The namespace holds only what psutil's tests open, so their
"nothing else is open" checks hold.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
from pathlib import Path

import psutil_runner
import pytest
from netns import NetNS

RUNNER = Path(psutil_runner.__file__).resolve()
VERSION = psutil_runner.PSUTIL_VERSION
# Beside the interpreter that has the matching psutil installed (the Makefile puts it there).
SDIST = Path(sys.prefix) / f"psutil-{VERSION}"
FETCH = (
    f"run `make test`, which fetches it, or: {sys.executable} -m pip download --no-deps "
    f"--no-binary :all: psutil=={VERSION} -d /tmp/psutil-sdist && tar -xzf "
    f"/tmp/psutil-sdist/psutil-{VERSION}.tar.gz -C '{sys.prefix}' psutil-{VERSION}/tests"
)
TIMEOUT = 300.0  # the run takes a few seconds; its own retries are bounded by psutil's timeouts


def _require_suite() -> None:
    """Fail, never skip, when psutil's tests or the matching psutil are not there."""
    if not (SDIST / "tests" / "test_connections.py").is_file():
        pytest.fail(f"psutil {VERSION}'s tests are missing from {SDIST}: {FETCH}", pytrace=False)
    try:
        installed = importlib.metadata.version("psutil")
    except importlib.metadata.PackageNotFoundError:
        installed = "none"
    if installed != VERSION:
        pytest.fail(
            f"psutil {installed} is installed; the tests are {VERSION}'s: "
            f"pip install psutil=={VERSION} (pyproject.toml's test extra pins it)",
            pytrace=False,
        )


def test_psutil_connection_tests_pass_against_compat(netns: NetNS, tmp_path: Path) -> None:
    _require_suite()
    summary_path = tmp_path / "summary.json"
    done = netns.run([sys.executable, str(RUNNER), str(SDIST), str(summary_path)], timeout=TIMEOUT)
    output = (done.stdout + done.stderr).decode(errors="replace")
    assert summary_path.exists(), f"the runner wrote no summary (exit {done.returncode}):\n{output}"
    summary = json.loads(summary_path.read_text())
    outcomes: dict[str, str] = summary["outcomes"]
    not_passed = {node: outcome for node, outcome in outcomes.items() if outcome != "passed"}
    assert not_passed == {}, f"{summary['skip_reasons']}\n{output}"
    assert done.returncode == 0, output
    # Every documented difference was there to deselect, and nothing else was left out.
    assert sorted(summary["deselected"]) == sorted(psutil_runner.DESELECTED)
    # pnetstat answered: both calls were substituted and used (psutil's own code did not).
    assert summary["calls"]["net_connections"] > 0, summary["calls"]
    assert summary["calls"]["process_connections"] > 0, summary["calls"]
    # Each selected file contributed (a renamed test or class would silently drop out).
    for selected in psutil_runner.SELECTED:
        assert any(node.startswith(selected) for node in outcomes), f"nothing ran from {selected}"
    assert len(outcomes) >= 26, sorted(outcomes)
