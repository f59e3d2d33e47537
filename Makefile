# Two commands matter: `make demo` and `make test`. Everything else is a step of theirs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export DADKHAH_HOME ?= $(CURDIR)/var

.PHONY: demo test setup test-setup lint test-pg test-browser lock clean

demo: setup
	$(BIN)/dadkhah demo

test: test-setup lint
	$(BIN)/pytest -n 2 -p no:cacheprovider

setup: $(VENV)/.installed
	@scripts/system-deps.sh base

test-setup: $(VENV)/.installed
	@scripts/system-deps.sh test

$(VENV)/.installed: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV) || { scripts/system-deps.sh venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $@

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The suite against PostgreSQL: DATABASE_URL must point at a server (.ci/run starts one).
test-pg: test-setup
	$(BIN)/pytest -n 2 -p no:cacheprovider

# Regenerate the pinned lock file after changing pyproject.toml.
lock:
	$(BIN)/python -m pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock -q

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
