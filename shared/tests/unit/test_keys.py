"""The development keys are refused outside PTFC_ENV=dev in whatever form they are given: keys are
compared as key material (ptfc.keys), not as text. Each variant here was accepted by the text check."""

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization as s
from pydantic import ValidationError

from ptfc import keys
from ptfc.issuers import Issuer
from ptfc.settings import (
    DEV_EMAIL_LOOKUP_KEY,
    DEV_JWT_PRIVATE_KEY,
    DEV_JWT_PUBLIC_KEY,
    DEV_KEYS,
    DEV_LINK_SEAL_KEY,
    ServiceSettings,
)
from ptfc.testing.keys import another_key, public_half

PRIVATE = s.load_pem_private_key(DEV_JWT_PRIVATE_KEY.encode(), None)
PUBLIC = PRIVATE.public_key()
SPKI_DER = PUBLIC.public_bytes(s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo)
RAW = PUBLIC.public_bytes(s.Encoding.Raw, s.PublicFormat.Raw)
SEED = PRIVATE.private_bytes(s.Encoding.Raw, s.PrivateFormat.Raw, s.NoEncryption())
PKCS8_DER = PRIVATE.private_bytes(s.Encoding.DER, s.PrivateFormat.PKCS8, s.NoEncryption())
b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
b64url = lambda data: base64.urlsafe_b64encode(data).decode().rstrip("=")  # noqa: E731

PUBLIC_FORMS = {
    "no final newline": DEV_JWT_PUBLIC_KEY.rstrip("\n"),
    "crlf": DEV_JWT_PUBLIC_KEY.replace("\n", "\r\n"),
    "escaped newlines": DEV_JWT_PUBLIC_KEY.replace("\n", "\\n"),
    "indented": "\n".join("    " + line for line in DEV_JWT_PUBLIC_KEY.splitlines()),
    "one line": DEV_JWT_PUBLIC_KEY.replace("\n", " "),
    "rewrapped": "-----BEGIN PUBLIC KEY-----\n"
    + "\n".join(b64(SPKI_DER)[i : i + 20] for i in range(0, len(b64(SPKI_DER)), 20))
    + "\n-----END PUBLIC KEY-----",
    "quoted": f'"{DEV_JWT_PUBLIC_KEY}"',
    "base64 der": b64(SPKI_DER),
    "hex der": SPKI_DER.hex(),
    "raw base64": b64(RAW),
    "raw base64url": b64url(RAW),
    "raw hex": RAW.hex().upper(),
    "openssh": PUBLIC.public_bytes(s.Encoding.OpenSSH, s.PublicFormat.OpenSSH).decode() + " dev@laptop",
    "jwk": json.dumps({"kty": "OKP", "crv": "Ed25519", "x": b64url(RAW)}),
}
PRIVATE_FORMS = {
    "pkcs8 pem": DEV_JWT_PRIVATE_KEY,
    "pkcs8 no final newline": DEV_JWT_PRIVATE_KEY.rstrip(),
    "pkcs8 crlf": DEV_JWT_PRIVATE_KEY.replace("\n", "\r\n"),
    "pkcs8 base64 der": b64(PKCS8_DER),
    "openssh private": PRIVATE.private_bytes(s.Encoding.PEM, s.PrivateFormat.OpenSSH, s.NoEncryption()).decode(),
    "seed hex": SEED.hex(),
    "jwk private": json.dumps({"kty": "OKP", "crv": "Ed25519", "d": b64url(SEED), "x": b64url(RAW)}),
}
SECRET_FORMS = {
    "trailing newline": DEV_LINK_SEAL_KEY + "\n",
    "crlf": DEV_LINK_SEAL_KEY + "\r\n",
    "spaces": f"  {DEV_LINK_SEAL_KEY} ",
    "quoted": f"'{DEV_LINK_SEAL_KEY}'",
    "upper case": DEV_LINK_SEAL_KEY.upper(),
    "suffixed": DEV_LINK_SEAL_KEY + "-2",
    "fernet form": base64.urlsafe_b64encode(__import__("hashlib").sha256(DEV_LINK_SEAL_KEY.encode()).digest()).decode(),
}
REAL = {"dead_letter_seal_key": "d" * 40, "nats_password": "n" * 24}
REAL_ISSUERS = {"https://idp.example": Issuer(public_key=public_half(another_key()), roles=["cafcass"])}


