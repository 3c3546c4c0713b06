"""How every process serves HTTP under uvicorn: `ptfc serve` (what a container runs, so `ptfc up`
too) and the test servers, all through `config`.

uvicorn would otherwise believe `X-Forwarded-For` from loopback (`forwarded_allow_ips` defaults to
127.0.0.1) and put the address it names in the request's client: anyone on the machine, or a
sidecar, could then choose the address the per-client limits count. The platform reads the
forwarded address itself, from exactly `PTFC_TRUSTED_PROXY_HOPS` hops (ptfc.limits.client_address),
so uvicorn must leave the client as the connection says."""

from typing import Any

import uvicorn


def config(app: Any, host: str, port: int, **options: Any) -> uvicorn.Config:
    # log_config=None: uvicorn leaves logging alone (its own config would route access lines past
    # the platform's filters, ptfc.logs).
    settings = {"log_config": None, **options, "proxy_headers": False, "forwarded_allow_ips": ""}
    return uvicorn.Config(app, host=host, port=port, **settings)
