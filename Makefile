# The two commands of the README: `make demo` and `make test`. Each sets up everything it needs
# (a project-local venv, the Python extension, the Node addon) and caches downloads under .cache/.

VENV        := .venv
PY          := $(VENV)/bin/python
PIP         := $(VENV)/bin/pip
PYTHON3     ?= python3
PY_DEPS     := "maturin>=1.9,<2" "pytest==9.2.0" "pytest-asyncio==1.5.0" "pytest-timeout==2.4.0" "mypy==2.4.1" "mlflow==3.17.2"
# LangChain autolog tests: versions inside mlflow==3.17.2's tested range for its langchain autolog.
PY_LANGCHAIN_DEPS := "langchain-core==1.8.3" "langchain-openai==1.8.1" "langgraph==1.2.12"
# The client libraries the autolog integrations patch (tests and bench talk to a fake server).
PY_DEPS     += "openai==3.51.0" "anthropic==2.10.0"
# Celery (and billiard, its multiprocessing fork) for the prefork worker test.
PY_DEPS     += "celery==5.7.0"
# MLflow's own OTLP/HTTP exporter, which the collector test compares ferrotrace's output with.
PY_DEPS     += "opentelemetry-exporter-otlp-proto-http==1.45.2"

export PIP_CACHE_DIR           := $(CURDIR)/.cache/pip
export npm_config_cache        := $(CURDIR)/.cache/npm
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# MLflow's client and server report usage to the internet unless told not to.
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK            := true

.PHONY: demo test bench bench-setup lint setup python node test-rust test-python test-node browser docs dist test-dist sanitize fuzz clean

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

## test: set up, then run every test: Rust, then the Python and Node suites side by side (both
## mostly wait on servers: the load stays near 2 on 2 cores, and it saves ~6 minutes), then soak.
test: setup
	$(MAKE) test-rust
	$(MAKE) -j2 --output-sync=target test-python test-node
	$(MAKE) test-soak
	$(MAKE) test-phoenix

setup: python node

$(VENV)/.deps: pyproject.toml Makefile
	@mkdir -p .cache
	test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PIP) install -q $(PY_DEPS)
	$(PIP) install -q $(PY_LANGCHAIN_DEPS)
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

# The UI's browser test drives Debian's Chromium (no browser download: playwright-core only).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -q && apt-get install -y -q chromium; } \
		|| echo "warning: could not install chromium: the browser test will be skipped"

test-node: node browser
	node --test tests/node/

## test-phoenix: export to a real Arize Phoenix server and read the spans back, last in `make
## test`. Phoenix gets its own venv, installed with uv (~30 s with an empty cache here; pip took
## 3-16 minutes). When the install fails for a network reason the test is skipped, saying so;
## any other install failure fails.
PHOENIX_VENV := .cache/phoenix-venv
PHOENIX_DEPS := "arize-phoenix==20.26.1"
UV_VENV      := .cache/uv-venv
UV           := $(UV_VENV)/bin/uv
UV_DEP       := "uv==0.13.8"
PHOENIX_NET_ERRORS := dns error|error sending request|failed to connect|connection refused|connection reset|timed out|network is unreachable|name resolution
.PHONY: test-phoenix phoenix-deps
$(PHOENIX_VENV)/.deps: Makefile
	test -x $(UV) || { $(PYTHON3) -m venv $(UV_VENV) && $(UV_VENV)/bin/pip install -q $(UV_DEP); }
	test -x $(PHOENIX_VENV)/bin/python || $(UV) venv -q --python $(PYTHON3) $(PHOENIX_VENV)
	UV_CACHE_DIR=$(CURDIR)/.cache/uv $(UV) pip install -q --python $(PHOENIX_VENV)/bin/python $(PHOENIX_DEPS)
	@touch $@

phoenix-deps: $(PHOENIX_VENV)/.deps

test-phoenix: python
	@mkdir -p .cache
	@if $(MAKE) --no-print-directory phoenix-deps > .cache/phoenix-install.log 2>&1; then \
		$(PY) -m pytest -q -rs tests/phoenix; \
	elif grep -qiE "$(PHOENIX_NET_ERRORS)" .cache/phoenix-install.log; then \
		cat .cache/phoenix-install.log; \
		echo "SKIPPED tests/phoenix: Phoenix could not be installed (network error above)"; \
	else cat .cache/phoenix-install.log; exit 1; fi

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
	$(PY) bench/autolog_overhead.py
	node bench/node_overhead.mjs
	node bench/node_sdks.mjs
	node bench/node_autolog.mjs
	$(PY) bench/rss_loop.py
	$(PY) bench/store_search.py
	@if [ "$(BENCH_EXPORT)" = "1" ]; then $(PY) bench/mlflow_export.py; \
	else echo "(skipped bench/mlflow_export.py, ~2 min: make bench BENCH_EXPORT=1)"; fi

