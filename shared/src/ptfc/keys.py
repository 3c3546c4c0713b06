"""Recognising a key by what it is, not how it is written.

The development keys are public (ptfc.settings). A check that compares text lets through the same
key without its last newline, with CRLF line ends, re-encoded (DER, raw, OpenSSH, a JWK) or given
as its private half, and a service would then trust, in production, a key anyone can read. So an
EdDSA key is compared by its public key bytes, whatever form it takes; a symmetric secret after
removing what a copy and paste can add or change (spacing, line ends, quotes, case), and also in
the Fernet form ptfc.sealing derives from it."""

import base64
import binascii
import contextlib
import hashlib
import json
import re
from collections.abc import Iterable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed448, ed25519

PublicKey = ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
PrivateKey = ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey
_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)
_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def _unescaped(text: str) -> str:
    """A PEM pasted into JSON or an env file may arrive with its newlines escaped."""
    return text.replace("\\r", "").replace("\\n", "\n").replace("\r", "\n").strip().strip("\"'")


def _binary(compact: str) -> list[bytes]:
    """The bytes a base64 (standard or URL-safe, padded or not) or hex string could stand for."""
    found = []
    for alphabet in (None, b"-_"):
        with contextlib.suppress(binascii.Error, ValueError):
            found.append(base64.b64decode(compact + "=" * (-len(compact) % 4), altchars=alphabet, validate=True))
    with contextlib.suppress(ValueError):
        found.append(bytes.fromhex(compact))
    return found


def _from_der(data: bytes) -> list[PublicKey | PrivateKey]:
    found: list = []
    for load in (serialization.load_der_public_key, lambda d: serialization.load_der_private_key(d, None)):
        with contextlib.suppress(ValueError, TypeError):
            found.append(load(data))
    raw = {32: (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey), 57: (ed448.Ed448PublicKey, ed448.Ed448PrivateKey)}
    if len(data) in raw:  # raw bytes: a public key or a private seed, both are taken
        public, private = raw[len(data)]
        found += [public.from_public_bytes(data), private.from_private_bytes(data)]
    return found


def _from_pem(text: str) -> list[PublicKey | PrivateKey]:
    match = _PEM.search(text)
    if not match:
        return []
    label, body = match.group(1), "".join(match.group(2).split())
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    pem = f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----\n".encode()
    loaders = (
        serialization.load_pem_public_key,
        lambda d: serialization.load_pem_private_key(d, None),
        lambda d: serialization.load_ssh_private_key(d, None),
    )
    for load in loaders:
        try:
            return [load(pem)]
        except (ValueError, TypeError):
            pass
    return [key for data in _binary(body) for key in _from_der(data)]  # a label no loader knows


def _from_jwk(text: str) -> list[PublicKey | PrivateKey]:
    """An OKP JWK: with `d` it is a private key, else the public key `x`."""
    try:
        jwk = json.loads(text)
    except ValueError:
        return []
    part = jwk.get("d", jwk.get("x")) if isinstance(jwk, dict) else None
    private = isinstance(jwk, dict) and "d" in jwk
    if not isinstance(part, str):
        return []
    found = [key for data in _binary(part) for key in _from_der(data)]
    return [key for key in found if isinstance(key, PrivateKey) == private]


def key_material(text: str) -> list[PublicKey | PrivateKey]:
    """Every EdDSA key `text` can be read as: PEM (SubjectPublicKeyInfo, PKCS#8, OpenSSH), with any
    line ends and spacing or none; DER, or raw bytes, in base64 or hex; an OpenSSH public key line;
    a JWK. Empty if it holds none."""
    text = _unescaped(text)
    found = _from_pem(text) + _from_jwk(text)
    if text.startswith("ssh-"):
        with contextlib.suppress(ValueError, TypeError, IndexError):
            found.append(serialization.load_ssh_public_key(" ".join(text.split()[:2]).encode()))
    if not found:
        for data in _binary("".join(text.split())):
            found += _from_der(data)
    return [key for key in found if isinstance(key, PublicKey | PrivateKey)]


def public_bytes(text: str) -> set[bytes]:
    """The public key bytes of every key `text` can be read as (a private key's public half)."""
    keys = key_material(text)
    return {(k if isinstance(k, PublicKey) else k.public_key()).public_bytes(*_RAW) for k in keys}


def verification_key(text: str) -> str:
    """`text` as the PEM public key PyJWT verifies with. A private key is refused: every service
    holds this setting, and the public half is all it needs."""
    keys = key_material(text)
    public = [k for k in keys if isinstance(k, PublicKey)]
    if not public:
        if keys:
            raise ValueError("this is a private key: give its public half")
        raise ValueError("not an Ed25519 or Ed448 public key (PEM, DER, raw, OpenSSH or JWK)")
    pem = public[0].public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem.decode()


def key_id(text: str) -> str:
    """The `kid` of an EdDSA key (its public half, whichever half `text` holds): its RFC 7638 JWK
    thumbprint, so a signer and its verifiers agree on it with nothing more to configure."""
    keys = key_material(text)
    if not keys:
        raise ValueError("not an Ed25519 or Ed448 key")
    public = keys[0] if isinstance(keys[0], PublicKey) else keys[0].public_key()
    x = base64.urlsafe_b64encode(public.public_bytes(*_RAW)).rstrip(b"=").decode()
    crv = "Ed25519" if isinstance(public, ed25519.Ed25519PublicKey) else "Ed448"
    canonical = json.dumps({"crv": crv, "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def _normal(secret: str) -> str:
    return "".join(_unescaped(secret).split()).casefold()


def _fernet_form(secret: str) -> str:
    """The key ptfc.sealing derives from a setting (kept in step with sealing._fernet)."""
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()).decode()


def is_one_of(value: str, known: Iterable[str]) -> bool:
    """Whether `value` is one of the `known` keys: the same EdDSA key in any form, or a secret that
    contains one of them once spacing, line ends, quotes and case are set aside, or is the Fernet
    key derived from one."""
    known = list(known)
    mine = public_bytes(value)
    if mine and any(mine & public_bytes(k) for k in known):
        return True
    normal = _normal(value)
    return any(_normal(k) in normal or _normal(_fernet_form(k)) == normal for k in known if _normal(k))
