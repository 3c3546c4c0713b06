"""Every service has the same shape (docs/architecture.md): rules in a domain with no I/O imports,
and routes that only turn a request into one call.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SERVICES = ["referrals", "learning", "workshops", "plans", "notifications"]
TEMPLATE = ["domain", "store", "handlers", "sweeps", "api", "schemas", "views", "access", "refusals", "config", "app"]
NO_IO = ("fastapi", "starlette", "pymongo", "bson", "motor", "nats", "faststream", "httpx", "smtplib", "aiosmtplib")
ROUTE_LINES = 30


def source(service: str, module: str) -> Path:
    """The module's file, or its package's `__init__.py` (a domain split by topic, as workshops')."""
    folder = ROOT / "services" / service / "src" / service
    package = folder / module / "__init__.py"
    return package if package.exists() else folder / f"{module}.py"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_template_files(service):
    # A service with no timed work has no sweeps.py; one that has timed work keeps it there.
    timed = "sweeps" in source(service, "app").read_text()
    assert [m for m in TEMPLATE if not source(service, m).exists() and (m != "sweeps" or timed)] == []


@pytest.mark.parametrize("service", SERVICES)
def test_the_domain_imports_no_web_store_or_broker_library(service):
    domain = source(service, "domain")
    files = sorted(domain.parent.glob("*.py")) if domain.name == "__init__.py" else [domain]
    trees = [ast.parse(f.read_text()) for f in files]
    imported = [a.name for t in trees for n in ast.walk(t) if isinstance(n, ast.Import) for a in n.names]
    imported += [n.module for t in trees for n in ast.walk(t) if isinstance(n, ast.ImportFrom) and n.module]
    assert [m for m in imported if m.split(".")[0] in NO_IO] == []


@pytest.mark.parametrize("service", SERVICES)
def test_no_route_is_longer_than_about_thirty_lines(service):
    tree = ast.parse(source(service, "api").read_text())
    routes = [
        n
        for n in tree.body
        if isinstance(n, ast.AsyncFunctionDef | ast.FunctionDef)
        and any(isinstance(d, ast.Call) and getattr(d.func, "attr", "") in ("get", "post") for d in n.decorator_list)
    ]
    assert routes
    long = {n.name: n.end_lineno - n.lineno + 1 for n in routes if n.end_lineno - n.lineno + 1 > ROUTE_LINES}
    assert long == {}
