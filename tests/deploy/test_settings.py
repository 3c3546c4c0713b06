"""The manifests and the services agree: every variable a manifest sets is a setting the service
reads, every setting production needs is set, and the values parse as the service's Settings."""

import importlib
import json
import typing
from typing import Any

import pytest
from k8s_render import BACKENDS, SERVICES, container_env, find, one, pod_spec, render, secret_value
from pydantic import AliasChoices

from ptfc.testing.keys import another_key, public_half

# Every backend service: its stores and the keys every service holds; then the keys each holds
# (ptfc.settings.SECRETS in the security branch: a service outside PTFC_ENV=dev refuses to
# start while one of them is missing or its public development value), where it links parents
# to, and how mail leaves.
COMMON = {
    "NATS_URL",
    "MONGODB_URI",
    "PTFC_ENV",
    "PTFC_STREAM_REPLICAS",
    "PTFC_JWT_ISSUERS",
    "PTFC_DEAD_LETTER_SEAL_KEY",
    "PTFC_TRUSTED_PROXY_HOPS",  # per-client limits count the parent (the ingress's or the hub's X-Forwarded-For)
}
REQUIRED_IN_PROD = {
    "referrals": COMMON
    | {"PTFC_EMAIL_LOOKUP_KEY", "PTFC_SIGN_IN_LOOKUP_KEY", "PTFC_CONTACT_SEAL_KEY", "PTFC_WORKSHOPS_SEAL_KEY"},
    "learning": COMMON | {"PTFC_EMAIL_LOOKUP_KEY", "PTFC_LINK_SEAL_KEY", "PTFC_JWT_PRIVATE_KEY", "PTFC_HUB_URL"},
    # link_seal_key: the video link in workshop.booked; plans: invitation links, and the hash counting them
    "workshops": COMMON | {"PTFC_WORKSHOPS_SEAL_KEY", "PTFC_CO_PARENT_SPLIT_KEY", "PTFC_LINK_SEAL_KEY"},
    "plans": COMMON | {"PTFC_HUB_URL", "PTFC_LINK_SEAL_KEY", "PTFC_EMAIL_LOOKUP_KEY"},
    "notifications": COMMON
    | {
        "PTFC_LINK_SEAL_KEY",
        "PTFC_CONTACT_SEAL_KEY",
        "PTFC_WEBHOOK_SEAL_KEY",
        "PTFC_HUB_URL",
        "PTFC_SMTP_HOST",
        "PTFC_SMTP_PORT",
        "PTFC_SMTP_TLS",
        "PTFC_SENDER",
        "PTFC_PROVIDER_INBOXES",
        "PTFC_COURTS_INBOX",
        "PTFC_SUPPORT_EMAIL",
        "PTFC_SUPPORT_PHONE",
    },
    # the Parent Hub has no store and no bus; it keys its forms and calls four APIs (notifications for
    # the parent's certificate), each on behalf of the parent's address as the ingress saw it
    "hub": {
        "PTFC_HUB_SECRET",
        "PTFC_PUBLIC_URL",
        "PTFC_LEARNING_URL",
        "PTFC_WORKSHOPS_URL",
        "PTFC_PLANS_URL",
        "PTFC_NOTIFICATIONS_URL",
        "PTFC_TRUSTED_PROXY_HOPS",
    },
    # the staff console: no store and no bus either; it keys its cookies, signs staff in with their
    # organisations' identity providers, verifies their ID tokens as the services do, and calls all five
    "console": {
        "PTFC_CONSOLE_SECRET",
        "PTFC_PUBLIC_URL",
        "PTFC_OIDC_ISSUERS",
        "PTFC_JWT_ISSUERS",
        "PTFC_REFERRALS_URL",
        "PTFC_LEARNING_URL",
        "PTFC_WORKSHOPS_URL",
        "PTFC_PLANS_URL",
        "PTFC_NOTIFICATIONS_URL",
        "PTFC_TRUSTED_PROXY_HOPS",
    },
}


# Settings other branches add, which the manifests set already; this branch's Settings lack them.
# Once merged, remove them here (a test says so). The security branch's (PTFC_ENV, EdDSA token
# keys, sealing keys, stream retention, the ingress hop) arrived with its merge.
ARRIVING: dict[str, set[str]] = {"*": set()}


def arriving(service: str) -> set[str]:
    return ARRIVING["*"] | ARRIVING.get(service, set())


def settings_class(service: str) -> Any:
    return importlib.import_module(f"{service}.config").Settings


