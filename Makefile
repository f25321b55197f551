# onego: developer and CI entry points.  `make` lists the targets.
#
# Everything Python runs from .venv (created on first use); the Debian packages the tests
# need (a headless browser, CJK fonts, Pango for PDF rendering) come from `system-deps`.

.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS='-k scenario -x'`.
PYTEST_ARGS ?=
# axe-core (MPL-2.0), the accessibility engine the browser tests inject (tests/web/axe.py): its
# axe.min.js as shipped in a pinned wheel from PyPI, kept in the venv (never committed).
AXE := $(VENV)/axe.min.js
AXE_WHEEL := axe-playwright-python==0.1.8
# Debian packages: chromium (browser tests, driven by Playwright; no browser is downloaded),
# fonts-noto-cjk (Chinese pages and PDFs), Pango and HarfBuzz's subsetter (weasyprint), curl and
# jq (the README's API walkthrough, run by tests/test_readme.py).
# RUNTIME_PACKAGES are also docker/Dockerfile's (tests/test_deployment.py keeps them equal).
RUNTIME_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
SYSTEM_PACKAGES := chromium curl jq $(RUNTIME_PACKAGES)

.PHONY: help venv axe system-deps run test test-quick bench bench-dashboard bench-burst bench-sign-in lint \
	clean

help: ## list the targets
	@echo "onego make targets:"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  %-16s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)
	@echo "Variables: PYTEST_ARGS (extra pytest arguments), PYTHON (interpreter for the venv),"
	@echo "  DASHBOARD_BENCH_ARGS (e.g. '--cases 100000 --no-postgres' for bench/dashboard.py)"

venv: $(STAMP) ## create .venv and install the project with its test extras (ruff, mypy)

# Reinstalls whenever pyproject.toml changes; the stamp is written only on success.
$(STAMP): pyproject.toml
	@if [ ! -x $(BIN)/python ]; then \
		if ! $(PYTHON) -c 'import ensurepip' >/dev/null 2>&1; then \
			if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
				echo "$(PYTHON) has no ensurepip: installing python3-venv"; \
				{ apt-get update && \
				  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
					python3-venv; } || exit 1; \
			else \
				echo "$(PYTHON) cannot create a venv (no ensurepip):" \
					"install python3-venv, e.g. sudo apt-get install python3-venv" >&2; \
				exit 1; \
			fi; \
		fi; \
		echo "creating $(VENV) with $(PYTHON)"; \
		$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }; \
	fi
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test]'
	touch $@

axe: $(AXE) ## fetch axe-core's axe.min.js for the accessibility tests (into the venv)

$(AXE): | $(STAMP)
	rm -rf $(VENV)/axe-wheel
	$(BIN)/python -m pip download --no-deps --quiet --dest $(VENV)/axe-wheel '$(AXE_WHEEL)'
	$(BIN)/python -c 'import glob, sys, zipfile; \
		wheel = zipfile.ZipFile(glob.glob(sys.argv[1] + "/*.whl")[0]); \
		name = next(n for n in wheel.namelist() if n.endswith("/axe.min.js")); \
		open(sys.argv[2], "wb").write(wheel.read(name))' $(VENV)/axe-wheel $@
	rm -rf $(VENV)/axe-wheel

system-deps: ## install the Debian packages the tests need (only those missing)
	@missing=""; \
	if ! command -v dpkg >/dev/null 2>&1; then \
		echo "system-deps: no dpkg here (not Debian); make sure these are installed:" \
			"$(SYSTEM_PACKAGES)"; \
		exit 0; \
	fi; \
	for pkg in $(SYSTEM_PACKAGES); do \
		dpkg -s $$pkg 2>/dev/null | grep -q '^Status: install ok installed' \
			|| missing="$$missing $$pkg"; \
	done; \
	if [ -z "$$missing" ]; then \
		echo "system-deps: all present ($(SYSTEM_PACKAGES))"; \
		exit 0; \
	fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "system-deps: WARNING: missing Debian packages:$$missing"; \
		echo "system-deps: not root, so not installing them; tests that need them will" \
			"say so. Install with: sudo make system-deps"; \
		exit 0; \
	fi; \
	echo "system-deps: installing$$missing"; \
	apt-get update && \
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing

run: venv ## run the embedded default: Temporal dev server, worker and API in one go
	$(BIN)/onego run

# Every tier (`-m ""`: end to end and PostgreSQL too), on pytest-xdist workers as pyproject.toml
# sets them; plain `pytest` is the quick tier. pytest exits 5 when it collected no tests; that
# is a failure here.
PYTEST_ALL := -q -p no:cacheprovider -m ""
test: venv axe system-deps lint ## lint, then every test tier (PYTEST_ARGS=... to narrow it)
	@echo "$(BIN)/python -m pytest $(PYTEST_ALL) $(PYTEST_ARGS)"; \
	status=0; $(BIN)/python -m pytest $(PYTEST_ALL) $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then \
		echo "pytest collected no tests: treating that as a failure" >&2; \
		exit 1; \
	fi; \
	exit $$status

test-quick: venv ## the quick tier alone: plain pytest (SQLite, no end-to-end tests)
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

bench: venv ## submit latency under load, then onego's cases/s against a raw workflow (ratio)
	$(BIN)/python -m bench

# Seeding 1,000,000 cases takes a long while (over 20 minutes on 2 cores): a target of its own.
bench-dashboard: venv ## the dashboard's queries at 1,000,000 cases, SQLite and PostgreSQL
	$(BIN)/python -m bench.dashboard $(DASHBOARD_BENCH_ARGS)

bench-burst: venv ## bursts of 200 submissions on SQLite and PostgreSQL: statuses, p50, p99
	$(BIN)/python -m bench.burst --backend both

bench-sign-in: venv ## sign-ins per second and memory under the password-hashing cap
	$(BIN)/python -m bench.sign_in

# mypy and lint-imports take their files, settings and contracts from pyproject.toml
# ([tool.mypy], [tool.importlinter]).
lint: venv ## ruff check, ruff format --check, mypy (the type check), lint-imports (the layers)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

clean: ## remove .venv and data/ (the embedded default's local state)
	rm -rf $(VENV) data
