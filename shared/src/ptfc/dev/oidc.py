"""The development OpenID Connect provider (`oidc-provider-mock`, a dev dependency): a real
provider on its own port, with one seeded person per staff role, for `ptfc up` and the console's
browser tests. Its people carry our claims under its own names (`ptfc_role` with its own words
for roles, `ptfc_provider`), so the per-issuer claim mapping is exercised as with a real one."""

import json
import sys
from pathlib import Path
from subprocess import Popen
from typing import Any

CLIENT_ID = "ptfc-console"
PROVIDERS = ["action-for-children", "family-action"]
STAFF: list[dict[str, Any]] = [
    {"sub": "afc-coordinator", "ptfc_role": "coordinator", "ptfc_provider": "action-for-children", "name": "Asha Khan"},
    {"sub": "fa-coordinator", "ptfc_role": "coordinator", "ptfc_provider": "family-action", "name": "Ben Ortiz"},
    {"sub": "afc-facilitator", "ptfc_role": "facilitator", "ptfc_provider": "action-for-children", "name": "Jo Reid"},
    {"sub": "fa-facilitator", "ptfc_role": "facilitator", "ptfc_provider": "family-action", "name": "Ravi Shah"},
    {"sub": "fca-sam-patel", "ptfc_role": "fca", "name": "Sam Patel"},
    {"sub": "ops-alex", "ptfc_role": "operator", "name": "Alex Morgan"},
]


def issuer_grant() -> dict[str, Any]:
    """Its entry in PTFC_JWT_ISSUERS: keys by discovery, ID tokens for the console, our claims under
    its names, and only the staff roles and providers it serves (never parents, courts or '*')."""
    return {
        "discover": True,
        "audience": CLIENT_ID,
        "roles": ["provider", "facilitator", "cafcass", "ops"],
        "providers": PROVIDERS,
        "claims": {"role": "ptfc_role", "provider": "ptfc_provider"},
        "role_values": {"coordinator": "provider", "facilitator": "facilitator", "fca": "cafcass", "operator": "ops"},
    }


def login() -> dict[str, Any]:
    """Its entry in PTFC_OIDC_ISSUERS (the console's sign-in button). It takes any client secret, but one."""
    return {"name": "the development identity provider", "client_id": CLIENT_ID, "client_secret": "ptfc-dev-console"}


def start_oidc(port: int, log: Path | None = None) -> Popen:
    """The provider on 127.0.0.1:`port` (its issuer is http://127.0.0.1:`port`); nonces required."""
    command = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--require-nonce", "true"]
    for person in STAFF:
        command += ["--user-claims", json.dumps(person)]
    out = open(log, "ab") if log else None  # noqa: SIM115 - the child keeps it
    return Popen(command, stdout=out, stderr=out, start_new_session=True)
