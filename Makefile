# Stripe warehouse. `make help` lists the targets.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

BOOT_PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
LOCK_SUM := $(shell cat uv.lock pyproject.toml | cksum | cut -d' ' -f1)
BASE_STAMP := $(VENV)/.synced-$(LOCK_SUM)
# WAREHOUSE=postgres|duckdb|spark: the extraction's destination and the dbt
# target family. A warehouse other than PostgreSQL is an optional extra of
# the lock file, installed on its first use (see "Engines" below).
WAREHOUSE ?= postgres
override WAREHOUSE := $(shell echo '$(WAREHOUSE)' | tr A-Z a-z)
export WAREHOUSE
STAMP := $(if $(filter postgres,$(WAREHOUSE)),$(BASE_STAMP),$(VENV)/.synced-$(LOCK_SUM)-$(WAREHOUSE))
# Spark runs on Java 17: Debian's, installed when there is no java.
STAMP += $(if $(filter spark,$(WAREHOUSE)),java)
RUN := $(PY) -m tools.stack exec --
# Each process connects as its warehouse role once `make roles` made them
# (tools/roles): the extractor as stripe_loader, dbt as stripe_transformer,
# the app as stripe_app; until then as the PG* user.
RUN_AS = $(PY) -m tools.stack exec --role $(1) --
DBT := $(call RUN_AS,stripe_transformer) $(CURDIR)/$(VENV)/bin/dbt
# Every target that needs the warehouse or the local Stripe starts them first;
# `up` is idempotent, and in ENV=prod it starts nothing (and names the PG*
# variables to set when none are).
UP := $(PY) -m tools.stack up >/dev/null
ENV ?= dev
export ENV
# FULL_REFRESH=1|true|yes|on, in any case: reload every table (extract) and
# rebuild every model (dbt --full-refresh). One parser, extract.config
# .full_refresh, serves both: the extractor reads the variable itself, and
# dbt's flag comes from `python -m tools.stack dbt-flags` (evaluated on use).
FULL_REFRESH ?=
DBT_FULL_REFRESH = $(shell FULL_REFRESH='$(FULL_REFRESH)' $(PY) -m tools.stack dbt-flags)

$(BASE_STAMP): uv.lock pyproject.toml
	@test -x $(PY) || $(BOOT_PYTHON) -m venv $(VENV)
	@test -x $(VENV)/bin/uv || $(PY) -m pip install --quiet "uv==$(UV_VERSION)"
	@UV_PROJECT_ENVIRONMENT=$(VENV) $(VENV)/bin/uv sync --frozen --quiet
	@rm -f $(VENV)/.synced-* && touch $@

# Engines: the extra of a WAREHOUSE other than PostgreSQL, added to the venv
# (--inexact keeps what is there) the first time a target runs with it.
$(VENV)/.synced-$(LOCK_SUM)-%: $(BASE_STAMP)
	@case '$*' in duckdb|spark) ;; *) echo "error: WAREHOUSE=$* is not known; use postgres, duckdb or spark" >&2; exit 2;; esac
	@echo "installing the $* extra (first use of WAREHOUSE=$*)"
	@UV_PROJECT_ENVIRONMENT=$(VENV) $(VENV)/bin/uv sync --frozen --quiet --inexact --extra $*
	@touch $@

.PHONY: java
java: ## Install Debian's Java 17 for WAREHOUSE=spark, when no java is on PATH
	@command -v java >/dev/null || { echo "installing Java 17 for Spark (apt-get)"; \
		apt-get install -y -q openjdk-17-jre-headless >/dev/null \
		|| { apt-get update -q >/dev/null && apt-get install -y -q openjdk-17-jre-headless >/dev/null; } \
		|| { echo "error: no java and apt-get could not install it; install a Java 17 runtime (apt-get install -y openjdk-17-jre-headless) as root" >&2; exit 1; }; }

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: venv
venv: $(STAMP) ## Create the virtual environment from uv.lock (first use only)

.PHONY: all
all: $(STAMP) ## Build the whole warehouse: up, roles (PostgreSQL), populate (dev, SOURCE=api), extract, build, check-db
	@$(MAKE) up
	@if [ "$(WAREHOUSE)" = postgres ]; then $(MAKE) roles ROLES_ARGS=--if-admin; fi
	@if [ "$$(echo $(ENV) | tr A-Z a-z)" = dev ] && [ "$$(echo $${SOURCE:-api} | tr A-Z a-z)" = api ]; then \
		$(MAKE) populate; fi
	@$(MAKE) extract
	@$(MAKE) build
	@$(MAKE) check-db

