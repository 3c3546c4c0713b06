"""Sealed links: a single-use link travels on the bus to the one service that mails it.

Every subscriber of a stream reads its events, partners included, and whoever holds an
activation or sign-in link can act as the parent. So the producer seals the link (Fernet:
AES with an HMAC) with `link_seal_key`, which only it and notifications hold."""

import base64
import hashlib
from collections.abc import Sequence

from cryptography.fernet import Fernet, MultiFernet


def _fernet(key: str) -> Fernet:
    # Any long secret will do as the setting: Fernet wants 32 url-safe base64 bytes.
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def seal(key: str, link: str) -> str:
    return _fernet(key).encrypt(link.encode()).decode()


def unseal(key: str, sealed: str, previous: Sequence[str] = ()) -> str:
    """The link; raises `cryptography.fernet.InvalidToken` if it was sealed with none of the keys
    or altered. `previous` keys still open links sealed before a rotation."""
    return MultiFernet([_fernet(k) for k in (key, *previous)]).decrypt(sealed.encode()).decode()
