"""The dev overlay's console signs staff in (issue 28): its settings, read from the rendered
manifests as the pod gets them, pass the console's own check (each login a trusted issuer with its
client id as audience) and name an identity provider the overlay runs: the development one `ptfc up`
runs (ptfc.dev.oidc), with the same seeded people, trusted by every service for the same grant, and
reachable from the console and the services under default deny."""

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from k8s_render import BACKENDS, container_env, find, one, pod_spec, render, secret_value
from test_settings import env_names

from console.config import Settings
from ptfc.dev import oidc
from ptfc.issuers import Issuer


def values(resources: tuple, workload: str) -> dict[str, str]:
    """The variables the workload's container gets, Secrets read."""
    [container] = pod_spec(one(resources, "Deployment", workload))["containers"]
    out = {}
    for name, value in container_env(resources, container).items():
        if isinstance(value, str):
            out[name] = value
        elif "secretKeyRef" in value and find(resources, "Secret", value["secretKeyRef"]["name"]):
            ref = value["secretKeyRef"]  # (an optional Secret the overlay does not make is left out)
            out[name] = secret_value(resources, ref["name"], ref["key"])
    return out


def egress_to(resources: tuple, app: str, target: str, port: int) -> bool:
    policy = one(resources, "NetworkPolicy", app)["spec"]
    return any(
        {"protocol": "TCP", "port": port} in rule.get("ports", [])
        and {"podSelector": {"matchLabels": {"app": target}}} in rule.get("to", [])
        for rule in policy["egress"]
    )


def test_the_dev_console_signs_in_with_the_identity_provider_the_overlay_runs(monkeypatch: pytest.MonkeyPatch):
    resources = render("overlays/dev")
    for name in env_names(Settings):
        monkeypatch.delenv(name, raising=False)
    for name, value in values(resources, "console").items():
        monkeypatch.setenv(name, value)
    settings = Settings()  # the console's own check: each login is a trusted issuer, audience its client id
    assert settings.oidc_issuers, "the console has no identity provider to sign staff in with"
    [issuer] = settings.oidc_issuers
    assert settings.oidc_issuers[issuer].client_id == oidc.CLIENT_ID
    assert settings.jwt_issuers[issuer] == Issuer(**oidc.issuer_grant())

    # The issuer is the overlay's provider, seeded with the people `ptfc up` seeds, nonces required.
    address = urlsplit(issuer)
    service = one(resources, "Service", str(address.hostname))
    assert address.port in [p["port"] for p in service["spec"]["ports"]]
    [provider] = pod_spec(one(resources, "Deployment", "dev-idp"))["containers"]
    args: list[Any] = provider["args"]
    people = [json.loads(args[i + 1]) for i, arg in enumerate(args) if arg == "--user-claims"]
    assert people == oidc.STAFF
    assert args[args.index("--require-nonce") + 1] == "true"
    target = service["spec"]["ports"][0]["targetPort"]
    [listens] = [p["containerPort"] for p in provider["ports"] if p["name"] == target]
    assert args[args.index("--port") + 1] == str(listens)

    # Every service verifies its tokens with the same grant, and reaches it for its published keys.
    admitted = one(resources, "NetworkPolicy", "dev-idp")["spec"]["ingress"][0]["from"]
    for app in ["console", *BACKENDS]:
        if app != "console":
            trusted = json.loads(values(resources, app)["PTFC_JWT_ISSUERS"])
            assert Issuer(**trusted[issuer]) == Issuer(**oidc.issuer_grant()), app
        assert egress_to(resources, app, "dev-idp", address.port or 80), f"{app} cannot reach {issuer}"
        assert {"podSelector": {"matchLabels": {"app": app}}} in admitted, app
    assert not find(render("overlays/prod"), "Deployment", "dev-idp")  # never outside development


def test_outside_development_the_same_provider_over_plain_http_is_refused(monkeypatch: pytest.MonkeyPatch):
    """Its keys are discovered over http: swapped on the way, they would let anyone sign tokens."""
    resources = render("overlays/dev")
    for name in env_names(Settings):
        monkeypatch.delenv(name, raising=False)
    for name, value in values(resources, "console").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PTFC_ENV", "production")
    with pytest.raises(ValueError, match="must be https"):
        Settings()