.PHONY: up
up: $(STAMP) ## Start the embedded PostgreSQL and (dev) the local Stripe, on 127.0.0.1
	@$(PY) -m tools.stack up

.PHONY: down
down: $(STAMP) ## Stop what `make up` started (by pid)
	@$(PY) -m tools.stack down

.PHONY: status
status: $(STAMP) ## Say what runs where
	@$(PY) -m tools.stack status

.PHONY: psql
psql: $(STAMP) ## Open psql on the warehouse (or run PSQL_ARGS, e.g. PSQL_ARGS='-c "select 1"')
	@$(UP)
	@$(PY) -m tools.stack psql $(PSQL_ARGS)

.PHONY: populate
populate: $(STAMP) ## Fill the (test-mode) Stripe with a demo business; dev only
	@$(UP)
	@$(RUN) $(PY) -m tools.fake_stripe.populate

.PHONY: extract
extract: $(STAMP) ## Run the dlt pipeline `stripe` into schema stripe_raw (SOURCE=api|json)
	@$(UP)
	@$(call RUN_AS,stripe_loader) $(PY) -m extract

.PHONY: fetch
fetch: $(STAMP) ## Write a snapshot directory (JSON_DIR) from the Stripe API
	@$(UP)
	@$(RUN) $(PY) -m extract fetch

.PHONY: synth
synth: $(STAMP) ## Write a synthetic Stripe snapshot to JSON_DIR (SYNTH_CUSTOMERS, SYNTH_SEED, SYNTH_NOW, SYNTH_GZIP=1, SYNTH_WORKERS)
	@$(RUN) $(PY) -m tools.fake_stripe.synth

.PHONY: replay
replay: $(STAMP) ## Serve JSON_DIR as a Stripe API on 127.0.0.1 (REPLAY_ARGS='--port 12111 --rate 100 --latency-ms 50')
	@$(RUN) $(PY) -m tools.fake_stripe.replay $(REPLAY_ARGS)

.PHONY: bench
bench: $(STAMP) $(VENV)/.synced-$(LOCK_SUM)-duckdb $(VENV)/.synced-$(LOCK_SUM)-spark java ## Benchmarks on a synthetic company: loader, extraction, changes (incremental extraction), make build full and after 1 %/0.1 %/nothing changed, make all, app, the build on DuckDB and Spark (BENCH_CUSTOMERS, BENCH_RUNS, BENCH_ONLY, BENCH_CHANGES, BENCH_ENGINES)
	@$(UP)
	@$(PY) -m tools.bench

.PHONY: chaos
chaos: $(STAMP) ## Extraction through API faults, 10 SIGKILLs and a database restart, then raw = snapshot, build, check-db, webhooks twice and out of order (CHAOS_CUSTOMERS, CHAOS_KILLS, CHAOS_SEED, CHAOS_FAULT_RATE, CHAOS_OUT)
	@$(UP)
	@$(RUN) $(PY) -m tools.chaos

.PHONY: seed
seed: $(STAMP) ## Load the dbt seeds (currencies, FX rates)
	@$(UP)
	@$(DBT) seed $(DBT_FULL_REFRESH)

.PHONY: build
# tools/build: the nodes downstream of the raw tables and the code changed
# since the last passing build of this database; BUILD_ALL=1 or FULL_REFRESH
# builds every node. Unit tests are make test's (UNIT_TESTS=1 runs them here).
build: $(STAMP) ## dbt build of what changed since the last passing build: seeds, staging, oltp, marts, snapshots, with their data tests (BUILD_ALL=1: every node; UNIT_TESTS=1: unit tests too)
	@$(UP)
	@$(call RUN_AS,stripe_transformer) $(PY) -m tools.build $(DBT_FULL_REFRESH)

.PHONY: check-db
check-db: $(STAMP) ## Reconcile source, raw and OLTP: counts and money sums per resource
	@$(UP)
	@$(RUN) $(PY) -m tools.checks.check_db

