# Two commands on a fresh machine with python3: `make up` runs the platform, `make test` runs every test.
# Each installs what it needs on first use: uv (from PyPI, as a Python module), then the locked workspace.
UV := python3 -m uv

.PHONY: up test lint bench sync

sync:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
	$(UV) sync --all-packages --frozen --quiet

up: sync
	$(UV) run ptfc up

test: sync
	$(UV) run pytest

lint: sync
	$(UV) run ruff check .

bench: sync
	$(UV) run python bench/messaging.py
	$(UV) run python bench/allocation.py
