# Quick start: `make run` (dashboard on the demo data), `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB := data/dashboard.duckdb
DEMO_DIR := data/demo
AUDIT := data/dashboard.audit.jsonl
# Accounts live outside the repository; `make run` makes the demo accounts there when it has none.
USERS ?= $(or $(DASHBOARD_USERS),$(HOME)/.config/political-ecology-dashboard/users.json)
LINTED := analytics app_pages tests benchmarks dashboard.py serve.py data/make_demo.py scripts/make_bundle.py

.PHONY: setup system run test test-fast lint bench bench-analytics bench-pages demo clean-demo bundle

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Chromium, fonts and poppler for the Word and PDF exports and their tests: installed when this user can,
# else the command to run is printed (scripts/system-deps.sh)
system:
	scripts/system-deps.sh

setup: $(BIN)/.installed system

# The demo database is built through the real importer from ledger files the
# demo script writes; into a temporary file first, so a failure leaves nothing half-built.
$(DB): data/make_demo.py | setup
	rm -rf $(DEMO_DIR) $(DB).tmp
	$(BIN)/python data/make_demo.py $(DEMO_DIR)
	DASHBOARD_USERS=$(USERS) DASHBOARD_AUDIT=$(AUDIT) $(BIN)/python -m analytics import --db $(DB).tmp $(DEMO_DIR)/*
	mv $(DB).tmp $(DB)
	rm -rf $(DB).tmp.backups  # backups of the half-built demo are of no use

demo: $(DB)

# The demo accounts are made only for the bundled demo database: on any other they could not log in anyway.
run: setup demo
	if [ -z "$${DASHBOARD_DB}" ] || [ "$${DASHBOARD_DB}" -ef "$(DB)" ]; then \
		DASHBOARD_USERS=$(USERS) $(BIN)/python -m analytics users --db $(DB) demo; fi
	DASHBOARD_USERS=$(USERS) DASHBOARD_DB=$${DASHBOARD_DB:-$(DB)} $(BIN)/streamlit run dashboard.py

test: setup
	$(BIN)/ruff check $(LINTED)
	$(BIN)/python -m pytest

# The unit tests alone, in under a minute: no browser, no killed or fuzzed imports, no command line in a
# subprocess, no dashboard driven page by page (those files are left out whole), nothing on the bundled demo
# (marked slow); the whole suite is `make test`.
SLOW_TESTS := browser fuzz safety cli worker import_page import_refusals newcomer mapping export export_docx \
	export_page confidential access login_hardening pages_analysis pages_follow_up downloads damaged_database \
	private_files side_by_side operations deploy offline_install container upgrade audit_anchor
test-fast: setup
	$(BIN)/ruff check $(LINTED)
	$(BIN)/python -m pytest -q -m "not slow" $(foreach t,$(SLOW_TESTS),--ignore=tests/test_$(t).py)

lint: setup
	$(BIN)/ruff check $(LINTED)

bench: setup
	$(BIN)/python benchmarks/bench_import.py

bench-analytics: setup
	$(BIN)/python benchmarks/bench_analytics.py

bench-pages: setup
	$(BIN)/python benchmarks/bench_pages.py

# One archive that installs without network on Linux x86_64 and aarch64 (CPython 3.11): the application, every
# dependency as wheels, install.sh (scripts/make_bundle.py; README "Running it on an intranet")
bundle: $(BIN)/.installed
	$(BIN)/python scripts/make_bundle.py --out dist

clean-demo:
	rm -rf $(DEMO_DIR) $(DB) $(DB).tmp $(AUDIT)