# Least privilege (tools/roles): one role per process, passwords 0600 in
# $(STACK_DIR)/roles, never printed.
.PHONY: roles
roles: $(STAMP) ## Create the warehouse roles (loader, transformer, analyst, app) and their grants; idempotent, run by an admin
	@$(UP)
	@$(RUN) $(PY) -m tools.roles $(ROLES_ARGS)

# Erasure (extract/erasure.py): raw and the snapshot directory, then dbt
# clears the snapshots' history and rebuilds OLTP and the marts from raw.
.PHONY: forget
forget: $(STAMP) ## Erase a customer's personal data from every layer and JSON_DIR's files (CUSTOMER=cus_...), keeping ids, amounts, dates
	@test -n "$(CUSTOMER)" || { echo "error: name the customer: make forget CUSTOMER=cus_..." >&2; exit 2; }
	@$(UP)
	@$(call RUN_AS,stripe_loader) $(PY) -m extract forget '$(CUSTOMER)'
	@$(DBT) build

# Three pytest workers (pytest-xdist), whole modules each: every worker starts
# a test stack of its own, so a module that waits on the rate-limited local
# Stripe, or on a Spark or dbt start-up, overlaps with those that compute.
# TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 3

.PHONY: test
# The cross-engine test (tests/python/test_engines.py) builds the fixture on
# DuckDB and on Spark, so make test installs both extras and Java 17;
# TEST_SPARK=0 leaves Spark's side out of a local run.
test: $(STAMP) $(VENV)/.synced-$(LOCK_SUM)-duckdb $(VENV)/.synced-$(LOCK_SUM)-spark java ## Run every test: pytest (stack, populate, extract, dbt build and tests; the same numbers on DuckDB and Spark); TEST_WORKERS=3, TEST_SPARK=0
	@$(PY) -m pytest $$([ "$(TEST_WORKERS)" = 0 ] || echo "-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder") $(PYTEST_ARGS)

# The cross-engine comparisons alone, with the 1,000-customer company on
# Spark too (make test compares it on DuckDB; Spark's build of it is about
# four more minutes of one worker): two workers, one module each.
.PHONY: test-engines
test-engines: $(STAMP) $(VENV)/.synced-$(LOCK_SUM)-duckdb $(VENV)/.synced-$(LOCK_SUM)-spark java ## The fixture and the 1,000-customer company on DuckDB and Spark, compared with PostgreSQL (6 minutes on two cores)
	@TEST_COMPANY_ON_SPARK=1 $(PY) -m pytest -n 2 --dist loadfile tests/python/test_engines.py tests/python/test_company.py $(PYTEST_ARGS)

# Real-time ingestion (extract/webhook): Stripe's webhooks into stripe_raw.
.PHONY: listen
listen: $(STAMP) ## Receive Stripe webhooks on 127.0.0.1:WEBHOOK_PORT into stripe_raw (dev: the local Stripe sends them; needs one `make extract` first)
	@$(UP)
	@$(RUN) $(PY) -m extract.webhook

.PHONY: bench-webhooks
bench-webhooks: $(STAMP) ## Benchmark the webhook receiver: events/s and receipt-to-commit p50/p99 (WEBHOOK_BENCH_ARGS='--events 5000 --concurrency 8')
	@$(UP)
	@$(RUN) $(PY) -m tools.bench.webhooks $(WEBHOOK_BENCH_ARGS)

# Document collections (models/documents, tools/documents).
Q ?=
export Q
FEATURES_DIR ?= data/features

.PHONY: search
search: $(STAMP) ## Full-text search of customer feedback (documents.customer_feedback): make search Q="too expensive"
	@$(UP)
	@$(RUN) $(PY) -m tools.documents search "$$Q"

.PHONY: features
features: $(STAMP) ## Write documents.ml_features as Parquet, one file per feature set (churn, fraud), to FEATURES_DIR (data/features)
	@$(UP)
	@$(RUN) $(PY) -m tools.documents features --out $(FEATURES_DIR)

# The analytics app (tools/app): Streamlit over the marts, read-only.
APP_PORT ?= 8501
APP_SHOW_PII ?=
export APP_PORT APP_SHOW_PII

.PHONY: app
app: $(STAMP) ## Serve the analytics app on 127.0.0.1:APP_PORT (default 8501), starting the stack first (APP_SHOW_PII=1 shows pii columns)
	@$(UP)
	@$(call RUN_AS,stripe_app) $(PY) -m tools.app serve

