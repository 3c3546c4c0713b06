# Two commands on a fresh machine with python3: `make up` runs the platform, `make test` runs every test.
# Each installs what it needs on first use (uv, then the locked workspace).
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")

.PHONY: up test lint bench sync

$(UV):
	python3 -m pip install --user --quiet uv || python3 -m pip install --quiet uv

sync: $(UV)
	$(UV) sync --all-packages --frozen --quiet

up: sync
	$(UV) run ptfc up

test: sync
	$(UV) run pytest

lint: sync
	$(UV) run ruff check .

bench: sync
	$(UV) run python bench/messaging.py
