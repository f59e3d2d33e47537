# Two commands matter: `make demo` and `make test`. Everything else is a step of theirs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export DADKHAH_HOME ?= $(CURDIR)/var
# The memorial map's browser files, written by the assets step (ignored by git).
MAP_ASSETS := dadkhah/memorial/static/memorial/vendor/basemap/sources.json

.PHONY: demo test setup test-setup lint test-pg test-browser lock clean

demo: setup
	$(BIN)/dadkhah demo

test: test-setup lint
	$(BIN)/pytest -n 2 -p no:cacheprovider

setup: $(VENV)/.installed $(MAP_ASSETS)
	@scripts/system-deps.sh base

test-setup: $(VENV)/.installed $(MAP_ASSETS)
	@scripts/system-deps.sh test

$(VENV)/.installed: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV) || { scripts/system-deps.sh venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $@

# Leaflet and the Natural Earth basemap: npm ci (versions pinned in package-lock.json), then
# copied and trimmed into static. Without node the map page still lists the places as a table.
$(MAP_ASSETS): package-lock.json dadkhah/memorial/assets.py | $(VENV)/.installed
	@scripts/system-deps.sh base
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && $(BIN)/python -m dadkhah.memorial.assets; \
	else \
	  echo "npm not found: the memorial map has no Leaflet and no offline basemap (it lists the places as a table). Install Node.js and npm, then run make setup again." >&2; \
	fi

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
