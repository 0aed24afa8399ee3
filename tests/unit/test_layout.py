"""The layout rules of STYLE.md that a test can hold: import direction and the public API."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pnetstat

PACKAGE = Path(pnetstat.__file__).resolve().parent

# Lower layers must not import higher ones: sources -> model -> views -> commands -> cli.
LAYER = {
    "errors": 0, "_version": 0, "_typing": 0, "model": 1, "model_tables": 1, "model_states": 1, "procfs": 2, "processes": 2, "resolve": 2, "sockdiag": 2,
    "snmp": 2, "routing": 2, "netdev": 2, "igmp": 2, "options": 3, "views": 4,
    "commands": 5, "serve": 5, "live": 5, "api": 5, "cli": 6, "__init__": 7, "__main__": 8,
}  # fmt: skip


def _layer(module: str) -> int:
    return LAYER.get(module.split(".")[0], 2)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = path.relative_to(PACKAGE).with_suffix("").parts
            package = base[: len(base) - node.level]
            if node.module:
                found.add(".".join([*package, node.module]))
            else:  # "from . import x": the submodule x (its package is already loaded)
                found.update(".".join([*package, a.name]) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pnetstat."):
            found.add((node.module or "")[len("pnetstat.") :])
    return found


def test_data_flows_one_way() -> None:
    problems = []
    for path in PACKAGE.rglob("*.py"):
        here = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for target in _imports(path):
            if _layer(target) > _layer(here) and not here.startswith(target.split(".")[0]):
                problems.append(f"{here} imports {target}")
    assert problems == []


def test_views_open_no_files() -> None:
    for path in (PACKAGE / "views").glob("*.py"):
        source = path.read_text()
        assert "open(" not in source and "os.listdir" not in source, path


def test_all_is_the_public_api() -> None:
    """__all__ lists exactly the public names (loaded lazily), each documented."""
    import pnetstat as package

    where = package._WHERE
    assert sorted(package.__all__) == sorted([*where, "__version__"])
    for name in package.__all__:
        value = getattr(package, name)
        assert name == "__version__" or value.__doc__, name
    helpers = {"annotations", "import_module", "TYPE_CHECKING", "Any"}
    public = {
        n
        for n in dir(package)
        if not n.startswith("_") and type(getattr(package, n)).__name__ != "module"
    } - helpers
    assert public <= set(package.__all__)


def test_no_module_shadows_a_public_name() -> None:
    """pnetstat.routes() must stay a function even after every submodule was imported."""
    import importlib
    import pkgutil

    import pnetstat as package

    for info in pkgutil.walk_packages(package.__path__, "pnetstat."):
        if info.name != "pnetstat.__main__":
            importlib.import_module(info.name)
    for name in package.__all__:
        assert type(getattr(package, name)).__name__ != "module", name


LISTING = """
import io, sys
from pnetstat.cli import main
main(["-tan", "--proc-root=" + sys.argv[1]], stdout=io.StringIO())
print(" ".join(sorted(sys.modules)))
"""


def test_a_socket_listing_loads_only_what_it_needs() -> None:
    """Start-up is most of an idle ``pnetstat -tan``: other views' modules stay unloaded."""
    import subprocess
    import sys

    proc = PACKAGE.parent / "tests" / "fixtures" / "proc" / "live-ns"
    done = subprocess.run(
        [sys.executable, "-c", LISTING, str(proc)],
        capture_output=True, text=True, cwd=PACKAGE.parent, timeout=60, check=True,
    )  # fmt: skip
    loaded = set(done.stdout.split())
    assert "pnetstat.views.sockets" in loaded  # it did list sockets
    heavy = {"pnetstat.model_tables", "pnetstat.api", "pnetstat.views.json", "pnetstat.sources.snmp",
             "pnetstat.sources.routing", "pnetstat.sources.netdev", "pnetstat.sources.readahead", "dataclasses",
             "argparse", "queue", "inspect", "json", "subprocess"}  # fmt: skip
    assert loaded & heavy == set()


def test_every_subpackage_is_packaged() -> None:
    """pyproject.toml lists packages by name: a new subpackage left out would be missing
    from the wheel while every test run from the checkout still passes."""
    import tomllib

    listed = set(
        tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["tool"]["setuptools"][
            "packages"
        ]
    )
    found = {
        ".".join(("pnetstat", *init.parent.relative_to(PACKAGE).parts))
        for init in PACKAGE.rglob("__init__.py")
    }
    assert listed == found


