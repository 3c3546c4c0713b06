# Two commands on a fresh machine with python3: `make up` runs the platform, `make test` runs every test.
# Each installs what it needs on first use: uv (from PyPI, as a Python module), then the locked workspace.
UV := python3 -m uv

.PHONY: up test lint bench sync browser hunspell nats-config pin-digests

sync:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
	$(UV) sync --all-packages --frozen --quiet
	@# The AsyncAPI reference parser (npm), which the contract tests run over every service's document.
	@test -d tests/asyncapi/node_modules || npm ci --prefix tests/asyncapi --no-audit --no-fund --silent

# `make up UP_ARGS="--base-port 9000"`: any `ptfc up` option (`uv run ptfc up --help`).
up: sync
	$(UV) run ptfc up $(UP_ARGS)

# The Parent Hub's browser tests drive Debian's chromium (Playwright cannot download its own here),
# with Noto fonts so Urdu renders in screenshots. Installed once, as root, when missing.
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-core)

# The Polish spell-check (tests/unit/test_polish.py) runs Debian's hunspell with its Polish dictionary.
hunspell:
	@test -f /usr/share/hunspell/pl_PL.dic -a -x /usr/bin/hunspell || (apt-get update -qq && apt-get install -y -qq hunspell hunspell-pl)

test: sync browser hunspell
	$(UV) run pytest

lint: sync
	$(UV) run ruff check .

bench: sync
	$(UV) run python bench/messaging.py
	$(UV) run python bench/allocation.py
	@# The platform's journey with the store empty and holding a year's referrals (24,000 parents), side by side.
	$(UV) run python bench/journey.py --preload 12000

# deploy/nats/auth.conf from the release's services and deploy/nats/partners.json. It refuses to drop a
# partner the current auth.conf has: to remove one on purpose, `make nats-config REMOVE="--remove NAME"`.
nats-config: sync
	$(UV) run ptfc nats-config --env-passwords --partners deploy/nats/partners.json --previous deploy/nats/auth.conf $(REMOVE) > deploy/nats/auth.conf.new
	mv deploy/nats/auth.conf.new deploy/nats/auth.conf

# After a release's images are built and pushed (docs/operations.md, "Releasing"): every image the prod
# overlay runs pinned to the digest the registry holds, in deploy/overlays/prod/images. Needs crane or
# docker buildx. `make pin-digests TAG=0.2.0 REGISTRY=registry.example`
REGISTRY ?= registry.example
pin-digests: sync
	@test -n "$(TAG)" || (echo "pin-digests: say which release, TAG=<version>" >&2; exit 2)
	$(UV) run python deploy/pin_digests.py --registry $(REGISTRY) --tag $(TAG)
