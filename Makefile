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

test: $(VENV)/.installed
	bin/ensure-chromium
	bin/ensure-weasyprint
	bin/ensure-axe || echo "axe-core could not be fetched: the browser suite's accessibility checks will be skipped."
	bin/ensure-gettext
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
