"""Every service's AsyncAPI document passes the reference parser (@asyncapi/parser, under node). Kept
out of the unit suite: starting node and the parser takes about ten seconds. The document's content
(what a service publishes and consumes, with schemas) is checked fast in tests/unit/test_contracts.py."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ptfc.cli import SERVICES

from ..unit.test_contracts import asyncapi_of

VALIDATOR = Path(__file__).resolve().parents[1] / "asyncapi"


async def test_asyncapi_documents_pass_the_reference_parser(tmp_path):
    if shutil.which("node") is None or not (VALIDATOR / "node_modules").exists():
        pytest.fail("the AsyncAPI parser is not installed: run `make sync` (npm ci in tests/asyncapi)")
    files = []
    for service in SERVICES:
        path = tmp_path / f"{service}.json"
        path.write_text(json.dumps(await asyncapi_of(service)))
        files.append(str(path))
    result = subprocess.run(["node", str(VALIDATOR / "validate.mjs"), *files], capture_output=True, text=True)  # noqa: ASYNC221
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(diagnostics == [] for diagnostics in json.loads(result.stdout).values()), result.stdout