## lint: formatting, clippy, type checks.
lint: setup
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/mypy
	$(PY) -m mypy.stubtest ferrotrace._native
	cd bindings-node && npx tsc -p tsconfig.json --noEmit
	cd bindings-node && node scripts/check-native-types.js

## dist: the packages users install without a Rust toolchain, into dist/: a manylinux2014 abi3
## wheel (zig as the linker, for glibc 2.17) and an sdist; the npm package and its prebuilt
## linux-x64-gnu addon package (napi-rs's per-platform layout).
# Its own small venv: building packages needs no MLflow or test tools (the Dockerfile runs this).
DIST_VENV := .cache/dist-venv
DIST_DEPS := "maturin>=1.9,<2" "ziglang==0.15.1" "auditwheel==6.8.2"
dist: node
	test -x $(DIST_VENV)/bin/python || $(PYTHON3) -m venv $(DIST_VENV)
	$(DIST_VENV)/bin/pip install -q $(DIST_DEPS)
	rm -rf dist && mkdir -p dist
	PATH="$(CURDIR)/$(DIST_VENV)/bin:$$PATH" maturin build --release --zig --compatibility manylinux2014 --features abi3 -o dist -q
	$(DIST_VENV)/bin/maturin sdist -o dist
	$(DIST_VENV)/bin/auditwheel show dist/*.whl
	node bindings-node/scripts/pack.js dist

## test-dist: install what `make dist` built into fresh environments with no cargo on PATH and
## run the quickstarts there.
test-dist: dist python
	$(PY) -m pytest -q tests/dist

## docs: render docs/ as a static site into .cache/site (mkdocs-material, pinned).
DOCS_DEPS := "mkdocs-material==9.8.2"
docs: $(VENV)/.deps
	$(PIP) install -q $(DOCS_DEPS)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict -q

## sanitize: the Python value-capture tests under CPython's debug allocator (PYTHONMALLOC=debug:
## freed memory is overwritten at once, buffer ends are checked) and development mode (-X dev).
SANITIZE_TESTS := tests/python/test_capture_safety.py tests/python/test_panic_recovery.py \
	tests/python/test_hostile_capture.py tests/python/test_values.py tests/python/test_never_breaks.py
sanitize: python
	PYTHONMALLOC=debug PYTHONDEVMODE=1 $(PY) -X dev -m pytest -q $(SANITIZE_TESTS)

clean:
	rm -rf target .venv .cache ferrotrace-traces bindings-node/node_modules bindings-node/ferrotrace.node bench/node_modules

## fuzz: run each cargo-fuzz target (fuzz/) for FUZZ_SECONDS (default 60). cargo-fuzz is installed
## into .cache/cargo-fuzz on first use; the stable toolchain takes its sanitizer flags through
## RUSTC_BOOTSTRAP. Seeds: fuzz/corpus/<target> (committed); what the fuzzer adds goes to
## .cache/fuzz/<target>; a crash is saved in fuzz/artifacts/<target> and belongs, once fixed, in
## fuzz/regressions/<target>, which core/tests/fuzz_regressions.rs replays in `cargo test`.
FUZZ_SECONDS      ?= 60
FUZZ_TARGETS      := traceparent config_values segment_reader json_writer
CARGO_FUZZ_VERSION := 0.13.2
CARGO_FUZZ        := .cache/cargo-fuzz/bin/cargo-fuzz

$(CARGO_FUZZ):
	cargo install --locked cargo-fuzz --version $(CARGO_FUZZ_VERSION) --root .cache/cargo-fuzz

fuzz: $(CARGO_FUZZ)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p .cache/fuzz/$$t; \
		echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
		RUSTC_BOOTSTRAP=1 $(CARGO_FUZZ) fuzz run --fuzz-dir fuzz $$t .cache/fuzz/$$t fuzz/corpus/$$t -- \
			-max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -print_final_stats=1 || exit 1; \
	done
