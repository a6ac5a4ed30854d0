# The two quick-start commands: `make demo` and `make test`. Each creates .venv if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Caches the project owns, so reruns download nothing and nothing depends on the machine.
export UV_CACHE_DIR ?= $(CURDIR)/.cache/uv
export SAM_CLI_TELEMETRY := 0

.PHONY: venv test test-fast typecheck demo clean golden bench

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/uv pip install --quiet --compile-bytecode -e '.[test]'
	touch $@

venv: $(BIN)/.installed

typecheck: venv
	$(BIN)/mypy
	$(BIN)/ruff check --quiet --select F sam_layers tests benchmarks

test: venv typecheck
	SAM_LAYERS_CACHE_DIR=$(CURDIR)/.cache/sam-layers $(BIN)/pytest

test-fast: venv
	$(BIN)/pytest -m "not integration"

golden: venv
	$(BIN)/python tests/golden/regenerate.py

# SAM builds the *functions* with the runtime's own python3.12, looked up on PATH.
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $(HOME)/.pyenv)
PY312_BIN := $(lastword $(sort $(wildcard $(PYENV_ROOT)/versions/3.12.*/bin)))
DEMO := templates/quickstart

demo: venv
	$(BIN)/sam-layers plan -t $(DEMO)/template.yaml
	PATH="$(PY312_BIN):$(CURDIR)/$(BIN):$$PATH" $(BIN)/sam-layers build -t $(DEMO)/template.yaml
	$(BIN)/sam-layers plan -t $(DEMO)/template.yaml
	@echo "Built: $(DEMO)/.aws-sam/build/template.yaml (deploy it with: cd $(DEMO) && sam deploy)"

bench: venv
	$(BIN)/python benchmarks/build_bench.py

clean:
	rm -rf $(VENV) .cache .mypy_cache .pytest_cache
