# make run   - install, build the demo store if missing, serve the app on http://localhost:8501
# make test  - install what the tests need (Chromium included) and run the whole suite
# make bench - time every page at 1M contacts (python -m dashboard bench; README, Performance)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DB     ?= data/store.duckdb
PORT   ?= 8501

.PHONY: run test demo check bench clean chromium

$(VENV)/.app-installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.app-installed requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(DB): | $(VENV)/.app-installed
	$(PY) -m dashboard demo --db $(DB) --if-missing

run: $(VENV)/.app-installed $(DB)
	$(PY) -m dashboard serve --db $(DB) --port $(PORT)

demo: $(VENV)/.app-installed
	$(PY) -m dashboard demo --db $(DB)

check: $(VENV)/.app-installed
	$(PY) -m dashboard check

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Chromium is missing: install Debian's chromium package (as root) for the browser tests" >&2; exit 1; fi; }

test: $(VENV)/.dev-installed chromium
	$(PY) -m pytest

# every page at 1M contacts (cold, warm, DuckDB alone, Chromium, pandas), then import timings;
# BENCH_SIZES=1000000,10000000 for more sizes (stores are kept in data/bench/ and reused)
BENCH_SIZES ?= 1000000
bench: $(VENV)/.dev-installed chromium
	$(PY) -m dashboard bench --interactions $(BENCH_SIZES) --json data/bench/bench.json
	$(PY) bench/bench_import.py

clean:
	rm -rf $(VENV) .pytest_cache
