"""The man page and the shell completions: generated from the parser's tables, complete, working.

tools/generate_docs.py writes them from ``pnetstat.options``; these tests regenerate them and
compare with the committed files, check that every option the parser accepts is named in each,
render the man page with groff's warnings on, and run the completions in bash (a COMP_WORDS
driver) and zsh (a real completion in a pseudo-terminal, compadd recording what it is offered).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from pnetstat import options

ROOT = Path(__file__).resolve().parent.parent
MAN = ROOT / "share/man/man1/pnetstat.1"
BASH = ROOT / "share/bash-completion/completions/pnetstat"
ZSH = ROOT / "share/zsh/site-functions/_pnetstat"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_docs", ROOT / "tools/generate_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# What the parser accepts, read from its tables: _getopt takes -A before it looks at the flags,
# and answers "?" (getopt's own unknown-option character) with the usage.
SHORTS = sorted({f"-{c}" for c in options._SHORT_FLAGS if c != "?"} | {"-A"})
LONGS = sorted({f"--{name}" for name, _, _ in (*options._LONG, *options._OWN_LONG)})
TAKES_ARG = {f"--{name}" for name, takes, _ in (*options._LONG, *options._OWN_LONG) if takes}


def _roff(name: str) -> str:
    return name.replace("-", "\\-")


def test_committed_files_are_what_the_generator_writes() -> None:
    for path, text in _generator().render_all(ROOT).items():
        assert (ROOT / path).read_text(encoding="utf-8") == text, f"{path}: run make docs"


def test_help_has_one_entry_per_parser_key() -> None:
    keys = {c for c in options._SHORT_FLAGS if c != "?"} | {"A", ""}
    keys |= {key for _, _, key in (*options._LONG, *options._OWN_LONG)}
    assert set(options.HELP) == keys
    assert {section for _, _, section in options.HELP.values()} == set(options.HELP_SECTIONS)


def test_help_table_is_only_data() -> None:
    """The parser behaves as before: the help table names no option it does not know."""
    assert options.parse_args(["--json", "-tan"]).json is True  # type: ignore[union-attr]
    assert options.parse_args(["-?"]) == options.Exit(3, usage=True)


@pytest.mark.parametrize("name", SHORTS + LONGS)
def test_man_page_names_every_option(name: str) -> None:
    assert f"\\fB{_roff(name)}\\fR" in MAN.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", SHORTS + LONGS)
def test_completions_name_every_option(name: str) -> None:
    assert re.search(rf"(?<![\w-]){re.escape(name)}=?(?![\w-])", BASH.read_text()), name
    assert re.search(rf"'\*?{re.escape(name)}[+=]?\[", ZSH.read_text()), name


def test_man_page_renders_without_warnings() -> None:
    groff = subprocess.run(
        ["groff", "-ww", "-man", "-Tutf8", "-P-cbou", str(MAN)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert groff.stderr == ""
    assert "FILTERS" in groff.stdout and "EXIT STATUS" in groff.stdout
    if shutil.which("man"):
        env = {**os.environ, "MANPAGER": "cat", "PAGER": "cat", "MANWIDTH": "80"}
        man = subprocess.run(
            ["man", "--warnings", "-l", str(MAN)], capture_output=True, text=True, env=env
        )
        assert (man.returncode, man.stderr) == (0, "")


def test_man_page_has_readmes_filter_grammar() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    _, grammar = _generator().readme_filters(readme)
    assert "FILTER     :=" in grammar
    assert _roff(grammar.splitlines()[0]) in MAN.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------ bash

_BASH_DRIVER = 'source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _pnetstat; printf "%s\\n" "${COMPREPLY[@]}"'


def _bash(*words: str, prelude: str = "", prefix: tuple[str, ...] = ()) -> list[str]:
    script = prelude + _BASH_DRIVER
    done = subprocess.run(
        [*prefix, "bash", "--norc", "-c", script, str(BASH), "pnetstat", *words],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr == ""
    return [line for line in done.stdout.splitlines() if line]


def test_bash_offers_every_long_option() -> None:
    offered = _bash("--")
    assert sorted({word.rstrip("=") for word in offered}) == LONGS
    assert {word[:-1] for word in offered if word.endswith("=")} == TAKES_ARG


def test_bash_offers_every_short_option() -> None:
    assert set(SHORTS) <= set(_bash("-"))


def test_bash_completes_sources() -> None:
    assert _bash("--source=") == ["--source=auto", "--source=netlink", "--source=proc"]
    assert _bash("--source", "=", "") == ["auto", "netlink", "proc"]  # split at "=" by bash
    assert _bash("--sou", "n") == ["netlink"]  # an abbreviation getopt takes


def test_bash_completes_families() -> None:
    assert _bash("-A", "")[:3] == sorted(options.AF_ALIASES)[:3]
    assert _bash("-A", "inet,u") == ["inet,unix"]
    assert _bash("--protocol=i") == [
        f"--protocol={f}" for f in sorted(options.AF_ALIASES) if f.startswith("i")
    ]
    assert _bash("-tAine") == ["-tAinet", "-tAinet6"]


def test_bash_completes_files_and_filter_words(tmp_path: Path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "filter.txt").write_text("sport = :22\n")
    assert _bash("--proc-root", f"{tmp_path}/pr") == [f"{tmp_path}/proc"]
    assert _bash(f"--filter-file={tmp_path}/f") == [f"--filter-file={tmp_path}/filter.txt"]
    assert _bash("-tan", "spo") == ["sport"]
    assert _bash("-tan", "state", "list") == ["listening"]


def _private_netns_dir() -> str:
    """A shell prelude that shows a /run/netns of its own (a private mount namespace)."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.fail("needs root and unshare for a private /run/netns (CI runs as root)")
    return "mount -t tmpfs tmpfs /run && mkdir /run/netns && touch /run/netns/red /run/netns/blue; "


