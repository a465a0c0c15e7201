# Two entry points for people: `make dev` runs the product, `make test` runs every test.
# Both install what is missing (uv, Python deps, npm packages, the Worker's vendored Python
# packages) from the registries; nothing fetches from the network at run time.

SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := .tools/bin/uv
PYTHON_MODULES := .offline-runtime/python_modules
PORT ?= 8787
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv

.PHONY: deps browser dev dev-clean lint format test unit e2e web fuzz bench runtime-bench load responsiveness

# --- installation ----------------------------------------------------------------------

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The Worker's runtime dependencies (uv.lock, no dev group), as `pywrangler` vendors them
# into python_modules/ for a deploy; the offline runtime mounts this folder.
$(PYTHON_MODULES)/.vendored: .venv/.synced uv.lock
	rm -rf $(PYTHON_MODULES) && mkdir -p $(PYTHON_MODULES)
	$(UV) export --frozen --no-dev --no-hashes --no-emit-project --format requirements-txt > .offline-runtime/requirements.txt
	$(UV) pip install --quiet --python .venv/bin/python --target $(PYTHON_MODULES) --no-deps -r .offline-runtime/requirements.txt
	touch $@

deps: .venv/.synced node_modules/.installed $(PYTHON_MODULES)/.vendored

# Debian's Chromium for the page tests (Playwright drives it; it cannot download a browser).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

browser: $(CHROMIUM)

# The real encoders that write the benchmark corpus (bench/encoders.py): netpbm's pnmtopng (libpng),
# ImageMagick 6, optipng, pngcrush, zopflipng (zopfli) and advpng (advancecomp).
BENCH_ENCODERS := /usr/bin/pnmtopng /usr/bin/convert-im6.q16 /usr/bin/optipng /usr/bin/pngcrush /usr/bin/zopflipng /usr/bin/advpng
$(BENCH_ENCODERS):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		netpbm imagemagick optipng pngcrush zopfli advancecomp >/dev/null

# --- running ---------------------------------------------------------------------------

dev: deps
	node offline-runtime/cli.mjs --port $(PORT)

dev-clean: deps
	node offline-runtime/cli.mjs --port $(PORT) --clean

# --- quality gate ----------------------------------------------------------------------
# ruff (lint + format) on all Python, mypy --strict on src/, Biome (lint + format) on the page,
# the offline runtime and the benchmark's JavaScript. Versions are pinned in uv.lock and
# package-lock.json. `make format` applies the formatters' fixes.

lint: deps
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy
	npx --no-install biome ci .

format: deps
	$(UV) run ruff check --fix .
	$(UV) run ruff format .
	npx --no-install biome check --write .

# --- tests -----------------------------------------------------------------------------

test: deps browser lint
	node --test offline-runtime/test/
	$(UV) run pytest

unit: deps
	node --test offline-runtime/test/
	$(UV) run pytest tests/unit

e2e: deps
	$(UV) run pytest tests/e2e

web: deps browser
	$(UV) run pytest tests/web

# A longer schemathesis campaign than the one `make test` runs (tests/e2e/test_openapi.py):
# schema-valid and schema-violating requests per operation and stateful scenarios, FUZZ_EXAMPLES
# of each, from FUZZ_SEED (printed on every progress line; give it again to replay a run).
# A 5xx, an undocumented answer or a Worker that stops serving fails it. WORKER_URL=… fuzzes
# another Worker (in dev mode) instead of a fresh offline runtime.
FUZZ_SEED ?= $(shell date +%s)
FUZZ_EXAMPLES ?= 300
FUZZ_STEPS ?= 10
fuzz: deps
	FUZZ_SEED=$(FUZZ_SEED) FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_STEPS=$(FUZZ_STEPS) \
		$(UV) run pytest tests/e2e/test_openapi.py -s -q -p no:cacheprovider

bench: deps $(BENCH_ENCODERS)
	$(UV) run python bench/run.py $(BENCH_ARGS)

runtime-bench: deps
	node offline-runtime/bench.mjs

# Load and responsiveness against offline runtimes of their own (or WORKER_URL for `load`):
# `LOAD_ARGS="--jobs 100"`; see loadtest/*.py --help. `responsiveness` first checks in real
# workerd (Miniflare's) which pauses let other requests in, then times a 40 MP conversion.
load: deps
	$(UV) run python loadtest/load.py $(LOAD_ARGS)

responsiveness: deps
	node loadtest/yield_primitives.mjs
	$(UV) run python loadtest/responsiveness.py $(RESPONSIVENESS_ARGS)