IDLE_TAN = """
import io, sys
before = set(sys.modules)
from pnetstat.cli import main
main(["-tan", "--proc-root=" + sys.argv[1]], stdout=io.StringIO())
print(" ".join(sorted(set(sys.modules) - before)))
"""

# What an idle `pnetstat -tan` imports (changed only on purpose: start-up is most of its
# time). Our modules exactly; the standard library's as top-level names it may not outgrow.
IDLE_PNETSTAT = {
    "pnetstat", "pnetstat._typing", "pnetstat._version", "pnetstat.cli", "pnetstat.commands",
    "pnetstat.commands.sinks", "pnetstat.commands.sockets", "pnetstat.errors",
    "pnetstat.model", "pnetstat.options", "pnetstat.resolve", "pnetstat.sources",
    "pnetstat.sources.cscan", "pnetstat.sources.proc_inet", "pnetstat.sources.procfs",
    "pnetstat.sources.sockets",
    "pnetstat.views", "pnetstat.views.names", "pnetstat.views.sockets",
}  # fmt: skip
# Not typing, re, contextlib, threading or warnings: about 7 ms of start-up together (issue 17).
IDLE_STDLIB = {
    "__future__", "_collections", "_collections_abc", "_functools", "_operator", "_socket",
    "_stat", "collections", "enum", "errno", "functools", "genericpath", "ipaddress",
    "itertools", "keyword", "operator", "os", "posixpath", "reprlib", "stat", "types",
}  # fmt: skip
# This test reads /proc (--proc-root), whose row parser matches plain kernel rows with one
# pattern (issue 18): re is loaded there. The default netlink path loads no re
# (tests/test_packaging.py traces the installed command in a namespace).
PROC_STDLIB = {"_sre", "copyreg", "re"}


def test_an_idle_listing_imports_no_more_than_it_did() -> None:
    import subprocess
    import sys

    proc = PACKAGE.parent / "tests" / "fixtures" / "proc" / "live-ns"
    done = subprocess.run(
        [sys.executable, "-S", "-c", IDLE_TAN, str(proc)],
        capture_output=True, text=True, cwd=PACKAGE.parent, timeout=60, check=True,
    )  # fmt: skip
    loaded = set(done.stdout.split())
    ours = {name for name in loaded if name.split(".")[0] == "pnetstat"}
    assert ours == IDLE_PNETSTAT
    assert {name.split(".")[0] for name in loaded - ours} <= IDLE_STDLIB | PROC_STDLIB


VIEW_RUN = """
import io, sys
from pnetstat.cli import main
main([*sys.argv[2:], "--proc-root=" + sys.argv[1]], stdout=io.StringIO(), stderr=io.StringIO())
print(" ".join(sorted(sys.modules)))
"""

# Standard modules no netstat view needs, each a millisecond or more of start-up: typing (with
# re, contextlib and warnings), socket.py (an IntEnum of every constant), dataclasses (with
# inspect), argparse.
NO_VIEW_LOADS = {"typing", "socket", "contextlib", "warnings", "dataclasses", "inspect", "argparse"}


def _view_loads(fixture: str, flags: list[str]) -> set[str]:
    """The modules a run of ``flags`` on a fixture /proc tree has loaded when it ends."""
    import subprocess
    import sys

    proc = PACKAGE.parent / "tests" / "fixtures" / "proc" / fixture
    done = subprocess.run(
        [sys.executable, "-S", "-c", VIEW_RUN, str(proc), *flags],
        capture_output=True, text=True, cwd=PACKAGE.parent, timeout=60, check=True,
    )  # fmt: skip
    loaded = set(done.stdout.split())
    assert any(name.startswith("pnetstat.views.") for name in loaded)  # it did render a view
    return loaded


@pytest.mark.parametrize(
    ("fixture", "flags"),
    [("stats", ["-s"]), ("live-ns", ["-i"]), ("routes", ["-rn"]), ("routes", ["-rn", "-A", "inet6"]),
     ("groups", ["-gn"]), ("live-ns", ["-xa"]), ("live-ns", ["-tan"]), ("live-ns", ["-uan"])],
)  # fmt: skip
def test_no_view_loads_the_heavy_standard_modules(fixture: str, flags: list[str]) -> None:
    assert _view_loads(fixture, flags) & NO_VIEW_LOADS == set()


@pytest.mark.parametrize(("fixture", "flags"), [("stats", ["-s"]), ("live-ns", ["-xa"])])
def test_a_view_without_addresses_does_not_load_ipaddress(fixture: str, flags: list[str]) -> None:
    """ipaddress costs about 1.4 ms to import; -s and -x show no Internet address."""
    assert "ipaddress" not in _view_loads(fixture, flags)
