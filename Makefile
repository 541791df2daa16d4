# pvcal: two commands set up everything on a fresh machine.
#   make run   -> bootstrap .venv, then publish every sample discipline
#   make test  -> bootstrap .venv, then run the whole test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,lab]"
	$(BIN)/python -m ipykernel install --sys-prefix --name pvcal --display-name "pvcal (Python 3)" >/dev/null
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/pvcal publish --all

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not notebook and not browser and not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench data notebooks

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	PVCAL_BENCH_MIRT_PYTHON=$(abspath $(BIN))/python $(BIN)/python bench/bench_calibration.py
	$(BIN)/python bench/bench_equating.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
