# The two commands of the README: `make run` and `make test`. Everything else is a step they call.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Rasa 3.6 needs Python 3.10: pyenv's newest 3.10, else a python3.10 on PATH that really is 3.10.
PYTHON310 ?= $(shell for p in $$(ls -d $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/3.10.*/bin/python \
	2>/dev/null | sort -V -r) python3.10; do "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 10)' \
	2>/dev/null && { command -v "$$p"; break; }; done)
RASA_VENV := .venv/rasa
RASA_PY := $(RASA_VENV)/bin/python
RASA := $(RASA_VENV)/bin/rasa
RASA_READY := $(RASA_VENV)/.installed

# The core service runs on Python 3.11 with current FastAPI, pydantic 2 and SQLAlchemy 2.
PYTHON311 ?= $(shell for p in $$(ls -d $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/3.11.*/bin/python \
	2>/dev/null | sort -V -r) python3.11; do "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 11)' \
	2>/dev/null && { command -v "$$p"; break; }; done)
CORE_VENV := .venv/core
CORE_PY := $(CORE_VENV)/bin/python
CORE_READY := $(CORE_VENV)/.installed

MODEL := models/assistant.tar.gz
SPACY_MODEL := build/spacy-lt/meta.json
TRAINING_INPUTS := config.yml $(wildcard domain/*.yml) $(shell find data -name '*.yml') $(wildcard bot/rasa_ext/*.py) bot/text.py

export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export RASA_TELEMETRY_ENABLED := false

.PHONY: help run cluster cluster-test test test-deploy train bench bench-idle blind-conversations validate lint clean browser haproxy

help:
	@echo "make run    set up, train if needed, start the assistant (REST + socket.io on :5005 through HAProxy to one"
	@echo "            Rasa process per core, actions on :5055, core service on :8000)"
	@echo "            then open http://localhost:8000/ (the support page with the chat widget)"
	@echo "make cluster  the assistant as 2 nodes on 127.0.0.2 and 127.0.0.3 (Rasa, actions, core each) behind HAProxy"
	@echo "            (:5005 Rasa, :8000 core), sharing PostgreSQL, Redis and RabbitMQ (docs/deploy.md, A local cluster)"
	@echo "make test   set up, train if needed, run the whole test suite"
	@echo "make bench  load-test the servers that 'make run' started on the whole conversation mix, beside the"
	@echo "            stock 'rasa init' bot (trained once into build/stock-bot); BENCH_ARGS=--help lists the options"
	@echo "            (--seconds, --levels, --check, --no-stock...; RASA_PORT, ACTION_PORT, CORE_PORT for other ports)"
	@echo "make bench-idle  the servers' idle CPU before and with 500 open escalations (BENCH_IDLE_ARGS=--help)"

$(RASA_READY): requirements/rasa.in requirements/rasa.lock
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found. Install it, e.g. 'pyenv install 3.10.13'." >&2; exit 1; }
	@test -x $(RASA_PY) || $(PYTHON310) -m venv $(RASA_VENV)
	$(RASA_PY) -m pip install --quiet -r requirements/rasa.in -c requirements/rasa.lock
	@touch $@

$(CORE_READY): requirements/core.in requirements/core.lock
	@test -n "$(PYTHON311)" || { echo "Python 3.11 not found. Install it, e.g. 'pyenv install 3.11.7'." >&2; exit 1; }
	@test -x $(CORE_PY) || $(PYTHON311) -m venv $(CORE_VENV)
	$(CORE_PY) -m pip install --quiet -r requirements/core.in -c requirements/core.lock
	@touch $@

$(SPACY_MODEL): bot/rasa_ext/spacy_model.py bot/text.py $(RASA_READY)
	$(RASA_PY) -m bot.rasa_ext.spacy_model build/spacy-lt

$(MODEL): $(TRAINING_INPUTS) $(SPACY_MODEL) $(RASA_READY)
	$(RASA) train --domain domain --fixed-model-name assistant --out models
	@touch $@

train: $(MODEL)

validate: $(RASA_READY)
	$(RASA) data validate --domain domain --fail-on-warnings

# The browser code of the support page (bot/core/web) and of the console's dashboard (bot/core/console): socket.io-client
# and Chart.js from the npm registry, pinned by web/package-lock.json, copied to where the core serves them
# (/static/socket.io.min.js, /agent/static/chart.umd.min.js). No CDN, nothing at run time.
# rasa-webchat (a standard client, a dev dependency) is copied beside it for the tests only
# (tests/web/test_standard_clients.py serves it from a page of its own; the core does not serve it).
# Peer dependencies (React for rasa-webchat's sources) are left out: its bundle holds what it needs.
SOCKET_IO_CLIENT := build/static/socket.io.min.js
CHART_JS := build/static/chart.umd.min.js
WEB_VENDOR := $(SOCKET_IO_CLIENT) $(CHART_JS)
WEBCHAT := build/static/rasa-webchat.js
$(WEB_VENDOR) $(WEBCHAT) &: web/package.json web/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20 with npm (the support page needs it)." >&2; exit 1; }
	npm ci --prefix web --no-audit --no-fund --loglevel=error --omit=peer --ignore-scripts
	@mkdir -p $(@D)
	cp web/node_modules/socket.io-client/dist/socket.io.min.js $(SOCKET_IO_CLIENT)
	cp web/node_modules/chart.js/dist/chart.umd.min.js $(CHART_JS)
	cp web/node_modules/rasa-webchat/lib/index.js $(WEBCHAT)

# $(call debian_package,BINARY,PACKAGES,WHAT FOR,WITHOUT IT): Debian's PACKAGES installed with apt-get when BINARY is
# missing (as root); when they cannot be installed, WITHOUT IT is said (no commas in the arguments).
define debian_package
	@if [ -x "$(1)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's $(2) ($(3))"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq $(2) >/dev/null 2>&1 \
	  || { apt-get update -qq && apt-get install -y -qq $(2) >/dev/null; } \
	  || echo "Could not install $(2): $(4)" >&2; \
	else \
	  echo "$(1) is missing and cannot be installed here (needs root and apt-get): $(4)" >&2; \
	fi
endef

# The browser tests (tests/web) drive Debian's Chromium. Without it they are skipped, except with CI=true, where
# they fail.
CHROMIUM ?= /usr/bin/chromium
browser:
	$(call debian_package,$(CHROMIUM),chromium chromium-driver,for the browser tests,the browser tests will be skipped (or fail with CI=true).)

# HAProxy in front of the Rasa processes (scripts/run.sh, bot/launcher/balancer.py). Without it `make run` runs one
# Rasa process with Sanic workers (a warning), and the balancer's tests are skipped, except with CI=true, where they
# fail.
HAPROXY ?= /usr/sbin/haproxy
haproxy:
	$(call debian_package,$(HAPROXY),haproxy,the balancer in front of the Rasa processes,make run warns and runs one Rasa process; its tests are skipped (or fail with CI=true).)

# The offline checks of the deployment artefacts (tests/deploy; docs/deploy.md)
test-deploy: $(MODEL) $(CORE_READY) haproxy
	$(CORE_PY) -m pytest tests/deploy $(PYTEST_ARGS)

run: $(MODEL) $(CORE_READY) $(WEB_VENDOR) haproxy
	@RASA=$(RASA) CORE_PY=$(CORE_PY) MODEL=$(MODEL) scripts/run.sh

# Two nodes on loopback addresses behind HAProxy, sharing PostgreSQL, Redis and RabbitMQ (scripts/cluster.sh,
# docs/deploy.md "A local cluster"); its tests start their own cluster on free ports (tests/cluster).
cluster: $(MODEL) $(CORE_READY) $(WEB_VENDOR) haproxy
	@RASA=$(RASA) CORE_PY=$(CORE_PY) MODEL=$(MODEL) scripts/cluster.sh

cluster-test: $(MODEL) $(CORE_READY) $(WEB_VENDOR) haproxy
	$(RASA_PY) -m pytest tests/cluster $(PYTEST_ARGS)

# ruff (lint and import order) over both environments' code, from the core environment; settings in pyproject.toml.
lint: $(CORE_READY)
	$(CORE_VENV)/bin/ruff check .

test: $(MODEL) $(CORE_READY) $(WEB_VENDOR) $(WEBCHAT) browser haproxy lint validate
	$(CORE_PY) -m pytest tests/core $(PYTEST_ARGS)
	$(CORE_PY) -m pytest tests/launcher $(PYTEST_ARGS)
	$(CORE_PY) -m pytest tests/deploy $(PYTEST_ARGS)
	$(RASA_PY) -m pytest tests/assistant $(PYTEST_ARGS)
	$(RASA_PY) -m pytest tests/cluster $(PYTEST_ARGS)
	$(CORE_PY) -m pytest tests/web $(PYTEST_ARGS)

# Both benches run in the Rasa environment; the core environment copies demo customers and closes the benches'
# escalations in the running core's database (scripts/bench_core.py; CORE_DATABASE_URL as for `make run`).
bench: $(RASA_READY) $(CORE_READY)
	$(RASA_PY) scripts/bench.py $(BENCH_ARGS)

bench-idle: $(RASA_READY) $(CORE_READY)
	$(RASA_PY) scripts/bench_idle.py $(BENCH_IDLE_ARGS)

# The blind set's multi-turn conversations against the servers that 'make run' started (a measurement, not a test).
blind-conversations: $(RASA_READY)
	$(RASA_PY) scripts/blind_conversations.py $(BLIND_ARGS)

clean:
	rm -rf build models .rasa .pytest_cache
