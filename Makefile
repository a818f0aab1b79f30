# Two commands on a fresh machine: `make demo` runs the product, `make test` runs the suite.
# Each creates the virtual environment and installs what it needs on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint install

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	bin/ensure-env
	bin/ensure-weasyprint
	$(PY) manage.py demo $(ARGS)

# The suite runs on every core (pytest-xdist, a database per worker), prints its 30 slowest tests and writes
# a JUnit report (docs/testing.md#reading-a-run). TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
JUNIT ?= tests/artifacts/junit.xml

test: $(VENV)/.installed
	bin/ensure-chromium
	bin/ensure-weasyprint
	bin/ensure-axe
	bin/ensure-gettext
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadgroup --durations=30 --junitxml=$(JUNIT) $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
