# readout: the two set-up commands are `make test` and `make demo`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install test lint format check demo bench clean

$(VENV)/pyvenv.cfg: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/pyvenv.cfg

install: $(VENV)/pyvenv.cfg

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check archive provenance tests bench
	$(BIN)/ruff format --check archive provenance tests bench

format: install
	$(BIN)/ruff format archive provenance tests bench
	$(BIN)/ruff check --fix archive provenance tests bench

check: lint test

demo: install
	$(BIN)/python -m archive.demo

bench: install
	# Byte-compile first: with PYTHONDONTWRITEBYTECODE set (as on these machines)
	# every CLI start would recompile the project, and the benchmarks time CLI starts.
	$(BIN)/python -m compileall -q archive provenance schemas bench > /dev/null
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