def env_names(cls: Any) -> dict[str, str]:
    """Every environment variable a Settings class reads, upper-cased, to the field it sets."""
    prefix = cls.model_config.get("env_prefix", "")
    names = {}
    for field_name, field in cls.model_fields.items():
        alias = field.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias] if alias else []
        for choice in choices or [prefix + field_name]:
            names[str(choice).upper()] = field_name
    return names


def placeholder(cls: Any, env_name: str) -> str:
    """A value of the field's shape for a Secret operations create (JSON for a map or a list)."""
    secret = "a-secret-operations-create-of-at-least-32-characters"
    field = env_names(cls).get(env_name.upper())
    if field == "jwt_issuers":  # each issuer with its public key and what it may grant (ptfc.issuers)
        grant = {"public_key": public_half(another_key()), "roles": ["provider"], "providers": ["family-action"]}
        return json.dumps({"https://idp.family-action.example": grant})
    if field == "oidc_issuers":  # the console's sign-in with that issuer; its audience is the default (ptfc)
        return json.dumps({"https://idp.family-action.example": {"name": "Family Action", "client_id": "ptfc"}})
    shape = typing.get_origin(cls.model_fields[field].annotation) if field else None
    return json.dumps({"issuer": secret}) if shape is dict else json.dumps([secret]) if shape is list else secret


def service_env(overlay: str, service: str) -> tuple[tuple, dict[str, Any]]:
    resources = render(f"overlays/{overlay}")
    [container] = pod_spec(one(resources, "Deployment", service))["containers"]
    return resources, container_env(resources, container)


@pytest.mark.parametrize("overlay", ["dev", "prod"])
@pytest.mark.parametrize("service", SERVICES)
def test_every_variable_a_manifest_sets_is_a_setting_of_the_service(service, overlay):
    _, env = service_env(overlay, service)
    known = env_names(settings_class(service))
    unknown = sorted(name for name in env if name.upper() not in known and name not in arriving(service))
    assert not unknown, f"{service} has no setting for {unknown}"


@pytest.mark.parametrize("service", SERVICES)
def test_the_arriving_settings_have_not_arrived_yet(service):
    arrived = arriving(service) & set(env_names(settings_class(service)))
    assert not arrived, f"{sorted(arrived)} are settings of {service} now: remove them from ARRIVING"


@pytest.mark.parametrize("service", SERVICES)
def test_every_setting_production_needs_is_set_in_prod(service):
    _, env = service_env("prod", service)
    cls = settings_class(service)
    names = env_names(cls)
    required = {name for name, field in names.items() if cls.model_fields[field].is_required()}
    missing = sorted((required | REQUIRED_IN_PROD.get(service, COMMON)) - set(env))
    assert not missing, f"prod does not set {missing} for {service}"


@pytest.mark.parametrize("service", SERVICES)
def test_prod_values_are_valid_settings(service, monkeypatch):
    _, env = service_env("prod", service)
    for name in env_names(settings_class(service)):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        if isinstance(value, str):
            monkeypatch.setenv(name, value)
        elif name == "NATS_URL":  # the Secret holds the service's own user and password
            monkeypatch.setenv(name, f"nats://{service}:a-password@nats:4222")
        elif not value["secretKeyRef"].get("optional"):
            monkeypatch.setenv(name, placeholder(settings_class(service), name))
    settings = settings_class(service)()
    assert settings.service == service
    # with the security branch merged: no key is left at its public development value
    assert getattr(settings, "development_keys", list)() == []
    if service in BACKENDS:
        assert settings.stream_replicas == 3
    if "PTFC_HUB_URL" in env and "hub_url" in type(settings).model_fields:
        assert settings.hub_url == "https://hub.ptfc.example"


@pytest.mark.parametrize("service", SERVICES)
def test_the_dev_overlay_starts_each_service_with_valid_settings_and_its_own_database(service, monkeypatch):
    resources, env = service_env("dev", service)
    for name in env_names(settings_class(service)):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        if not isinstance(value, str):
            ref = value["secretKeyRef"]
            if ref.get("optional") and not find(resources, "Secret", ref["name"]):
                continue  # e.g. SMTP credentials: the dev mail catcher takes none
            value = secret_value(resources, ref["name"], ref["key"])
        monkeypatch.setenv(name, value)
    settings = settings_class(service)()
    if service not in BACKENDS:
        assert settings.public_url.startswith("https://")
        return
    assert settings.nats_url.startswith(f"nats://{service}:")
    assert settings.mongodb_uri.startswith(f"mongodb://{service}:")
    assert f"/{service}?" in settings.mongodb_uri and f"authSource={service}" in settings.mongodb_uri
    assert "w=majority" in settings.mongodb_uri and "journal=true" in settings.mongodb_uri