.PHONY: app-screenshots
app-screenshots: $(STAMP) ## Rewrite docs/images/app-overview.png and app-mrr.png from the warehouse in use (needs chromium)
	@$(UP)
	@$(RUN) $(PY) -m tools.app screenshots

PY_SOURCES := extract tools tests
SQL_SOURCES := models tests snapshots
# Its two worker processes leave a semaphore notice at exit: harmless.
SQLFLUFF := PYTHONWARNINGS=ignore::UserWarning $(RUN) $(CURDIR)/$(VENV)/bin/sqlfluff

.PHONY: lint
lint: $(STAMP) ## ruff over Python; sqlfluff (dbt templater, needs the warehouse: starts it) over models, tests, snapshots
	@$(VENV)/bin/ruff check $(PY_SOURCES)
	@$(VENV)/bin/ruff format --check $(PY_SOURCES)
	@$(UP)
	@$(SQLFLUFF) lint $(SQL_SOURCES)

.PHONY: fmt
fmt: $(STAMP) ## Format Python with ruff and fix what sqlfluff can fix in the SQL
	@$(VENV)/bin/ruff format $(PY_SOURCES)
	@$(VENV)/bin/ruff check --fix $(PY_SOURCES)
	@$(UP)
	@$(SQLFLUFF) fix $(SQL_SOURCES)

# Documentation: dbt docs, generated ER diagrams, description coverage.
DOCS_PORT ?= 8580
MERMAID_DIR := .tools/mermaid
MMDC := $(MERMAID_DIR)/node_modules/.bin/mmdc
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser || true)

.PHONY: docs
docs: $(STAMP) ## dbt docs generate (starts the warehouse; columns need `make build`), then the description coverage
	@$(UP)
	@$(DBT) docs generate
	@$(PY) -m tools.checks.docs_coverage

.PHONY: docs-serve
docs-serve: $(STAMP) ## Serve the generated docs on 127.0.0.1, port DOCS_PORT (default 8580)
	@test -f target/catalog.json || { echo "error: no target/catalog.json; run make docs first" >&2; exit 1; }
	@$(UP)
	@$(DBT) docs serve --host 127.0.0.1 --port $(DOCS_PORT) --no-browser

.PHONY: erd
erd: $(STAMP) ## Write the ER diagrams (schemas/*.mmd: OLTP by domain, one marts star per subject area) from the models; render them when node and chromium exist
	@$(PY) -m tools.checks.erd
	@if command -v node >/dev/null && [ -n "$(CHROMIUM)" ]; then $(MAKE) erd-render; \
	else echo "erd: node or chromium missing, images not rendered (apt-get install -y chromium nodejs npm; make erd-render)"; fi

.PHONY: erd-render
erd-render: $(MMDC) ## Render schemas/*.mmd to SVG and PNG (Mermaid CLI from npm, Debian's chromium)
	@test -n "$(CHROMIUM)" || { echo "error: no chromium; apt-get install -y chromium" >&2; exit 1; }
	@for diagram in schemas/*.mmd; do \
		for format in svg png; do \
			PUPPETEER_EXECUTABLE_PATH=$(CHROMIUM) $(MMDC) --quiet \
				--puppeteerConfigFile tools/mermaid/puppeteer.json \
				--configFile tools/mermaid/mermaid.json --backgroundColor white \
				$$([ $$format = png ] && echo --width 2400) \
				--input $$diagram --output $${diagram%.mmd}.$$format; \
		done; echo "$$diagram -> $${diagram%.mmd}.svg, .png"; \
	done
	@sha256sum schemas/*.mmd > schemas/rendered-from.sha256

$(MMDC): tools/mermaid/package.json tools/mermaid/package-lock.json
	@command -v npm >/dev/null || { echo "error: no npm; apt-get install -y nodejs npm" >&2; exit 1; }
	@mkdir -p $(MERMAID_DIR) && cp tools/mermaid/package.json tools/mermaid/package-lock.json $(MERMAID_DIR)/
	@cd $(MERMAID_DIR) && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: clean
clean: ## Remove build output (keeps the warehouse data and the venv)
	rm -rf target logs dbt_packages

.PHONY: distclean
distclean: down ## Stop the stack and remove the venv and all local data
	rm -rf $(VENV) .stack .stack-test .stack-test-* data target logs
