"""What a partner's developer would run: schemathesis 4.32.5 with every check (`--checks all`)
against each service's own `/openapi.json`, all phases (examples, coverage, fuzzing, and the
stateful phase that follows the documents' links, e.g. `POST /referrals` then
`GET /referrals/{referral_id}`), over real HTTP against the service running on a free port with
the session's NATS and MongoDB server.

Runs are bounded (`--max-examples`) and seeded, with one worker and deterministic generation, so
a run is reproducible. A failure prints schemathesis' own report, with a `curl` to reproduce it."""

import importlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn

from ptfc.auth import issue_token
from ptfc.dev.servers import free_port
from ptfc.serving import config as uvicorn_config
from ptfc.settings import DEV_JWT_PRIVATE_KEY
from ptfc.testing.plugin import bearer

# The caller each run uses: the role whose routes each service mostly serves. Routes for other
# roles then answer their documented 403, which the checks also hold to the document.
RUN = timedelta(hours=2)  # minted at collection: lasts until this test runs, late in a whole suite
CALLERS = {
    "referrals": bearer("cafcass", "fca-schemathesis"),
    "learning": bearer("cafcass", "fca-schemathesis"),
    "workshops": bearer("provider", "staff-schemathesis", provider="family-action"),
    # One header for the whole run, which may outlast a parent token's minute: a longer one, which
    # plans is told to accept below (the limit itself: shared/tests/unit/test_parent_tokens.py).
    "plans": {"Authorization": f"Bearer {issue_token(DEV_JWT_PRIVATE_KEY, 'parent', 'parent-schemathesis', ttl=RUN)}"},
    "notifications": bearer("ops", "ops-schemathesis"),
}
HERE = Path(__file__).parent
MAX_EXAMPLES = 12
# Schemathesis is one client sending hundreds of requests a minute: the per-client rate limits
# (documented 429s, tested in tests/integration/test_limits.py and plans' own tests) are lifted so
# that its checks reach the routes behind them.
SETTINGS = {"*": {"rate_limits": {}}, "plans": {"public_rate_limit": 100_000, "parent_token_max_lifetime": RUN}}
SEED = 20261125


@contextmanager
def serving(app, port: int) -> Iterator[str]:
    """The service over real HTTP (uvicorn in a thread of its own), lifespan included."""
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port, lifespan="on"))  # as `ptfc serve` runs it
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.mark.parametrize("service", list(CALLERS))
def test_schemathesis_finds_nothing(service, make_settings, tmp_path: Path):
    settings_class = importlib.import_module(f"{service}.config").Settings
    app = importlib.import_module(f"{service}.app").create_app(
        make_settings(settings_class, **SETTINGS["*"], **SETTINGS.get(service, {}))
    )
    with serving(app, free_port()) as url:
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
        [(name, value)] = CALLERS[service].items()
        command = [
            *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(HERE / "schemathesis.toml")),
            *("run", f"{url}/openapi.json"),
            *("--checks", "all"),
            *("--max-examples", str(MAX_EXAMPLES)),
            *("--seed", str(SEED)),
            "--generation-deterministic",
            *("--workers", "1"),
            *("--request-timeout", "20"),
            *("--header", f"{name}: {value}"),
            "--no-color",
            *("--report", "junit", "--report-dir", str(tmp_path)),
        ]
        hooks = {"SCHEMATHESIS_HOOKS": "schemathesis_hooks", "PYTHONPATH": str(HERE)}
        run = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path, env=os.environ | hooks)
    print(run.stdout[-6000:])
    assert run.returncode == 0, run.stdout[-30000:] + run.stderr[-3000:]
