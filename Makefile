# Two commands: `make demo` and `make test`. Both install what they need from nothing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo push test lint system-deps venv bench clean matrix matrix-ci

# pyenv's interpreters for the version matrix (nox looks for python3.X on PATH).
PYENV_PATH := $(subst $(eval) ,:,$(wildcard $(HOME)/.pyenv/versions/3.1[123].*/bin))

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,demo,bench,django-dashboards]'
	touch $(STAMP)

venv: $(STAMP)

# Debian packages: Pushpin (the GRIP proxy), Chromium (browser tests), Redis (the Celery
# broker of the integration tests), PostgreSQL (concurrent publishers, tests/postgres.py; its
# binaries are off PATH), nginx (the balancer of tests/fleet.py and of several Pushpin
# instances; its stream module for PUSHPIN_BALANCER=stream), docker-compose (its
# `config` validates compose.yaml; no engine) and Node.js (the client's reconnect
# arithmetic, tests/test_client_backoff.py), only where missing.
system-deps:
	@missing=""; \
	command -v pushpin >/dev/null || missing="$$missing pushpin"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v nginx >/dev/null || missing="$$missing nginx-light"; \
	ls /usr/lib/nginx/modules/ngx_stream_module.so >/dev/null 2>&1 || missing="$$missing libnginx-mod-stream"; \
	command -v docker-compose >/dev/null || missing="$$missing docker-compose"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# ruff; the package's import graph (no cycles: tests/import_graph.py); mypy (pyproject.toml),
# as `python -m mypy` so this repository's `tests` (its settings) come first on sys.path:
# django-dashboards installs a `tests` package of its own.
lint: venv
	$(VENV)/bin/ruff check dashboards_sse tests demo bench noxfile.py
	$(PY) -m tests.import_graph --max-function-imports 2 > /dev/null || $(PY) -m tests.import_graph
	$(PY) -m mypy

test: venv system-deps lint
	$(PY) -m pytest
	cd demo && ../$(PY) manage.py test tasks hosts  # the demo's apps (their own settings)

demo: venv
	@command -v pushpin >/dev/null || { \
		echo "Pushpin not found: trying apt-get install pushpin (embedded mode if that fails)"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pushpin >/dev/null) || true; }
	$(PY) demo/run.py

# From a second terminal while `make demo` runs: `make push VALUE=42` sets "Your number" on its
# page (demo/push.py: the running demo's database and Pushpin, read from .run/demo.json).
push:
	@test -n "$(VALUE)" || { echo "usage: make push VALUE=42"; exit 2; }
	@test -x $(PY) || { echo "no $(PY): start the demo with make demo first"; exit 2; }
	$(PY) demo/push.py "$(VALUE)"

# Every Python x Django combination (noxfile.py).
matrix: venv system-deps
	PATH="$(PYENV_PATH):$$PATH" $(VENV)/bin/nox

# The one extra combination CI runs after `make test`: newest Django on Python 3.12.
matrix-ci: venv system-deps
	PATH="$(PYENV_PATH):$$PATH" $(VENV)/bin/nox -s "tests-3.12(django='6.0')"

# `make bench` (full sweep, ~20 min) or `make bench BENCH_ARGS=--quick` (< 2 min); then
# bench/fanout.py (publishing to 1 vs 2 Pushpins, < 1 min), bench/multipush.py (Pushpin CPU
# per push of 7 components at 1,000 viewers, per-component events vs push(); ~2 min) and
# bench/scoped.py (scoped dashboards: 1,000 scopes x 5 viewers pushed every 5 s, and Django CPU
# per stream connect with 100,000 stored scopes vs unscoped; ~5 min). Then bench/items.py (one
# changed row of a 500-row table sent as one row action vs the whole table, 200 viewers each;
# ~3 min), bench/throughput.py (publisher updates/s of batch(), a push() loop and a raw
# send_event loop with 100 SSE viewers each, every event checked once and in order; ~2 min)
# and bench/instances.py (one Pushpin vs two behind nginx http / stream on one port, 2,000
# viewers each; ~4 min), and bench.micro connect (Django CPU per stream connect: ours, with
# stream_fast_path, and django-eventstream's view; ~1 min). With --quick in BENCH_ARGS these
# run their quick modes (< 1 min each).
bench: venv system-deps
	$(PY) -m bench $(BENCH_ARGS)
	$(PY) -m bench.fanout
	$(PY) -m bench.multipush $(filter --quick,$(BENCH_ARGS))
	$(PY) -m bench.scoped $(filter --quick,$(BENCH_ARGS))
	$(PY) -m bench.items $(filter --quick,$(BENCH_ARGS))
	$(PY) -m bench.throughput $(filter --quick,$(BENCH_ARGS))
	$(PY) -m bench.instances $(filter --quick,$(BENCH_ARGS))
	$(PY) -m bench.blip $(filter --quick,$(BENCH_ARGS))
	$(PY) -m bench.hold $(if $(filter --quick,$(BENCH_ARGS)),--quick,--compress 20)
	$(PY) -m bench.micro connect --count 300 --repeats 5 --out bench/results

clean:
	rm -rf $(VENV) .run build *.egg-info