@pytest.mark.parametrize("form", [*PUBLIC_FORMS.values(), *PRIVATE_FORMS.values()], ids=[*PUBLIC_FORMS, *PRIVATE_FORMS])
def test_the_development_key_pair_is_recognised_in_any_form(form):
    assert keys.is_one_of(form, DEV_KEYS)


@pytest.mark.parametrize("form", PUBLIC_FORMS.values(), ids=PUBLIC_FORMS)
def test_an_issuer_trusting_the_development_public_key_in_any_form_stops_the_start(form):
    issuers = {"https://idp.example": Issuer(public_key=form, roles=["cafcass"])}
    assert issuers["https://idp.example"].public_key == DEV_JWT_PUBLIC_KEY  # read as the same key
    assert "jwt_issuers" in ServiceSettings(env="production", jwt_issuers=issuers).development_keys()
    assert "jwt_issuers" not in ServiceSettings(env="production", jwt_issuers=REAL_ISSUERS).development_keys()


# Bare 32 bytes (the seed in hex) read as a public key too: recognised above, but not refused as private.
PRIVATE_ONLY = {name: form for name, form in PRIVATE_FORMS.items() if name != "seed hex"}


@pytest.mark.parametrize("form", PRIVATE_ONLY.values(), ids=PRIVATE_ONLY)
def test_a_private_key_where_a_public_key_belongs_is_refused(form):
    with pytest.raises(ValidationError, match="private key"):
        Issuer(public_key=form, roles=["cafcass"])


@pytest.mark.parametrize("form", PRIVATE_FORMS.values(), ids=PRIVATE_FORMS)
def test_learning_signing_with_the_development_private_key_in_any_form_stops_the_start(form):
    secrets = {"email_lookup_key": "e" * 40, "link_seal_key": "l" * 40, "jwt_issuers": REAL_ISSUERS, **REAL}
    settings = ServiceSettings(env="production", service="learning", jwt_private_key=form, **secrets)
    with pytest.raises(RuntimeError, match="jwt_private_key"):
        settings.refuse_development_keys()
    ServiceSettings(
        env="production", service="learning", jwt_private_key=another_key(), **secrets
    ).refuse_development_keys()


@pytest.mark.parametrize("form", SECRET_FORMS.values(), ids=SECRET_FORMS)
def test_a_development_secret_altered_by_a_copy_and_paste_stops_the_start(form):
    secrets = {"email_lookup_key": "e" * 40, "jwt_private_key": another_key(), "jwt_issuers": REAL_ISSUERS, **REAL}
    settings = ServiceSettings(env="production", service="learning", link_seal_key=form, **secrets)
    with pytest.raises(RuntimeError, match="link_seal_key"):
        settings.refuse_development_keys()
    previous = ServiceSettings(
        env="production", service="learning", link_seal_key="l" * 40, link_seal_previous_keys=[form], **secrets
    )
    with pytest.raises(RuntimeError, match="link_seal_previous_keys"):
        previous.refuse_development_keys()


def test_real_keys_are_not_mistaken_for_development_ones():
    other = another_key()
    for real in (other, public_half(other), "x" * 40, DEV_EMAIL_LOOKUP_KEY[:-1] + "-but-really-secret-0123456789"):
        assert not keys.is_one_of(real, DEV_KEYS)
    assert keys.verification_key(public_half(other).replace("\n", "\r\n")) == public_half(other)


def test_the_issuers_setting_is_read_from_json_in_the_environment(monkeypatch):
    key = public_half(another_key())
    issuers = {"https://idp.example": {"public_key": key, "roles": ["provider"], "providers": ["family-action"]}}
    monkeypatch.setenv("PTFC_JWT_ISSUERS", json.dumps(issuers))
    read = ServiceSettings().jwt_issuers["https://idp.example"]
    assert (read.public_key, read.roles, read.providers, read.subject_prefix) == (
        key,
        ["provider"],
        ["family-action"],
        "",
    )