def test_bash_completes_netns_names() -> None:
    prelude = _private_netns_dir()
    assert _bash("--netns", "", prelude=prelude, prefix=("unshare", "--mount")) == ["blue", "red"]


# ------------------------------------------------------------------------------------ zsh

# Types WORDS and a tab into an interactive zsh on a pseudo-terminal; compadd writes each match
# it is given to DUMP, and a post-completion hook marks the end.
_ZSH_DRIVER = r"""
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "autoload -U compinit; compinit -u -D; source ${(q)1}; unsetopt autolist listambiguous listbeep beep"
zpty -w z "compadd() { local -a m; builtin compadd -O m \"\$@\"; print -rl -- \$m >> ${(q)2}; builtin compadd \"\$@\"; }"
zpty -w z "_done() { print -r -- '<done>' >> ${(q)2}; }; comppostfuncs=(_done)"
zpty -w -n z "$3"$'\t'
for i in {1..200}; do [[ -e $2 ]] && grep -q '^<done>$' $2 && break; sleep 0.05; done
zpty -d z
"""


@pytest.fixture
def zsh_installed() -> None:
    """Fail, not skip, without zsh: make test installs it (the Makefile's sysdeps)."""
    if shutil.which("zsh") is None:
        pytest.fail("zsh is not installed: run make test, which installs it", pytrace=False)


needs_zsh = pytest.mark.usefixtures("zsh_installed")


def _zsh(tmp_path: Path, line: str, prefix: tuple[str, ...] = ()) -> list[str]:
    driver = tmp_path / "driver.zsh"
    driver.write_text(_ZSH_DRIVER)
    dump = tmp_path / "dump"
    dump.unlink(missing_ok=True)
    subprocess.run(
        [*prefix, "zsh", "-f", str(driver), str(ZSH), str(dump), line], check=True, timeout=60
    )
    lines = dump.read_text().splitlines()
    assert "<done>" in lines, "the completion did not finish"
    return sorted({word for word in lines if word and word != "<done>"})


@needs_zsh
def test_zsh_loads() -> None:
    assert subprocess.run(["zsh", "-n", str(ZSH)]).returncode == 0
    loaded = subprocess.run(
        [
            "zsh",
            "-f",
            "-c",
            'autoload -U compinit; compinit -u -D; source "$1"; print -r -- $_comps[pnetstat]',
            "zsh",
            str(ZSH),  # an argument, not spliced in: the checkout's path may hold a space
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert (loaded.stdout, loaded.stderr) == ("_pnetstat\n", "")


@needs_zsh
def test_zsh_offers_every_option(tmp_path: Path) -> None:
    assert _zsh(tmp_path, "pnetstat --") == LONGS
    assert set(SHORTS) <= set(_zsh(tmp_path, "pnetstat -"))


@needs_zsh
def test_zsh_completes_values(tmp_path: Path) -> None:
    assert _zsh(tmp_path, "pnetstat --source=") == ["auto", "netlink", "proc"]
    assert _zsh(tmp_path, "pnetstat -A inet,u") == ["unix"]
    assert _zsh(tmp_path, "pnetstat -tan state list") == ["listening"]


@needs_zsh
def test_zsh_completes_netns_names(tmp_path: Path) -> None:
    prelude = _private_netns_dir()
    driver = tmp_path / "private.sh"
    driver.write_text(prelude + 'exec "$@"\n')
    prefix = ("unshare", "--mount", "sh", str(driver))
    assert _zsh(tmp_path, "pnetstat --netns ", prefix) == ["blue", "red"]
