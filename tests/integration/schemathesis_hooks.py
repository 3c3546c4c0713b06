"""Schemathesis hooks for tests/integration/test_schemathesis.py (loaded by `SCHEMATHESIS_HOOKS`).

A partner sends a new `Idempotency-Key` with each new request and the same one only to retry the
same request; the same key with another body is refused (422 `idempotency-key-reused`, as the
IETF Idempotency-Key draft says), which is tested in the services' own tests. Schemathesis, told
to be deterministic, draws the same few keys over and over with different bodies, so each valid
key it draws is made unique here. A key that breaks the schema is left as drawn, so that the
refusal of bad keys is still checked."""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


@schemathesis.hook
def before_call(context, case, kwargs):
    # The request as it is about to be sent (the case itself is left alone: its record of what
    # was left out, e.g. `Authorization`, is what the checks read).
    headers = kwargs.get("headers") or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str) and VALID_KEY.match(headers[name]):
            headers[name] = headers[name][:160] + "-" + uuid.uuid4().hex
