# pvcal: two commands set up everything on a fresh machine.
#   make run   -> system packages (make setup), .venv, then publish every sample discipline
#   make test  -> system packages (make setup), .venv, then the whole test suite
#   make test-fast -> the unit suite only (no slow, notebook, browser or db tests)
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint bench clean venv setup i18n

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,lab]"
	$(BIN)/python -m ipykernel install --sys-prefix --name pvcal --display-name "pvcal (Python 3)" >/dev/null
	touch $(STAMP)

# chromium, fonts-noto-cjk, postgresql-15: apt-get when root, otherwise says what to install
setup:
	@sh scripts/setup-system.sh

run: setup $(STAMP)
	$(BIN)/pvcal publish --all; status=$$?; \
	$(BIN)/pvcal monitor --reports reports --out reports/monitoring; exit $$status

test: setup $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not notebook and not browser and not db"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench data

# Message catalogues (Babel): extract _() / N_() strings, merge into the .po files, compile .mo.
LOCALE := src/pvcal/report/locale
i18n: $(STAMP)
	$(BIN)/pybabel -q extract -F $(LOCALE)/babel.cfg -k N_ --no-location --sort-output \
		--project pvcal --copyright-holder "pvcal authors" -o $(LOCALE)/pvcal.pot src/pvcal
	$(BIN)/pybabel update -i $(LOCALE)/pvcal.pot -d $(LOCALE) -D pvcal --no-fuzzy-matching \
		--ignore-obsolete -w 100
	$(BIN)/pybabel compile -d $(LOCALE) -D pvcal --statistics

# The peers (girth, PyPI mirt, EqUMP) live in their own venv, never in .venv.
PEERS := bench/.venv-peers
PEER_PKGS := girth==0.8.0 mirt==1.2.0 eqump==0.3.6 threadpoolctl

$(PEERS)/.installed: Makefile
	test -x $(PEERS)/bin/python || $(PY) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install --quiet $(PEER_PKGS)
	touch $@

bench: $(STAMP) $(PEERS)/.installed
	$(BIN)/python bench/bench_calibration.py --peers-python $(PEERS)/bin/python
	$(BIN)/python bench/bench_equating.py --peers-python $(PEERS)/bin/python --write

clean:
	rm -rf $(VENV) $(PEERS) build *.egg-info src/*.egg-info
