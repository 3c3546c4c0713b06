"""Served as production serves it (ptfc.serving), a service counts a caller by the connection's
address: a forged X-Forwarded-For from this machine does not give a caller a fresh limit."""

import httpx
import uvicorn
from fastapi import FastAPI

from ptfc import cli, logs
from ptfc.limits import RateLimit
from ptfc.testing.plugin import serve


async def test_a_forged_forwarded_address_from_loopback_does_not_reset_a_clients_limit():
    app = FastAPI()

    @app.post("/sign-in")
    async def sign_in() -> dict:
        return {"sent": True}

    app.add_middleware(RateLimit, limits={"POST /sign-in": 2}, proxy_hops=0)  # PTFC_TRUSTED_PROXY_HOPS=0
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        answers = [await client.post("/sign-in", headers={"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(1, 5)]
    assert [a.status_code for a in answers] == [200, 200, 429, 429]


def test_ptfc_serve_runs_uvicorn_without_believing_forwarded_headers(monkeypatch):
    started = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda server: started.append(server.config))
    monkeypatch.setattr(logs, "configure", lambda service: None)  # the test process's logging stays as it is
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")  # what uvicorn would otherwise read
    assert cli.main(["serve", "plans", "--port", "8123"]) == 0
    [config] = started
    assert (config.proxy_headers, config.port) == (False, 8123)
