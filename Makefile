# The two commands of the README: `make demo` and `make test`. Each sets up everything it needs
# (a project-local venv, the Python extension, the Node addon) and caches downloads under .cache/.

VENV        := .venv
PY          := $(VENV)/bin/python
PIP         := $(VENV)/bin/pip
PYTHON3     ?= python3
PY_DEPS     := "maturin>=1.9,<2" "pytest==9.2.0" "pytest-asyncio==1.5.0" "pytest-timeout==2.4.0" "mypy>=1.13" "mlflow==3.17.2"
# Celery (and billiard, its multiprocessing fork) for the prefork worker test.
PY_DEPS     += "celery==5.7.0"

export PIP_CACHE_DIR           := $(CURDIR)/.cache/pip
export npm_config_cache        := $(CURDIR)/.cache/npm
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# MLflow's client and server report usage to the internet unless told not to.
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK            := true

.PHONY: demo test bench bench-setup lint setup python node test-rust test-python test-node clean

## demo: set up, trace both quickstarts into the local store, show the traces.
demo: setup
	@rm -rf ferrotrace-traces
	@echo "== Python quickstart"
	$(PY) examples/python/quickstart.py | tee .cache/demo-python.out
	@echo "== Node quickstart"
	node examples/node/quickstart.mjs | tee .cache/demo-node.out
	@echo "== ferrotrace traces list"
	$(VENV)/bin/ferrotrace traces list
	@for id in $$(tail -n 1 .cache/demo-python.out) $$(grep -o 'tr-[0-9a-f]\{32\}' .cache/demo-node.out | tail -n 1); do \
		echo "== ferrotrace traces show $$id"; $(VENV)/bin/ferrotrace traces show $$id || exit 1; done

## test: set up, then run every test: Rust, Python, Node.
test: setup test-rust test-python test-node test-soak

setup: python node

$(VENV)/.deps: pyproject.toml Makefile
	@mkdir -p .cache
	test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PIP) install -q $(PY_DEPS)
	@touch $@

## python: build the native module into the venv (incremental) and install the package + CLI.
python: $(VENV)/.deps
	$(VENV)/bin/maturin develop --release -q

## node: install the npm package's dev tools and build the addon and the TypeScript facade.
node:
	cd bindings-node && npm install --no-audit --no-fund --loglevel=error && npm run build

# The workspace's default member is the core: no Python or Node needed here.
test-rust:
	cargo test

test-python: python
	$(PY) -m pytest -q tests/python

test-node: node
	node --test tests/node/

## soak: Python and Node load against a real MLflow server that is stalled and restarted
## periodically; zero lost traces, no call over 50 ms, RSS that settles (SOAK_SECONDS, default 300).
SOAK_SECONDS ?= 300
.PHONY: soak test-soak
soak: setup
	$(PY) tests/soak/soak.py $(SOAK_SECONDS)

# The 30-second version that `make test` runs.
test-soak: setup
	$(PY) tests/soak/soak.py 30

## bench: core (divan), per-call overhead, side by side with MLflow's SDK and OpenTelemetry
## (Python and Node); BENCH_EXPORT=1 adds export throughput to a real MLflow server (~2 min).
## Results of one run: bench/RESULTS.md.
# The OpenTelemetry SDK pinned to the version mlflow==3.17.2 already pulls in.
BENCH_PY_DEPS := "opentelemetry-sdk==1.45.2"
BENCH_EXPORT  ?= 0

bench-setup: setup
	$(PIP) install -q $(BENCH_PY_DEPS)
	cd bench && npm install --no-audit --no-fund --loglevel=error

bench: bench-setup
	cargo bench -p ferrotrace-core
	$(PY) bench/python_overhead.py
	$(PY) bench/python_sdks.py
	node bench/node_overhead.mjs
	node bench/node_sdks.mjs
	$(PY) bench/rss_loop.py
	@if [ "$(BENCH_EXPORT)" = "1" ]; then $(PY) bench/mlflow_export.py; \
	else echo "(skipped bench/mlflow_export.py, ~2 min: make bench BENCH_EXPORT=1)"; fi

## lint: formatting, clippy, type checks.
lint: setup
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/mypy
	cd bindings-node && npx tsc -p tsconfig.json --noEmit

clean:
	rm -rf target .venv .cache ferrotrace-traces bindings-node/node_modules bindings-node/ferrotrace.node bench/node_modules
