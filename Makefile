# make test: create .venv, install the test extras, lint, type-check and run the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# psutil's own connection tests run against pnetstat.compat (tests/test_psutil_suite.py): they
# come from the sdist of the psutil that pyproject.toml's test extra pins.
PSUTIL_VERSION := 7.2.2
PSUTIL_TESTS := $(VENV)/psutil-$(PSUTIL_VERSION)/tests/test_connections.py

.PHONY: test lint typecheck pytest bench docs sysdeps clean zipapp dist

test: lint typecheck pytest

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Order-only: a reinstall of the extras does not fetch the same sdist again.
$(PSUTIL_TESTS): | $(STAMP)
	rm -rf $(VENV)/psutil-sdist $(VENV)/psutil-$(PSUTIL_VERSION)
	$(BIN)/python -m pip download --quiet --no-deps --no-binary :all: \
		psutil==$(PSUTIL_VERSION) -d $(VENV)/psutil-sdist
	tar -xzf $(VENV)/psutil-sdist/psutil-$(PSUTIL_VERSION).tar.gz -C $(VENV) \
		psutil-$(PSUTIL_VERSION)/tests psutil-$(PSUTIL_VERSION)/LICENSE
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check pnetstat tests tools $(wildcard bench)
	$(BIN)/ruff format --check pnetstat tests tools $(wildcard bench)

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) $(PSUTIL_TESTS) sysdeps
	$(BIN)/python -m pytest -q

# dist/pnetstat.pyz: the single-file pnetstat (standard library only; see tools/build_zipapp.py).
zipapp:
	$(PYTHON) tools/build_zipapp.py dist/pnetstat.pyz

# dist/*.tar.gz and dist/*.whl, built with the standard front end from pyproject.toml.
dist: $(STAMP)
	$(BIN)/python -m build --no-isolation --outdir dist .

# tests/test_docs.py runs the zsh completion in zsh (Debian's package, a few MB).
# tests/test_top.py drives --top on a terminal that tmux emulates (Debian's package).
# tests/test_exporter.py runs a real Prometheus server (Debian's package; its tests start their
# own). The package would start and enable its service: a policy-rc.d answering 101 ("action
# forbidden", see /usr/share/doc/init-system-helpers/README.policy-rc.d.gz) stops the start, and
# the unit is disabled after, so nothing keeps running and nothing starts at boot.
sysdeps:
	command -v zsh >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zsh; }
	command -v tmux >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux; }
	command -v prometheus >/dev/null || { \
		made=; if [ ! -e /usr/sbin/policy-rc.d ]; then \
			printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made=1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; \
		status=$$?; [ -z "$$made" ] || rm -f /usr/sbin/policy-rc.d; \
		[ ! -d /run/systemd/system ] || systemctl disable --now prometheus.service >/dev/null 2>&1 || true; \
		exit $$status; }

# The man page and the shell completions under share/, from pnetstat/options.py's tables.
docs:
	$(PYTHON) tools/generate_docs.py

# bench/exporter.py and bench/top.py are parts of their own (100k pairs, 100 scrapes; 5k pairs,
# one --top refresh's CPU time): bench/run.py's smoke test stays quick.
bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/exporter.py
	$(BIN)/python bench/top.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist pnetstat.egg-info
